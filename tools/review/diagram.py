"""docs/architecture.md and its Japanese twin: a Mermaid diagram drawn from an
environment's synthesized stacks.

    python -m tools.review.diagram                # synthesize dev in a temp dir, write both docs
    python -m tools.review.diagram --synth-dir cdktf.out --env prod --lang ja --output -
    python -m tools.review.diagram --check        # exit 1 if a committed doc is stale

Everything shown is read as data from the ``<env>-foundation`` and ``<env>-services``
``cdk.tf.json``: resources by type, references through ``parse_ref`` (cdktf's cross-stack
outputs too); the traffic path follows the security-group rules. Resources are sorted, so
the output is deterministic. Both languages draw the same diagram and tables.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.naming import stack_name
from tools.synthesize import SynthError, synth_settings, synthesize

ROOT = Path(__file__).resolve().parents[2]
DOCS = {"en": ROOT / "docs" / "architecture.md", "ja": ROOT / "docs" / "architecture.ja.md"}
DEFAULT_ENV = "dev"
REMOTE_STATE = ["data", "terraform_remote_state"]
REMOTE_PREFIX = "cross-stack-reference-input-"
AWS_NODES = {"ecr.api": "ecr", "ecr.dkr": "ecr", "logs": "logs", "s3": "s3"}
PORT_NAMES = {80: "HTTP", 443: "HTTPS"}
INTERNET = ("0.0.0.0/0", "::/0")


class DiagramError(ValueError):
    """The synthesized stacks are missing or lack what the diagram needs."""


# --- Reading the synthesized stacks -------------------------------------------------


Ref = tuple[str, str]  # (terraform type, resource name) in the foundation stack


def parse_ref(value: object) -> list[str]:
    """The dotted path of one whole Terraform reference: ``"${aws_subnet.a.id}"`` gives
    ``["aws_subnet", "a", "id"]``. A literal, a template with text around or between
    references, or a path without a name (``"${var}"``) is not one (DiagramError)."""
    text = str(value)
    inner = text.removeprefix("${").removesuffix("}")
    if text != "${" + inner + "}" or "." not in inner or any(c in inner for c in "${} /"):
        raise DiagramError(f"{text!r} is not a plain resource reference")
    return inner.split(".")


def is_ref_to(value: object, tf_type: str) -> bool:
    """Whether ``value`` is a plain reference to a resource of ``tf_type``."""
    try:
        return parse_ref(value)[0] == tf_type
    except DiagramError:
        return False


@dataclass(frozen=True)
class Stack:
    """One parsed ``cdk.tf.json``; ``others`` are every stack of the run, for cross-stack
    references."""

    name: str
    doc: Mapping[str, Any]
    others: Mapping[str, Mapping[str, Any]]

    def resources(self, tf_type: str) -> dict[str, dict[str, Any]]:
        """The resources of ``tf_type`` by name, sorted by name."""
        return dict(sorted(self.doc.get("resource", {}).get(tf_type, {}).items()))

    def ref(self, value: object) -> Ref:
        """The resource ``value`` references, following cdktf's cross-stack outputs
        (``${data.terraform_remote_state.cross-stack-reference-input-<stack>.outputs.<output>}``)."""
        path = parse_ref(value)
        if path[:2] != REMOTE_STATE:
            return path[0], path[1]
        source = path[2].removeprefix(REMOTE_PREFIX)
        output = self.others.get(source, {}).get("output", {}).get(path[-1])
        if len(path) != 5 or path[3] != "outputs" or output is None:
            raise DiagramError(f"{self.name}: {value} names no output of stack {source!r}")
        return Stack(source, self.others[source], self.others).ref(output["value"])

    def refs(self, values: Iterable[object]) -> tuple[Ref, ...]:
        return tuple(self.ref(v) for v in values)


def _name_tag(resource: Mapping[str, Any], default: str) -> str:
    return str(resource.get("tags", {}).get("Name", default))


# --- The model ------------------------------------------------------------------------


@dataclass(frozen=True)
class Subnet:
    ref: Ref
    name: str
    cidr: str
    az: str
    public: bool


@dataclass(frozen=True)
class TargetGroup:
    name: str  # without the hash suffix (``_without_hash``)
    protocol: str
    port: int
    health_check: str  # its path


@dataclass(frozen=True)
class Node:
    """What is drawn once per AZ it has a subnet in: an ALB, an ECS service or the
    interface endpoints. ``row`` is its line in the load-balancer or service table."""

    key: str  # Mermaid id stem: alb_<name>, svc_<name>, vpce
    title: str  # its name in the security-group table
    label: str
    subnets: tuple[Ref, ...]
    security_groups: tuple[Ref, ...]
    target_groups: tuple[Ref, ...] = ()
    row: str = ""


@dataclass(frozen=True)
class Endpoint:
    ref: Ref
    service: str  # "ecr.dkr", "s3", ...
    kind: str  # Interface | Gateway


@dataclass(frozen=True)
class Rule:
    """An ingress rule, or an egress rule to a gateway endpoint's prefix list (S3)."""

    security_group: Ref
    port: int
    peer_sg: Ref | None
    peer_cidr: str | None
    peer_endpoint: Ref | None


@dataclass(frozen=True)
class Model:
    env: str
    vpc_name: str
    vpc_cidr: str
    igw_name: str
    subnets: tuple[Subnet, ...]
    albs: tuple[Node, ...]
    services: tuple[Node, ...]
    interface_endpoints: Node
    endpoints: tuple[Endpoint, ...]
    repository: str
    target_groups: Mapping[Ref, TargetGroup]
    security_groups: Mapping[Ref, str]  # ref -> name
    rules: tuple[Rule, ...]

    @property
    def azs(self) -> tuple[str, ...]:
        return tuple(sorted({s.az for s in self.subnets}))

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Everything drawn per AZ: the ALBs, the services, then the interface endpoints."""
        return (*self.albs, *self.services, self.interface_endpoints)


def load_model(synth_dir: Path, env: str = DEFAULT_ENV) -> Model:
    """The architecture of ``env`` as synthesized in ``synth_dir`` (a cdktf.out directory)."""
    files = sorted(synth_dir.glob("stacks/*/cdk.tf.json"))
    if not files:
        raise DiagramError(f"{synth_dir}: no stacks/*/cdk.tf.json; synthesize first")
    docs = {f.parent.name: json.loads(f.read_text()) for f in files}
    fnd_name, svc_name = stack_name(env, "foundation"), stack_name(env, "services")
    for name in (fnd_name, svc_name):
        if name not in docs:
            raise DiagramError(f"{synth_dir}: no synthesized stack {name}; have {sorted(docs)}")
    fnd, svc = Stack(fnd_name, docs[fnd_name], docs), Stack(svc_name, docs[svc_name], docs)
    vpc = _one(fnd, "aws_vpc")
    # ECS registers each task at its container port, which overrides the group's default.
    task_ports = {
        svc.ref(b["target_group_arn"]): int(b["container_port"])
        for s in svc.resources("aws_ecs_service").values()
        for b in s.get("load_balancer", [])
    }
    groups = {
        ("aws_lb_target_group", k): TargetGroup(
            _without_hash(t["name"]),
            t["protocol"],
            task_ports.get(("aws_lb_target_group", k), int(t["port"])),
            t["health_check"]["path"],
        )
        for k, t in fnd.resources("aws_lb_target_group").items()
    }
    endpoints = fnd.resources("aws_vpc_endpoint")
    return Model(
        env=env,
        vpc_name=_name_tag(vpc, "VPC"),
        vpc_cidr=vpc["cidr_block"],
        igw_name=_name_tag(_one(fnd, "aws_internet_gateway"), "IGW"),
        subnets=_subnets(fnd),
        albs=_albs(fnd, groups),
        services=_services(svc, groups),
        interface_endpoints=_interface_endpoints(fnd, endpoints),
        endpoints=tuple(
            sorted(
                (
                    Endpoint(("aws_vpc_endpoint", k), _service(e), _kind(e))
                    for k, e in endpoints.items()
                ),
                key=lambda e: (e.kind, e.service),
            )
        ),
        repository=", ".join(r["name"] for r in fnd.resources("aws_ecr_repository").values()),
        target_groups=groups,
        security_groups={
            ("aws_security_group", k): _name_tag(g, g.get("name", k))
            for k, g in fnd.resources("aws_security_group").items()
        },
        rules=_rules(fnd, svc),
    )


def _one(stack: Stack, tf_type: str) -> dict[str, Any]:
    found = stack.resources(tf_type)
    if len(found) != 1:
        raise DiagramError(f"{stack.name}: expected one {tf_type}, found {len(found)}")
    return next(iter(found.values()))


def _without_hash(name: str) -> str:
    """A target group name without its ``-<6 hex>`` suffix, which only exists to make
    replacements safe (constructs/load_balancer.py) and would churn the diagram."""
    return re.sub(r"-[0-9a-f]{6}$", "", name)


def _service(endpoint: Mapping[str, Any]) -> str:
    return str(endpoint["service_name"]).split(".", 3)[-1]  # com.amazonaws.<region>.<service>


def _kind(endpoint: Mapping[str, Any]) -> str:
    return str(endpoint.get("vpc_endpoint_type", "Gateway"))


def _subnets(fnd: Stack) -> tuple[Subnet, ...]:
    # A subnet is public when its route table sends traffic to an internet gateway.
    public_tables = {
        fnd.ref(r["route_table_id"])
        for r in fnd.resources("aws_route").values()
        if is_ref_to(r.get("gateway_id"), "aws_internet_gateway")
    }
    public = {
        fnd.ref(a["subnet_id"])
        for a in fnd.resources("aws_route_table_association").values()
        if fnd.ref(a["route_table_id"]) in public_tables
    }
    found = [
        Subnet(
            ref=("aws_subnet", k),
            name=_name_tag(s, k),
            cidr=s["cidr_block"],
            az=s["availability_zone"],
            public=("aws_subnet", k) in public,
        )
        for k, s in fnd.resources("aws_subnet").items()
    ]
    return tuple(sorted(found, key=lambda s: (not s.public, s.az, s.cidr)))


def _albs(fnd: Stack, groups: Mapping[Ref, TargetGroup]) -> tuple[Node, ...]:
    found = []
    for key, lb in fnd.resources("aws_lb").items():
        listeners, tgs = [], set()
        for listener in fnd.resources("aws_lb_listener").values():
            if fnd.ref(listener["load_balancer_arn"]) != ("aws_lb", key):
                continue
            head = f"{listener['protocol']} :{listener['port']}"
            for action in listener["default_action"]:
                if action["type"] != "forward":
                    listeners.append(f"{head} → {action['type']}")
                    continue
                tg = fnd.ref(action["target_group_arn"])
                tgs.add(tg)
                listeners.append(f"{head} → {groups[tg].name} :{groups[tg].port}")
        name, internal = lb["name"], bool(lb["internal"])
        title = f"{'Internal' if internal else 'External'} ALB"
        scheme = "internal" if internal else "internet-facing"
        checks = ", ".join(f"`{groups[t].health_check}`" for t in sorted(tgs))
        node = Node(
            key=_id("alb", name),
            title=title,
            label=f"{title}<br/>{name}",
            subnets=fnd.refs(lb["subnets"]),
            security_groups=fnd.refs(lb["security_groups"]),
            target_groups=tuple(sorted(tgs)),
            row=f"| {name} | {scheme} | {'<br>'.join(sorted(listeners))} | {checks} |",
        )
        found.append(((internal, name), node))
    return tuple(node for _, node in sorted(found))


def _services(svc: Stack, groups: Mapping[Ref, TargetGroup]) -> tuple[Node, ...]:
    # An autoscaling target's resource_id is "service/<cluster>/<service name reference>".
    scaling = {}
    for target in svc.resources("aws_appautoscaling_target").values():
        service = target["resource_id"].rpartition("/")[2]
        if is_ref_to(service, "aws_ecs_service"):
            scaling[parse_ref(service)[1]] = f"{target['min_capacity']}–{target['max_capacity']}"
    found = []
    for key, s in svc.resources("aws_ecs_service").items():
        name, launch_type = s["name"], s.get("launch_type", "FARGATE")
        balancers = s.get("load_balancer", [])
        port = int(balancers[0]["container_port"]) if balancers else 0
        tgs = svc.refs(b["target_group_arn"] for b in balancers)
        tasks = scaling.get(key, str(s.get("desired_count", "?")))
        node = Node(
            key=_id("svc", name),
            title=f"ECS service {name}",
            label=f"ECS service {name}<br/>{launch_type.title()} task :{port}",
            subnets=svc.refs(s["network_configuration"]["subnets"]),
            security_groups=svc.refs(s["network_configuration"]["security_groups"]),
            target_groups=tgs,
            row=f"| {name} | {launch_type} | {port} | {tasks} | "
            f"{', '.join(groups[t].name for t in tgs)} |",
        )
        found.append((name, node))
    return tuple(node for _, node in sorted(found))


def _interface_endpoints(fnd: Stack, endpoints: Mapping[str, dict[str, Any]]) -> Node:
    """The interface endpoints, drawn as one node in each AZ they have a subnet in."""
    interface = sorted(
        ((_service(e), e) for e in endpoints.values() if _kind(e) == "Interface"),
        key=lambda pair: pair[0],
    )
    return Node(
        key="vpce",
        title="Interface endpoints",
        label="Interface endpoints<br/>" + " · ".join(service for service, _ in interface),
        subnets=tuple(sorted({s for _, e in interface for s in fnd.refs(e.get("subnet_ids", []))})),
        security_groups=tuple(
            sorted({g for _, e in interface for g in fnd.refs(e.get("security_group_ids", []))})
        ),
    )


def _rules(*stacks: Stack) -> tuple[Rule, ...]:
    """The rules of every stack (the services stack holds those that open the task ports)."""
    found = []
    for fnd, direction in ((s, d) for s in stacks for d in ("ingress", "egress")):
        for rule in fnd.resources(f"aws_vpc_security_group_{direction}_rule").values():
            prefix_list = rule.get("prefix_list_id")
            to_endpoint = is_ref_to(prefix_list, "aws_vpc_endpoint")
            if direction == "egress" and not to_endpoint:
                continue  # every other egress rule mirrors an ingress rule
            peer_sg = rule.get("referenced_security_group_id")
            found.append(
                Rule(
                    security_group=fnd.ref(rule["security_group_id"]),
                    port=int(rule["from_port"]),
                    peer_sg=fnd.ref(peer_sg) if peer_sg else None,
                    peer_cidr=rule.get("cidr_ipv4"),
                    peer_endpoint=fnd.ref(prefix_list) if to_endpoint else None,
                )
            )
    return tuple(sorted(found, key=lambda r: (r.security_group, r.port, str(r.peer_sg))))


# --- Rendering -----------------------------------------------------------------------


def _id(*parts: object) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", "_".join(str(p) for p in parts)).strip("_")


def _q(text: str) -> str:
    """A quoted Mermaid label (GitHub's Mermaid needs quotes around punctuation)."""
    return '"' + text.replace('"', "#quot;") + '"'


def _port(port: int) -> str:
    return f"{PORT_NAMES[port]} :{port}" if port in PORT_NAMES else f"TCP :{port}"


@dataclass(frozen=True)
class _Hop:
    """One allowed connection: ``source`` (None: the internet) to ``target``."""

    source: Node | None
    target: Node | str  # a gateway endpoint's node id when a string
    label: str
    rule: Rule


def _hops(model: Model) -> list[_Hop]:
    """Every allowed connection, in path order: internet first, then hop by hop."""
    owners: dict[Ref, list[Node]] = {}
    for p in model.nodes:
        for sg in p.security_groups:
            owners.setdefault(sg, []).append(p)
    gateways = {e.ref: _id("gw", e.service) for e in model.endpoints if e.kind == "Gateway"}
    hops = []
    for rule in model.rules:
        targets = owners.get(rule.security_group, [])
        if rule.peer_endpoint:  # egress to the S3 gateway's prefix list
            gateway = gateways[rule.peer_endpoint]
            hops += [_Hop(t, gateway, _port(rule.port), rule) for t in targets]
        elif rule.peer_cidr in INTERNET:
            hops += [_Hop(None, t, _port(rule.port), rule) for t in targets]
        elif rule.peer_sg:
            for source in owners.get(rule.peer_sg, []):
                hops += [_Hop(source, t, _label(model, source, t, rule), rule) for t in targets]
    rank: dict[str, int] = {}  # hops from the internet, breadth-first along the allowed hops
    frontier: list[Node | None] = [None]
    while frontier:
        frontier = [
            h.target
            for h in hops
            if h.source in frontier and isinstance(h.target, Node) and h.target.key not in rank
        ]
        depth = max(rank.values(), default=0) + 1
        rank.update({t.key: depth for t in frontier if t})

    def order(hop: _Hop) -> tuple[int, int, str, str]:
        target = hop.target.key if isinstance(hop.target, Node) else hop.target
        source = hop.source.key if hop.source else ""
        return (_dotted(hop), rank.get(target, len(model.nodes) + 1), target, source)

    return sorted(hops, key=order)


def _dotted(hop: _Hop) -> bool:
    """AWS API traffic (to endpoints), as opposed to the request path."""
    return not isinstance(hop.target, Node) or hop.target.key == "vpce"


def _label(model: Model, source: Node, target: Node, rule: Rule) -> str:
    # An ALB reaches its targets through a target group: show the group's protocol.
    shared = set(source.target_groups) & set(target.target_groups)
    if shared:
        group = model.target_groups[min(shared)]
        return f"{group.protocol} :{group.port}"
    return _port(rule.port)


def mermaid(model: Model) -> list[str]:
    """The flowchart, one line per element, in a stable order."""
    az_of = {s.ref: model.azs.index(s.az) + 1 for s in model.subnets}
    lines = [
        "flowchart TB",
        f"  internet([{_q('Internet')}])",
        f"  igw[{_q('Internet gateway<br/>' + model.igw_name)}]",
        f"  subgraph vpc[{_q(f'VPC {model.vpc_name} · {model.vpc_cidr}')}]",
    ]
    for n, az in enumerate(model.azs, start=1):
        lines.append(f"    subgraph az{n}[{_q(f'AZ {az}')}]")
        for subnet in (s for s in model.subnets if s.az == az):
            tier = "Public" if subnet.public else "Private"
            # One line: Mermaid draws a multi-line subgraph title over its first node.
            label = f"{tier} subnet {subnet.cidr}"
            lines.append(f"      subgraph {_id('sn', subnet.name)}[{_q(label)}]")
            lines += [
                f"        {p.key}_az{n}[{_q(p.label)}]"
                for p in model.nodes
                if subnet.ref in p.subnets
            ]
            lines.append("      end")
        lines.append("    end")
    for e in (e for e in model.endpoints if e.kind == "Gateway"):
        label = f"{e.service.upper()} gateway endpoint<br/>private route table"
        lines.append(f"    {_id('gw', e.service)}[{_q(label)}]")
    lines.append("  end")
    lines += _aws_services(model)
    lines += _edges(model, az_of)
    return lines


def _aws_nodes(model: Model) -> list[str]:
    """The regional services the endpoints lead to, as node names (``aws_<name>``)."""
    return sorted({AWS_NODES.get(e.service, _id(e.service)) for e in model.endpoints})


def _aws_services(model: Model) -> list[str]:
    labels = {
        "ecr": f"ECR repository<br/>{model.repository}",
        "logs": "CloudWatch Logs",
        "s3": "S3<br/>ECR image layers",
    }
    lines = [f"  subgraph aws[{_q('AWS services in the region')}]"]
    for node in _aws_nodes(model):
        shape = "[({})]" if node == "ecr" else "[{}]"
        lines.append(f"    aws_{node}" + shape.format(_q(labels.get(node, node))))
    return [*lines, "  end"]


def _edges(model: Model, az_of: Mapping[Ref, int]) -> list[str]:
    def azs(p: Node) -> list[int]:
        return sorted({az_of[s] for s in p.subnets})

    lines = []
    for hop in _hops(model):
        arrow = "-.->" if _dotted(hop) else "-->"
        label = _q(hop.label)
        if hop.source is None:
            assert isinstance(hop.target, Node)
            lines.append(f"  internet -->|{label}| igw")
            lines += [f"  igw --> {hop.target.key}_az{n}" for n in azs(hop.target)]
        elif isinstance(hop.target, str):
            lines += [
                f"  {hop.source.key}_az{n} {arrow}|{label}| {hop.target}" for n in azs(hop.source)
            ]
        else:
            # Drawn within each AZ; the ALBs also balance across AZs (see the text).
            shared = sorted(set(azs(hop.source)) & set(azs(hop.target)))
            lines += [
                f"  {hop.source.key}_az{n} {arrow}|{label}| {hop.target.key}_az{n}" for n in shared
            ]
    for n in azs(model.interface_endpoints):
        lines += [f"  vpce_az{n} -.-> aws_{s}" for s in _aws_nodes(model) if s != "s3"]
    gateways = sorted(_id("gw", e.service) for e in model.endpoints if e.kind == "Gateway")
    lines += [f"  {node} -.-> aws_s3" for node in gateways]
    return list(dict.fromkeys(lines))  # one line per edge, in first-seen order


def _chain_rows(model: Model) -> list[str]:
    """The security-group table, in the order a request crosses the groups."""
    rows = []
    for hop in _hops(model):
        if isinstance(hop.target, str):
            continue  # the S3 prefix-list egress rule is not an inbound rule
        group = model.security_groups.get(hop.rule.security_group, hop.rule.security_group[1])
        source = (
            f"internet (`{hop.rule.peer_cidr}`)"
            if hop.source is None
            else f"{hop.source.title} ({model.security_groups.get(hop.rule.peer_sg or ('', ''))})"
        )
        rows.append(f"| {source} | {hop.target.title} ({group}) | {_port(hop.rule.port)} |")
    return list(dict.fromkeys(rows))


# Per language: each key is one sentence, heading or table header (a format string).
PROSE: dict[str, dict[str, str]] = {
    "en": {
        "generated": "Generated by `make diagram` (tools/review/diagram.py) from the synthesized "
        "{env}-foundation and {env}-services stacks. Do not edit by hand.",
        "twin": "[日本語版](architecture.ja.md)",
        "title": "Architecture ({env})",
        "intro": (
            "Drawn from the synthesized Terraform JSON, so it shows what would be deployed.\n"
            "Each AZ gets its own ALB node and tasks. Solid arrows are the request path that the\n"
            "security groups allow (each ALB also balances across both AZs); dotted arrows are\n"
            "traffic to AWS APIs through the VPC endpoints (there is no NAT gateway)."
        ),
        "subnets": "Subnets",
        "subnet_head": "| Tier | AZ | CIDR | Name |",
        "lbs": "Load balancers and services",
        "lb_head": "| ALB | Scheme | Listener → target group | Health check |",
        "svc_head": "| ECS service | Launch type | Container port | Tasks | Target group |",
        "tg_note": "Target group names are shown without their hash suffix: the deployed name "
        "ends in `-` and 6 hex digits, a hash of the "
        "protocol, target type and VPC, so that a change to those replaces the group safely "
        "(constructs/load_balancer.py). The port shown is the one ECS registers the tasks "
        "at, the container port; a change to it rolls the tasks and keeps the group.",
        "chain": "Security-group chain",
        "chain_intro": "Each hop admits only the previous one (inbound rules, in path order):",
        "chain_head": "| From | To (security group) | Port |",
        "endpoints": "VPC endpoints and registry",
        "endpoint_head": "| Endpoint | Type |",
        "repository": "ECR repository: `{repository}`.",
    },
    "ja": {
        "generated": "`make diagram`（tools/review/diagram.py）が、合成済みの "
        "{env}-foundation と {env}-services スタックから生成しています。手で編集しないでください。",
        "twin": "[English](architecture.md)",
        "title": "アーキテクチャ（{env}）",
        "intro": (
            "合成された Terraform JSON から描いているので、実際にデプロイされる内容を示します。\n"
            "AZ ごとに ALB のノードとタスクがあります。実線の矢印はセキュリティグループが許可する\n"
            "リクエストの経路です（各 ALB は両方の AZ に振り分けもします）。点線の矢印は VPC\n"
            "エンドポイント経由の AWS API への通信です（NAT ゲートウェイはありません）。"
        ),
        "subnets": "サブネット",
        "subnet_head": "| 層 | AZ | CIDR | 名前 |",
        "lbs": "ロードバランサーとサービス",
        "lb_head": "| ALB | スキーム | リスナー → ターゲットグループ | ヘルスチェック |",
        "svc_head": "| ECS サービス | 起動タイプ | コンテナポート | タスク数 | "
        "ターゲットグループ |",
        "tg_note": "ターゲットグループ名はハッシュの接尾辞を省いて示しています。"
        "デプロイされる名前の末尾は `-` と 16 進 6 桁で、プロトコル、"
        "ターゲットタイプ、VPC のハッシュです。"
        "これらを変えたときにグループを安全に置き換えるためです"
        "（constructs/load_balancer.py）。示したポートは ECS がタスクを登録するポート、"
        "つまりコンテナポートです。これを変えるとタスクが入れ替わり、グループはそのまま残ります。",
        "chain": "セキュリティグループの連鎖",
        "chain_intro": "各ホップは直前のホップからの通信だけを受け付けます"
        "（インバウンドルール、経路順）:",
        "chain_head": "| 送信元 | 宛先（セキュリティグループ） | ポート |",
        "endpoints": "VPC エンドポイントとレジストリ",
        "endpoint_head": "| エンドポイント | 種類 |",
        "repository": "ECR リポジトリ: `{repository}`。",
    },
}


def render(model: Model, lang: str = "en") -> str:
    """The whole docs/architecture.md (``lang="en"``) or architecture.ja.md text."""
    text = PROSE[lang]
    lines = [
        f"<!-- {text['generated'].format(env=model.env)} -->",
        "",
        f"# {text['title'].format(env=model.env)}",
        "",
        text["twin"],
        "",
        text["intro"],
        "",
        "```mermaid",
        *mermaid(model),
        "```",
        "",
        f"## {text['subnets']}",
        "",
        text["subnet_head"],
        "|---|---|---|---|",
        *(
            f"| {'public' if s.public else 'private'} | {s.az} | `{s.cidr}` | {s.name} |"
            for s in model.subnets
        ),
        "",
        f"## {text['lbs']}",
        "",
        text["lb_head"],
        "|---|---|---|---|",
        *(lb.row for lb in model.albs),
        "",
        text["svc_head"],
        "|---|---|---|---|---|",
        *(s.row for s in model.services),
        "",
        text["tg_note"],
        "",
        f"## {text['chain']}",
        "",
        text["chain_intro"],
        "",
        text["chain_head"],
        "|---|---|---|",
        *_chain_rows(model),
        "",
        f"## {text['endpoints']}",
        "",
        text["endpoint_head"],
        "|---|---|",
        *(f"| `{e.service}` | {e.kind} |" for e in model.endpoints),
        "",
        text["repository"].format(repository=model.repository),
        "",
    ]
    return "\n".join(lines)


# --- Synthesizing and the command line ----------------------------------------------------


def generate(env: str, synth_dir: Path | None, langs: Iterable[str] = ("en",)) -> dict[str, str]:
    """The document for ``env`` in each of ``langs``, from ``synth_dir`` or a fresh synth."""
    if synth_dir is not None:
        model = load_model(synth_dir, env)
    else:
        with tempfile.TemporaryDirectory(prefix="diagram-synth-") as tmp:
            try:
                outdir = synthesize(Path(tmp), synth_settings(ENVS=env))
            except SynthError as exc:
                raise DiagramError(str(exc)) from None
            model = load_model(outdir, env)
    return {lang: render(model, lang) for lang in langs}


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.review.diagram", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--env", default=DEFAULT_ENV, help="environment (default: dev)")
    parser.add_argument("--synth-dir", type=Path, help="an existing cdktf.out (default: synth)")
    parser.add_argument(
        "--output",
        help="file to write, or - for stdout (default: docs/architecture.md and .ja.md)",
    )
    parser.add_argument(
        "--lang", choices=sorted(DOCS), default="en", help="language for --output (default: en)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if an output is stale")
    args = parser.parse_args(list(argv) if argv is not None else None)
    targets = {args.lang: args.output} if args.output else {k: str(v) for k, v in DOCS.items()}
    try:
        texts = generate(args.env, args.synth_dir, targets)
    except (DiagramError, OSError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stale = False
    for lang, target in targets.items():
        if target == "-":
            sys.stdout.write(texts[lang])
            continue
        output = Path(target)
        if args.check:
            current = output.read_text() if output.exists() else ""
            if current != texts[lang]:
                print(f"{output} is stale: run `make diagram`", file=sys.stderr)
                stale = True
            continue
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(texts[lang])
        print(f"wrote {output}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
