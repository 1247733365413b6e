"""docs/architecture.md and its Japanese twin: a Mermaid diagram drawn from an
environment's synthesized stacks.

    python -m tools.review.diagram                # synthesize dev in a temp dir, write both docs
    python -m tools.review.diagram --synth-dir cdktf.out --env prod --lang ja --output -
    python -m tools.review.diagram --check        # exit 1 if a committed doc is stale

Everything shown comes from ``<env>-foundation`` and ``<env>-services``
``cdk.tf.json``: the VPC and subnets (tier from the route tables), both ALBs with
their listeners and target groups, the ECS services, the VPC endpoints, the ECR
repository, and the traffic path, which follows the security-group rules.
The output depends only on those resources (sorted), so it is deterministic.
Both languages draw the same diagram and tables; only the prose and headings differ.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.naming import stack_name
from tools.synthesize import SynthError, synthesize

ROOT = Path(__file__).resolve().parents[2]
DOCS = {"en": ROOT / "docs" / "architecture.md", "ja": ROOT / "docs" / "architecture.ja.md"}
DOC = DOCS["en"]
DEFAULT_ENV = "dev"
REF = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}")
REMOTE = re.compile(r"\$\{data\.terraform_remote_state\.([A-Za-z0-9_-]+)\.outputs\.([^}]+)\}")
REMOTE_PREFIX = "cross-stack-reference-input-"
AWS_NODES = {"ecr.api": "ecr", "ecr.dkr": "ecr", "logs": "logs", "s3": "s3"}
PORT_NAMES = {80: "HTTP", 443: "HTTPS"}
INTERNET = ("0.0.0.0/0", "::/0")


class DiagramError(ValueError):
    """The synthesized stacks are missing or lack what the diagram needs."""


# --- Reading the synthesized stacks -------------------------------------------------


Ref = tuple[str, str]  # (terraform type, resource name) in the foundation stack


@dataclass(frozen=True)
class Stacks:
    """The parsed ``cdk.tf.json`` of every stack in a cdktf.out directory."""

    docs: Mapping[str, dict[str, Any]]

    def resources(self, stack: str, tf_type: str) -> dict[str, dict[str, Any]]:
        return dict(sorted(self.docs[stack].get("resource", {}).get(tf_type, {}).items()))

    def resolve(self, stack: str, value: object) -> tuple[str, Ref]:
        """The resource a reference points at, following cdktf cross-stack outputs."""
        text = str(value)
        remote = REMOTE.fullmatch(text)
        if remote:
            source = remote[1].removeprefix(REMOTE_PREFIX)
            output = self.docs.get(source, {}).get("output", {}).get(remote[2])
            if output is None:
                raise DiagramError(f"{stack}: {text} names no output of stack {source!r}")
            return self.resolve(source, output["value"])
        local = REF.fullmatch(text)
        if not local:
            raise DiagramError(f"{stack}: {text!r} is not a plain resource reference")
        return stack, (local[1], local[2])

    def ref(self, stack: str, value: object) -> Ref:
        return self.resolve(stack, value)[1]


def load_stacks(synth_dir: Path) -> Stacks:
    """Every ``stacks/*/cdk.tf.json`` under ``synth_dir`` (a cdktf.out directory)."""
    files = sorted(synth_dir.glob("stacks/*/cdk.tf.json"))
    if not files:
        raise DiagramError(f"{synth_dir}: no stacks/*/cdk.tf.json; synthesize first")
    return Stacks({f.parent.name: json.loads(f.read_text()) for f in files})


# --- The model ------------------------------------------------------------------------


@dataclass(frozen=True)
class Subnet:
    ref: Ref
    name: str
    cidr: str
    az: str
    public: bool


@dataclass(frozen=True)
class LoadBalancer:
    ref: Ref
    name: str
    internal: bool
    subnets: tuple[Ref, ...]
    security_groups: tuple[Ref, ...]
    listeners: tuple[str, ...]  # "HTTP :80 → ecs-learn-dev-frontend :3000"
    target_groups: tuple[Ref, ...]


@dataclass(frozen=True)
class TargetGroup:
    name: str
    protocol: str
    port: int
    health_check_path: str


@dataclass(frozen=True)
class Service:
    ref: Ref
    name: str
    launch_type: str
    subnets: tuple[Ref, ...]
    security_groups: tuple[Ref, ...]
    target_groups: tuple[Ref, ...]
    container_port: int
    tasks: str  # "2–4" with autoscaling, else the desired count


@dataclass(frozen=True)
class Endpoint:
    ref: Ref
    service: str  # "ecr.dkr", "s3", ...
    kind: str  # Interface | Gateway
    subnets: tuple[Ref, ...]
    security_groups: tuple[Ref, ...]


@dataclass(frozen=True)
class Rule:
    """An ingress rule, or an egress rule to a prefix list (the S3 gateway)."""

    security_group: Ref
    port: int
    peer_sg: Ref | None
    peer_cidr: str | None
    peer_endpoint: Ref | None
    description: str


@dataclass(frozen=True)
class Model:
    env: str
    vpc_name: str
    vpc_cidr: str
    igw_name: str | None
    subnets: tuple[Subnet, ...]
    load_balancers: tuple[LoadBalancer, ...]
    target_groups: Mapping[Ref, TargetGroup]
    services: tuple[Service, ...]
    endpoints: tuple[Endpoint, ...]
    repository: str
    security_groups: Mapping[Ref, str]  # ref -> name
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def azs(self) -> tuple[str, ...]:
        return tuple(sorted({s.az for s in self.subnets}))


def load_model(synth_dir: Path, env: str = DEFAULT_ENV) -> Model:
    """The architecture of ``env`` as synthesized in ``synth_dir``."""
    stacks = load_stacks(synth_dir)
    fnd, svc = stack_name(env, "foundation"), stack_name(env, "services")
    for name in (fnd, svc):
        if name not in stacks.docs:
            raise DiagramError(
                f"{synth_dir}: no synthesized stack {name}; have {sorted(stacks.docs)}"
            )
    vpcs = stacks.resources(fnd, "aws_vpc")
    if len(vpcs) != 1:
        raise DiagramError(f"{fnd}: expected one aws_vpc, found {len(vpcs)}")
    (vpc,) = vpcs.values()
    igws = stacks.resources(fnd, "aws_internet_gateway")
    return Model(
        env=env,
        vpc_name=vpc.get("tags", {}).get("Name", "VPC"),
        vpc_cidr=vpc["cidr_block"],
        igw_name=next((g.get("tags", {}).get("Name", "IGW") for g in igws.values()), None),
        subnets=_subnets(stacks, fnd),
        load_balancers=_load_balancers(stacks, fnd),
        target_groups={
            ("aws_lb_target_group", k): TargetGroup(
                _without_hash(t["name"]), t["protocol"], int(t["port"]), t["health_check"]["path"]
            )
            for k, t in stacks.resources(fnd, "aws_lb_target_group").items()
        },
        services=_services(stacks, svc),
        endpoints=_endpoints(stacks, fnd),
        repository=", ".join(
            r["name"] for r in stacks.resources(fnd, "aws_ecr_repository").values()
        ),
        security_groups={
            ("aws_security_group", k): g.get("tags", {}).get("Name") or g["name"]
            for k, g in stacks.resources(fnd, "aws_security_group").items()
        },
        rules=_rules(stacks, fnd),
    )


def _without_hash(name: str) -> str:
    """A target group name without its ``-<6 hex>`` suffix, which only exists to make
    replacements safe (constructs/load_balancer.py) and would churn the diagram."""
    return re.sub(r"-[0-9a-f]{6}$", "", name)


def _subnets(stacks: Stacks, fnd: str) -> tuple[Subnet, ...]:
    # A subnet is public when its route table sends traffic to an internet gateway.
    public_tables = {
        stacks.ref(fnd, r["route_table_id"])
        for r in stacks.resources(fnd, "aws_route").values()
        if "aws_internet_gateway." in str(r.get("gateway_id", ""))
    }
    public = {
        stacks.ref(fnd, a["subnet_id"])
        for a in stacks.resources(fnd, "aws_route_table_association").values()
        if stacks.ref(fnd, a["route_table_id"]) in public_tables
    }
    found = [
        Subnet(
            ref=("aws_subnet", k),
            name=s.get("tags", {}).get("Name", k),
            cidr=s["cidr_block"],
            az=s["availability_zone"],
            public=("aws_subnet", k) in public,
        )
        for k, s in stacks.resources(fnd, "aws_subnet").items()
    ]
    return tuple(sorted(found, key=lambda s: (not s.public, s.az, s.cidr)))


def _load_balancers(stacks: Stacks, fnd: str) -> tuple[LoadBalancer, ...]:
    groups = stacks.resources(fnd, "aws_lb_target_group")
    found = []
    for key, lb in stacks.resources(fnd, "aws_lb").items():
        ref = ("aws_lb", key)
        listeners, tgs = [], []
        for listener in stacks.resources(fnd, "aws_lb_listener").values():
            if stacks.ref(fnd, listener["load_balancer_arn"]) != ref:
                continue
            for action in listener["default_action"]:
                head = f"{listener['protocol']} :{listener['port']}"
                if action["type"] == "forward":
                    tg = stacks.ref(fnd, action["target_group_arn"])
                    tgs.append(tg)
                    group = groups[tg[1]]
                    listeners.append(f"{head} → {_without_hash(group['name'])} :{group['port']}")
                else:
                    listeners.append(f"{head} → {action['type']}")
        found.append(
            LoadBalancer(
                ref=ref,
                name=lb["name"],
                internal=bool(lb["internal"]),
                subnets=tuple(stacks.ref(fnd, s) for s in lb["subnets"]),
                security_groups=tuple(stacks.ref(fnd, g) for g in lb["security_groups"]),
                listeners=tuple(sorted(listeners)),
                target_groups=tuple(sorted(set(tgs))),
            )
        )
    return tuple(sorted(found, key=lambda lb: (lb.internal, lb.name)))


def _services(stacks: Stacks, svc: str) -> tuple[Service, ...]:
    scaling = {
        m[1]: f"{t['min_capacity']}–{t['max_capacity']}"
        for t in stacks.resources(svc, "aws_appautoscaling_target").values()
        for m in re.finditer(r"\$\{aws_ecs_service\.([A-Za-z0-9_-]+)\.name\}", t["resource_id"])
    }
    found = []
    for key, s in stacks.resources(svc, "aws_ecs_service").items():
        net = s["network_configuration"]
        balancers = s.get("load_balancer", [])
        found.append(
            Service(
                ref=("aws_ecs_service", key),
                name=s["name"],
                launch_type=s.get("launch_type", "FARGATE"),
                subnets=tuple(stacks.ref(svc, x) for x in net["subnets"]),
                security_groups=tuple(stacks.ref(svc, x) for x in net["security_groups"]),
                target_groups=tuple(stacks.ref(svc, b["target_group_arn"]) for b in balancers),
                container_port=int(balancers[0]["container_port"]) if balancers else 0,
                tasks=scaling.get(key, str(s.get("desired_count", "?"))),
            )
        )
    return tuple(sorted(found, key=lambda s: s.name))


def _endpoints(stacks: Stacks, fnd: str) -> tuple[Endpoint, ...]:
    found = [
        Endpoint(
            ref=("aws_vpc_endpoint", k),
            service=e["service_name"].split(".", 3)[-1],  # com.amazonaws.<region>.<service>
            kind=e.get("vpc_endpoint_type", "Gateway"),
            subnets=tuple(stacks.ref(fnd, x) for x in e.get("subnet_ids", [])),
            security_groups=tuple(stacks.ref(fnd, x) for x in e.get("security_group_ids", [])),
        )
        for k, e in stacks.resources(fnd, "aws_vpc_endpoint").items()
    ]
    return tuple(sorted(found, key=lambda e: (e.kind, e.service)))


def _rules(stacks: Stacks, fnd: str) -> tuple[Rule, ...]:
    found = []
    for direction in ("ingress", "egress"):
        for rule in stacks.resources(fnd, f"aws_vpc_security_group_{direction}_rule").values():
            prefix_list = rule.get("prefix_list_id")
            endpoint = _endpoint_of(stacks, fnd, prefix_list)
            if direction == "egress" and not endpoint:
                continue  # every other egress rule mirrors an ingress rule
            found.append(
                Rule(
                    security_group=stacks.ref(fnd, rule["security_group_id"]),
                    port=int(rule["from_port"]),
                    peer_sg=(
                        stacks.ref(fnd, rule["referenced_security_group_id"])
                        if rule.get("referenced_security_group_id")
                        else None
                    ),
                    peer_cidr=rule.get("cidr_ipv4"),
                    peer_endpoint=endpoint,
                    description=rule.get("description", ""),
                )
            )
    return tuple(sorted(found, key=lambda r: (r.security_group, r.port, str(r.peer_sg))))


def _endpoint_of(stacks: Stacks, fnd: str, prefix_list: object) -> Ref | None:
    """The gateway endpoint behind ``${aws_vpc_endpoint.X.prefix_list_id}``, if that is it."""
    match = REF.fullmatch(str(prefix_list or ""))
    if match and match[1] == "aws_vpc_endpoint":
        return stacks.ref(fnd, prefix_list)
    return None


# --- Rendering -----------------------------------------------------------------------


def _id(*parts: object) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", "_".join(str(p) for p in parts)).strip("_")


def _q(text: str) -> str:
    """A quoted Mermaid label (GitHub's Mermaid needs quotes around punctuation)."""
    return '"' + text.replace('"', "#quot;") + '"'


def _port(port: int) -> str:
    return f"{PORT_NAMES[port]} :{port}" if port in PORT_NAMES else f"TCP :{port}"


@dataclass(frozen=True)
class _Placed:
    """Something drawn once per AZ it has a subnet in: an ALB, a service, the endpoints."""

    key: str
    title: str
    label: str
    subnets: tuple[Ref, ...]
    security_groups: tuple[Ref, ...]
    target_groups: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class _Hop:
    """One allowed connection: ``source`` (None: the internet) to ``target`` on ``port``."""

    source: _Placed | None
    target: _Placed | str  # a gateway endpoint's node id when a string
    label: str
    rule: Rule


def _placed(model: Model) -> list[_Placed]:
    placed = []
    for lb in model.load_balancers:
        title = f"{'Internal' if lb.internal else 'External'} ALB"
        placed.append(
            _Placed(
                key=_id("alb", lb.name),
                title=title,
                label=f"{title}<br/>{lb.name}",
                subnets=lb.subnets,
                security_groups=lb.security_groups,
                target_groups=lb.target_groups,
            )
        )
    for s in model.services:
        placed.append(
            _Placed(
                key=_id("svc", s.name),
                title=f"ECS service {s.name}",
                label=f"ECS service {s.name}<br/>{s.launch_type.title()} task :{s.container_port}",
                subnets=s.subnets,
                security_groups=s.security_groups,
                target_groups=s.target_groups,
            )
        )
    interface = [e for e in model.endpoints if e.kind == "Interface"]
    if interface:
        placed.append(
            _Placed(
                key="vpce",
                title="Interface endpoints",
                label="Interface endpoints<br/>" + " · ".join(e.service for e in interface),
                subnets=tuple(sorted({s for e in interface for s in e.subnets})),
                security_groups=tuple(sorted({g for e in interface for g in e.security_groups})),
            )
        )
    return placed


def _hops(model: Model, placed: list[_Placed]) -> list[_Hop]:
    """Every allowed connection, in path order: internet first, then hop by hop."""
    owners: dict[Ref, list[_Placed]] = {}
    for p in placed:
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
    rank: dict[str, int] = {}
    frontier: list[_Placed | None] = [None]
    depth = 0
    while frontier:  # breadth-first from the internet along the allowed hops
        nxt = [
            h.target
            for h in hops
            if h.source in frontier and isinstance(h.target, _Placed) and h.target.key not in rank
        ]
        for target in nxt:
            rank.setdefault(target.key, depth + 1)
        frontier, depth = list(dict.fromkeys(nxt)), depth + 1

    def order(hop: _Hop) -> tuple[int, int, str, str]:
        target = hop.target.key if isinstance(hop.target, _Placed) else hop.target
        source = hop.source.key if hop.source else ""
        return (_dotted(hop), rank.get(target, len(placed) + 1), target, source)

    return sorted(hops, key=order)


def _dotted(hop: _Hop) -> bool:
    """AWS API traffic (to endpoints), as opposed to the request path."""
    return not isinstance(hop.target, _Placed) or hop.target.key == "vpce"


def _label(model: Model, source: _Placed, target: _Placed, rule: Rule) -> str:
    # An ALB reaches its targets through a target group: show the group's protocol.
    shared = set(source.target_groups) & set(target.target_groups)
    if shared:
        group = model.target_groups[min(shared)]
        return f"{group.protocol} :{group.port}"
    return _port(rule.port)


def mermaid(model: Model) -> list[str]:
    """The flowchart, one line per element, in a stable order."""
    placed = _placed(model)
    az_of = {s.ref: i + 1 for i, az in enumerate(model.azs) for s in model.subnets if s.az == az}
    lines = ["flowchart TB", f"  internet([{_q('Internet')}])"]
    if model.igw_name:
        lines.append(f"  igw[{_q('Internet gateway<br/>' + model.igw_name)}]")
    lines.append(f"  subgraph vpc[{_q(f'VPC {model.vpc_name} · {model.vpc_cidr}')}]")
    for n, az in enumerate(model.azs, start=1):
        lines.append(f"    subgraph az{n}[{_q(f'AZ {az}')}]")
        for subnet in (s for s in model.subnets if s.az == az):
            tier = "Public" if subnet.public else "Private"
            # One line: Mermaid draws a multi-line subgraph title over its first node.
            label = f"{tier} subnet {subnet.cidr}"
            lines.append(f"      subgraph {_id('sn', subnet.name)}[{_q(label)}]")
            lines += [
                f"        {p.key}_az{n}[{_q(p.label)}]" for p in placed if subnet.ref in p.subnets
            ]
            lines.append("      end")
        lines.append("    end")
    for e in (e for e in model.endpoints if e.kind == "Gateway"):
        label = f"{e.service.upper()} gateway endpoint<br/>private route table"
        lines.append(f"    {_id('gw', e.service)}[{_q(label)}]")
    lines.append("  end")
    lines += _aws_services(model)
    lines += _edges(model, placed, az_of)
    return lines


def _aws_services(model: Model) -> list[str]:
    wanted = sorted({AWS_NODES.get(e.service, _id(e.service)) for e in model.endpoints})
    labels = {
        "ecr": f"ECR repository<br/>{model.repository}",
        "logs": "CloudWatch Logs",
        "s3": "S3<br/>ECR image layers",
    }
    lines = [f"  subgraph aws[{_q('AWS services in the region')}]"]
    for node in wanted:
        shape = "[({})]" if node == "ecr" else "[{}]"
        lines.append(f"    aws_{node}" + shape.format(_q(labels.get(node, node))))
    return [*lines, "  end"]


def _edges(model: Model, placed: list[_Placed], az_of: Mapping[Ref, int]) -> list[str]:
    def azs(p: _Placed) -> list[int]:
        return sorted({az_of[s] for s in p.subnets})

    lines = []
    for hop in _hops(model, placed):
        arrow = "-.->" if _dotted(hop) else "-->"
        label = _q(hop.label)
        if hop.source is None:
            assert isinstance(hop.target, _Placed)
            entry = "igw" if model.igw_name else "internet"
            if model.igw_name:
                lines.append(f"  internet -->|{label}| igw")
            lines += [f"  {entry} --> {hop.target.key}_az{n}" for n in azs(hop.target)]
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
    vpce = next((p for p in placed if p.key == "vpce"), None)
    if vpce:
        services = sorted({AWS_NODES.get(e.service, _id(e.service)) for e in model.endpoints})
        for n in azs(vpce):
            lines += [f"  vpce_az{n} -.-> aws_{s}" for s in services if s != "s3"]
    gateways = sorted(_id("gw", e.service) for e in model.endpoints if e.kind == "Gateway")
    lines += [f"  {node} -.-> aws_s3" for node in gateways]
    return list(dict.fromkeys(lines))  # one line per edge, in first-seen order


def _chain_rows(model: Model, placed: list[_Placed]) -> list[str]:
    """The security-group table, in the order a request crosses the groups."""
    rows = []
    for hop in _hops(model, placed):
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
    placed = _placed(model)
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
        *(
            f"| {lb.name} | {'internal' if lb.internal else 'internet-facing'} | "
            f"{'<br>'.join(lb.listeners)} | "
            + ", ".join(f"`{model.target_groups[t].health_check_path}`" for t in lb.target_groups)
            + " |"
            for lb in model.load_balancers
        ),
        "",
        text["svc_head"],
        "|---|---|---|---|---|",
        *(
            f"| {s.name} | {s.launch_type} | {s.container_port} | {s.tasks} | "
            + ", ".join(model.target_groups[t].name for t in s.target_groups)
            + " |"
            for s in model.services
        ),
        "",
        f"## {text['chain']}",
        "",
        text["chain_intro"],
        "",
        text["chain_head"],
        "|---|---|---|",
        *_chain_rows(model, placed),
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


def diagram_settings(env: str) -> dict[str, str]:
    """Settings for the diagram's synth. They only change names and versions the
    diagram does not show; they are pinned so the caller's shell cannot change it."""
    return {"ENVS": env, "TARGET": "aws", "TF_STATE_BUCKET": "diagram-placeholder"}


def generate(env: str, synth_dir: Path | None, langs: Iterable[str] = ("en",)) -> dict[str, str]:
    """The document for ``env`` in each of ``langs``, from ``synth_dir`` or a fresh synth."""
    if synth_dir is not None:
        model = load_model(synth_dir, env)
    else:
        with tempfile.TemporaryDirectory(prefix="diagram-synth-") as tmp:
            try:
                outdir = synthesize(Path(tmp), diagram_settings(env))
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
