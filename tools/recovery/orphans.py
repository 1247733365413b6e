"""Orphans: resources that carry this environment's tags but are in no stack's state.

A deploy killed hard can leave what it created in its last seconds out of the state. The
scan: the Resource Groups Tagging API, plus per-service listings for what it does not cover.
A resource is in state when its ARN, or the id at the end of it, is an ``arn``/``id`` of a
resource in one of the app stacks' state files. ``doctor`` lists orphans, ``adopt`` imports
them at the address their ``ecs-learn:path`` tag names, ``purge`` deletes them
(docs/recovery.md).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name  # type: ignore[import-untyped]  # ships no type information

from config.naming import stack_name
from config.schema import PATH_TAG
from tools.deploy import commands
from tools.emulator.inventory import empty_bucket
from tools.recovery.context import (
    Context,
    RecoveryError,
    confirmed,
    ensure_init,
    ensure_synth,
    resolve,
)
from tools.recovery.locks import list_locks

PROJECT = "ecs-learn"


@dataclass(frozen=True)
class Tagged:
    """A resource found by its tags."""

    arn: str
    tags: dict[str, str]

    @property
    def stack(self) -> str:
        path = self.tags.get(PATH_TAG, "")
        return path.split("/", 1)[0] if path else self.tags.get("Stack", "")

    @property
    def kind(self) -> str:
        """``service:type``, e.g. ``iam:role``, ``ec2:security-group``."""
        parts = self.arn.split(":", 5)
        rest = parts[5] if len(parts) > 5 else ""
        kind = re.split(r"[/:]", rest, maxsplit=1)[0] if ("/" in rest or ":" in rest) else ""
        return f"{parts[2]}:{kind}" if len(parts) > 2 else self.arn

    @property
    def resource_id(self) -> str:
        """The id at the end of the ARN (``vpc-123``, ``my-role``, ``/ecs/x``, ``app/lb/123``)."""
        rest = self.arn.split(":", 5)[-1]
        if self.kind in ("logs:log-group", "cloudwatch:alarm"):
            return rest.split(":", 1)[1].removesuffix(":*")
        if self.kind == "s3:":
            return rest
        return rest.split("/", 1)[1] if "/" in rest else rest

    @property
    def name(self) -> str:
        """The user-chosen name of a named resource (empty for ec2 ids)."""
        rid = self.resource_id
        if self.kind.startswith("elasticloadbalancing:"):
            return rid.split("/")[-2] if rid.count("/") >= 1 else rid
        if self.kind == "ecs:task-definition":
            return rid.split(":")[0]
        if self.kind.startswith("ec2:") or self.kind == "kms:key":
            return ""
        return rid.split("/")[-1] if self.kind == "ecs:service" else rid


def _tags(items: Iterable[dict[str, Any]]) -> dict[str, str]:
    return {i["Key"]: i["Value"] for i in items}


def _items(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """The ``key`` items of every page of ``operation``."""
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page[key]


def _ours(tags: dict[str, str], env_name: str) -> bool:
    return tags.get("Project") == PROJECT and tags.get("Environment") == env_name


def tagged_resources(ctx: Context) -> list[Tagged]:
    """Every resource carrying ``Project=ecs-learn`` and ``Environment=<env>``."""
    found: dict[str, Tagged] = {}
    filters = [
        {"Key": "Project", "Values": [PROJECT]},
        {"Key": "Environment", "Values": [ctx.env_name]},
    ]
    api = ctx.client("resourcegroupstaggingapi")
    for mapping in _items(api, "get_resources", "ResourceTagMappingList", TagFilters=filters):
        arn = mapping["ResourceARN"].removesuffix(":*")
        found[arn] = Tagged(arn, _tags(mapping.get("Tags", [])))
    for item in _uncovered(ctx):
        found.setdefault(item.arn, item)
    return [t for t in found.values() if _ours(t.tags, ctx.env_name)]


def _uncovered(ctx: Context) -> Iterator[Tagged]:
    """What the tagging API does not list (moto, and partly AWS): IAM roles and policies,
    ECR repositories, VPC endpoints, security group rules, listeners, scalable targets,
    CloudWatch alarms."""
    account = ctx.client("sts").get_caller_identity()["Account"]
    prefix = f"arn:aws:ec2:{ctx.region}:{account}"
    ec2 = ctx.client("ec2")
    for ep in _items(ec2, "describe_vpc_endpoints", "VpcEndpoints"):
        if ep["State"].lower() not in ("deleted", "deleting"):
            yield Tagged(f"{prefix}:vpc-endpoint/{ep['VpcEndpointId']}", _tags(ep.get("Tags", [])))
    for rule in _items(ec2, "describe_security_group_rules", "SecurityGroupRules"):
        arn = f"{prefix}:security-group-rule/{rule['SecurityGroupRuleId']}"
        yield Tagged(arn, _tags(rule.get("Tags", [])))
    elbv2 = ctx.client("elbv2")
    for lb in _items(elbv2, "describe_load_balancers", "LoadBalancers"):
        listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        arns = [x["ListenerArn"] for x in listeners]
        for desc in elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"] if arns else []:
            yield Tagged(desc["ResourceArn"], _tags(desc.get("Tags", [])))
    scaling = ctx.client("application-autoscaling")
    for target in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
        arn = target.get("ScalableTargetARN")
        if arn:
            tags = scaling.list_tags_for_resource(ResourceARN=arn).get("Tags", {})
            yield Tagged(arn, dict(tags))
    iam = ctx.client("iam")
    ours = f"{PROJECT}-{ctx.env_name}"
    for role in _items(iam, "list_roles", "Roles"):
        # The CI roles (path /ci/) belong to the bootstrap, which keeps local state.
        if role["RoleName"].startswith(ours) and not role.get("Path", "/").startswith("/ci/"):
            tags = _tags(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", []))
            yield Tagged(role["Arn"], tags)
    for policy in _items(iam, "list_policies", "Policies", Scope="Local"):
        if policy["PolicyName"].startswith(ours):
            tags = _tags(iam.list_policy_tags(PolicyArn=policy["Arn"]).get("Tags", []))
            yield Tagged(policy["Arn"], tags)
    cloudwatch = ctx.client("cloudwatch")
    for alarm in _items(cloudwatch, "describe_alarms", "MetricAlarms", AlarmNamePrefix=f"{ours}-"):
        tags = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
        yield Tagged(alarm["AlarmArn"], _tags(tags))
    ecr = ctx.client("ecr")
    for repo in _items(ecr, "describe_repositories", "repositories"):
        tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags", [])
        yield Tagged(repo["repositoryArn"], _tags(tags))


def state_documents(ctx: Context, stacks: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each stack's current state file from the bucket (stacks without one are left out)."""
    s3, found = ctx.client("s3"), {}
    for stack in stacks:
        try:
            body = s3.get_object(Bucket=ctx.bucket, Key=ctx.state_key(stack))["Body"].read()
        except s3.exceptions.NoSuchKey:
            continue
        found[stack] = json.loads(body)
    return found


def managed_instances(
    states: dict[str, dict[str, Any]],
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(stack, resource, instance attributes) of every managed resource instance in ``states``."""
    for stack, state in states.items():
        for resource in state.get("resources", []):
            if resource.get("mode") == "managed":
                for instance in resource.get("instances", []):
                    yield stack, resource, instance.get("attributes") or {}


def state_ids(states: dict[str, dict[str, Any]]) -> set[str]:
    """Every ``arn`` and ``id`` attribute of every managed resource instance."""
    return {
        value.removesuffix(":*")
        for _, _, attrs in managed_instances(states)
        for value in (attrs.get("arn"), attrs.get("id"))
        if isinstance(value, str) and value
    }


def in_state(item: Tagged, ids: set[str]) -> bool:
    if item.kind == "ecs:task-definition":
        # State's ``id`` is the family: only the revision its ``arn`` names is in state.
        return item.arn in ids
    return item.arn in ids or item.resource_id in ids or (bool(item.name) and item.name in ids)


def deleted(ctx: Context, item: Tagged) -> bool:
    """Deleted, though still listed: AWS keeps ECS clusters, services and task definitions
    visible as INACTIVE for a while after they are deleted or deregistered."""
    ecs = ctx.client("ecs")
    if item.kind == "ecs:service":
        cluster = item.resource_id.split("/", 1)[0]
        found = ecs.describe_services(cluster=cluster, services=[item.arn])["services"]
        return not found or found[0]["status"] == "INACTIVE"
    if item.kind == "ecs:task-definition":
        definition = ecs.describe_task_definition(taskDefinition=item.arn)["taskDefinition"]
        return bool(definition["status"] != "ACTIVE")
    if item.kind == "ecs:cluster":
        found = ecs.describe_clusters(clusters=[item.arn])["clusters"]
        return not found or found[0]["status"] == "INACTIVE"
    return False


def find_orphans(ctx: Context) -> list[Tagged]:
    """Tagged resources of the environment that no stack's state holds (bootstrap excepted)."""
    boot = stack_name(ctx.env_name, "bootstrap")
    ids = state_ids(state_documents(ctx, ctx.app_stacks()))
    orphans = [
        t
        for t in tagged_resources(ctx)
        if t.stack != boot and not in_state(t, ids) and not deleted(ctx, t)
    ]
    return sorted(orphans, key=lambda t: (t.stack, t.kind, t.arn))


# --- adopt: import each orphan at the address its identity tag names ---

# Import ids (the provider's docs): these types import by ARN, most others by the
# id at the end of the ARN (vpc-..., sgr-..., a role or log group name).
_BY_ARN = {
    "aws_lb",
    "aws_lb_target_group",
    "aws_lb_listener",
    "aws_iam_policy",
    "aws_ecs_task_definition",
}
# Untagged children that exist only inside a parent: found through it, imported
# by the ids of parent and child. The other untagged types (inline role policies,
# lifecycle and scaling policies, bucket settings) are Put calls that a deploy
# simply repeats.
_REF = re.compile(r"^\$\{(aws_\w+\.[\w-]+)\.id\}$")
IMPORTS_FILE = "recover-imports.tf.json"


@dataclass(frozen=True)
class Declared:
    """A resource a synthesized stack declares, found by its construct path."""

    stack: str
    address: str
    body: dict[str, Any]

    @property
    def type(self) -> str:
        return self.address.split(".", 1)[0]


def declared(ctx: Context) -> dict[str, Declared]:
    """Every resource of the app stacks, by construct path (``//.metadata.path``)."""
    found: dict[str, Declared] = {}
    for stack in ctx.app_stacks():
        path = ctx.ws.stack_dir(stack) / "cdk.tf.json"
        if not path.is_file():
            continue
        for tf_type, resources in json.loads(path.read_text()).get("resource", {}).items():
            for name, body in resources.items():
                meta = body.get("//", {}).get("metadata", {}).get("path")
                if meta:
                    found[meta] = Declared(stack, f"{tf_type}.{name}", body)
    return found


def state_addresses(states: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """``{stack: {address: id}}`` of every managed resource in each state."""
    held: dict[str, dict[str, str]] = {}
    for stack, resource, attrs in managed_instances(states):
        if not resource.get("module"):
            address = f"{resource['type']}.{resource['name']}"
            held.setdefault(stack, {})[address] = str(attrs.get("id", ""))
    return held


def import_id(ctx: Context, item: Tagged, tf_type: str) -> str:
    """The id ``terraform import`` takes for ``item`` as a ``tf_type``."""
    if tf_type in _BY_ARN:
        return item.arn
    if tf_type == "aws_appautoscaling_target":
        scaling = ctx.client("application-autoscaling")
        for target in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
            if target.get("ScalableTargetARN") == item.arn:
                return f"ecs/{target['ResourceId']}/{target['ScalableDimension']}"
    return item.resource_id


@dataclass
class Recovery:
    """What ``make recover`` does with the orphans: import some, delete the rest."""

    imports: dict[str, dict[str, str]] = field(default_factory=dict)  # stack -> address -> id
    purge: list[tuple[Tagged, str]] = field(default_factory=list)  # (orphan, why)
    adopted: dict[str, str] = field(default_factory=dict)  # orphan ARN -> stack: address

    def count(self) -> int:
        return sum(len(v) for v in self.imports.values())


def plan_recovery(ctx: Context, found: list[Tagged]) -> Recovery:
    """Match each orphan to the address its ``ecs-learn:path`` tag names; the rest, and
    duplicates of what state already holds, are to be purged. Then the untagged children
    (route table associations, routes, KMS aliases) of what state holds or will hold."""
    decl = declared(ctx)
    held = state_addresses(state_documents(ctx, ctx.app_stacks()))
    plan = Recovery()
    for item in found:
        target = decl.get(item.tags.get(PATH_TAG, ""))
        if target is None:
            why = (
                f"no stack declares {item.tags[PATH_TAG]}"
                if PATH_TAG in item.tags
                else (f"no {PATH_TAG} tag")
            )
            plan.purge.append((item, why))
            continue
        wanted = plan.imports.setdefault(target.stack, {})
        if target.address in held.get(target.stack, {}) or target.address in wanted:
            plan.purge.append((item, f"a second {target.address}: one is in state already"))
            continue
        wanted[target.address] = import_id(ctx, item, target.type)
        plan.adopted[item.arn] = f"{target.stack}: {target.address}"
    ids = {a: i for stack in (*held.values(), *plan.imports.values()) for a, i in stack.items()}
    for target in decl.values():
        taken = {*held.get(target.stack, {}), *plan.imports.get(target.stack, {})}
        if target.address not in taken:
            child = _live_child(ctx, target, ids)
            if child:
                plan.imports.setdefault(target.stack, {})[target.address] = child
    plan.imports = {k: v for k, v in plan.imports.items() if v}
    return plan


def _live_child(ctx: Context, target: Declared, ids: dict[str, str]) -> str | None:
    """The import id of an untagged child that exists although no state holds it."""

    def ref(key: str) -> str | None:
        match = _REF.match(str(target.body.get(key, "")))
        return ids.get(match[1]) if match else None

    if target.type in ("aws_route_table_association", "aws_route"):
        table_id = ref("route_table_id")
        if not table_id:
            return None
        try:
            (table,) = ctx.client("ec2").describe_route_tables(RouteTableIds=[table_id])[
                "RouteTables"
            ]
        except Exception:  # the table is gone: nothing hangs off it
            return None
        subnet, cidr = ref("subnet_id"), target.body.get("destination_cidr_block")
        if target.type == "aws_route":
            routes = {r.get("DestinationCidrBlock") for r in table.get("Routes", [])}
            return f"{table_id}_{cidr}" if cidr in routes else None
        linked = {a.get("SubnetId") for a in table.get("Associations", [])}
        return f"{subnet}/{table_id}" if subnet and subnet in linked else None
    if target.type == "aws_kms_alias":
        name = target.body.get("name")
        aliases = ctx.client("kms").list_aliases()["Aliases"]
        return str(name) if any(a["AliasName"] == name for a in aliases) else None
    return None


def adopt(ctx: Context, plan: Recovery) -> None:
    """Import ``plan.imports`` stack by stack, in deploy order: ``import`` blocks and one
    targeted apply, which also finishes any setting of theirs the crash cut short."""
    for stack in ctx.app_stacks():
        todo = plan.imports.get(stack)
        if not todo:
            continue
        print(f"  {stack}: importing {len(todo)} resource(s)")
        ensure_init(ctx, stack)
        blocks = ctx.ws.stack_dir(stack) / IMPORTS_FILE
        blocks.write_text(json.dumps({"import": [{"to": a, "id": i} for a, i in todo.items()]}))
        log = ctx.ws.log(f"adopt-{stack}")
        args = ["apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=60s"]
        try:
            result = commands.terraform(
                ctx.ws, stack, [*args, *(f"-target={a}" for a in todo)], ctx.env, log=log
            )
        finally:
            blocks.unlink(missing_ok=True)
        if result.returncode != 0:
            raise RecoveryError(
                f"importing into {stack} failed:\n{commands.terraform_errors(result.output)}\n"
                f"(full log: {log})"
            )


# --- purge: delete orphans ---


# Orphans one boto3 call deletes: kind -> (client, method, parameter, by ARN (else by the
# id at its end)). On AWS the same call is shown as an ``aws`` CLI command.
_DELETE = {
    "ec2:vpc": ("ec2", "delete_vpc", "VpcId", False),
    "ec2:subnet": ("ec2", "delete_subnet", "SubnetId", False),
    "ec2:security-group": ("ec2", "delete_security_group", "GroupId", False),
    "ec2:internet-gateway": ("ec2", "delete_internet_gateway", "InternetGatewayId", False),
    "ec2:vpc-endpoint": ("ec2", "delete_vpc_endpoints", "VpcEndpointIds", False),
    "ec2:natgateway": ("ec2", "delete_nat_gateway", "NatGatewayId", False),
    "ec2:elastic-ip": ("ec2", "release_address", "AllocationId", False),
    "elasticloadbalancing:listener": ("elbv2", "delete_listener", "ListenerArn", True),
    "elasticloadbalancing:loadbalancer": ("elbv2", "delete_load_balancer", "LoadBalancerArn", True),
    "elasticloadbalancing:targetgroup": ("elbv2", "delete_target_group", "TargetGroupArn", True),
    "logs:log-group": ("logs", "delete_log_group", "logGroupName", False),
    "cloudwatch:alarm": ("cloudwatch", "delete_alarms", "AlarmNames", False),
    "ecs:cluster": ("ecs", "delete_cluster", "cluster", True),
    "ecs:task-definition": ("ecs", "deregister_task_definition", "taskDefinition", True),
    "iam:policy": ("iam", "delete_policy", "PolicyArn", True),
    "ecr:repository": ("ecr", "delete_repository", "repositoryName", False),
    "kms:key": ("kms", "schedule_key_deletion", "KeyId", False),
}
# What some of those calls take besides the resource (in the CLI command, before it).
_SETTINGS: dict[str, dict[str, Any]] = {
    "ecr:repository": {"force": True},
    "kms:key": {"PendingWindowInDays": 7},
}


def delete_commands(item: Tagged) -> list[str]:
    """The ``aws`` CLI commands that delete ``item`` (shown on AWS before anything runs)."""
    rid, kind = item.resource_id, item.kind
    if kind in _DELETE:
        client, method, parameter, by_arn = _DELETE[kind]
        args = {**_SETTINGS.get(kind, {}), parameter: item.arn if by_arn else rid}
        flags = [
            f"--{xform_name(k, '-')}" + ("" if v is True else f" {v}") for k, v in args.items()
        ]
        return [f"aws {client} {method.replace('_', '-')} {' '.join(flags)}"]
    if kind == "ec2:route-table":
        return [
            f"aws ec2 delete-route-table --route-table-id {rid}  # after disassociate-route-table"
        ]
    if kind == "ec2:security-group-rule":
        return [
            "aws ec2 revoke-security-group-ingress (or -egress) --group-id <its group> "
            f"--security-group-rule-ids {rid}"
        ]
    if kind == "s3:":
        return [f"aws s3 rb --force s3://{rid}"]
    if kind == "ecs:service":
        cluster, service = rid.split("/", 1) if "/" in rid else ("", rid)
        return [f"aws ecs delete-service --force --cluster {cluster} --service {service}"]
    if kind == "iam:role":
        return [
            f"aws iam list-attached-role-policies --role-name {rid}  # detach each",
            f"aws iam list-role-policies --role-name {rid}  # delete each inline policy",
            f"aws iam delete-role --role-name {rid}",
        ]
    return [f"# no delete command known for {item.arn}"]


def _delete(ctx: Context, item: Tagged) -> None:
    """Delete one orphan through boto3 (used on the emulator, or on AWS with AUTO_APPROVE=1)."""
    rid, kind = item.resource_id, item.kind
    ec2 = ctx.client("ec2")
    if kind == "iam:role":
        iam = ctx.client("iam")
        for p in iam.list_attached_role_policies(RoleName=rid)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=rid, PolicyArn=p["PolicyArn"])
        for name in iam.list_role_policies(RoleName=rid)["PolicyNames"]:
            iam.delete_role_policy(RoleName=rid, PolicyName=name)
        iam.delete_role(RoleName=rid)
    elif kind == "ecs:service":
        cluster, service = rid.split("/", 1)
        ctx.client("ecs").delete_service(cluster=cluster, service=service, force=True)
    elif kind == "s3:":
        if ctx.endpoint:
            empty_bucket(ctx.endpoint, ctx.region, rid)
        ctx.client("s3").delete_bucket(Bucket=rid)
    elif kind == "ec2:route-table":
        (table,) = ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"]
        for assoc in table.get("Associations", []):
            if not assoc.get("Main"):
                ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
        ec2.delete_route_table(RouteTableId=rid)
    elif kind == "ec2:internet-gateway":
        for a in ec2.describe_internet_gateways(InternetGatewayIds=[rid])["InternetGateways"][
            0
        ].get("Attachments", []):
            ec2.detach_internet_gateway(InternetGatewayId=rid, VpcId=a["VpcId"])
        ec2.delete_internet_gateway(InternetGatewayId=rid)
    elif kind == "ec2:security-group-rule":
        (rule,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])[
            "SecurityGroupRules"
        ]
        revoke = (
            ec2.revoke_security_group_egress
            if rule["IsEgress"]
            else ec2.revoke_security_group_ingress
        )
        revoke(GroupId=rule["GroupId"], SecurityGroupRuleIds=[rid])
    elif kind == "application-autoscaling:scalable-target":
        scaling = ctx.client("application-autoscaling")
        for target in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
            if target.get("ScalableTargetARN") == item.arn:
                scaling.deregister_scalable_target(
                    ServiceNamespace="ecs",
                    ResourceId=target["ResourceId"],
                    ScalableDimension=target["ScalableDimension"],
                )
    elif kind in _DELETE:
        client, method, parameter, by_arn = _DELETE[kind]
        value = item.arn if by_arn else rid
        plural = parameter.endswith("s")  # VpcEndpointIds, AlarmNames: a list
        arguments = {**_SETTINGS.get(kind, {}), parameter: [value] if plural else value}
        getattr(ctx.client(client), method)(**arguments)
    else:
        raise RecoveryError(f"no way to delete {item.arn} is known; delete it by hand")


# Dependents first: services before clusters, load balancers before target groups,
# everything in a VPC before the VPC.
_ORDER = (
    "application-autoscaling:scalable-target",
    "ecs:service",
    "cloudwatch:alarm",
    "elasticloadbalancing:listener",
    "application-autoscaling",
    "elasticloadbalancing:loadbalancer",
    "elasticloadbalancing:targetgroup",
    "ecs:task-definition",
    "ecs:cluster",
    "ec2:vpc-endpoint",
    "ec2:natgateway",
    "ec2:security-group-rule",
    "ec2:security-group",
    "ec2:route-table",
    "ec2:subnet",
    "ec2:internet-gateway",
    "ec2:vpc",
)


def _rank(item: Tagged) -> int:
    return next((i for i, k in enumerate(_ORDER) if item.kind.startswith(k)), -1)


def purge(ctx: Context, orphans: list[Tagged], *, yes: bool) -> int:
    if ctx.aws and not yes:
        print("not deleting on AWS without AUTO_APPROVE=1; the commands would be:")
        for item in orphans:
            print("\n".join(f"  {c}" for c in delete_commands(item)))
        return 1
    failed = 0
    for item in sorted(orphans, key=_rank):
        try:
            _delete(ctx, item)
            print(f"  deleted {item.arn}")
        except Exception as exc:
            print(f"  could not delete {item.arn}: {exc}")
            failed += 1
    return 1 if failed else 0


def report(ctx: Context, orphans: list[Tagged], plan: Recovery) -> str:
    if not orphans:
        return f"no orphans: every resource tagged Environment={ctx.env_name} is in a stack's state"
    purged = {item.arn: why for item, why in plan.purge}
    lines = [f"{len(orphans)} orphan(s): tagged Environment={ctx.env_name}, in no stack's state:"]
    for item in orphans:
        found = plan.adopted.get(item.arn)
        way = (
            f"adopt: import as {found}"
            if found
            else f"delete ({purged.get(item.arn, 'not adoptable')}): {delete_commands(item)[-1]}"
        )
        lines.append(f"  {item.stack or '?':<16} {item.kind:<36} {item.arn}\n      {way}")
    lines.append(f"Adopt what can be, delete the rest: {ctx.make('recover')}")
    return "\n".join(lines)


def preflight(env_name: str) -> str:
    """Before ``make deploy``/``destroy``: the leftovers of an interrupted run ('' if none)."""
    try:
        ctx = resolve(env_name)
        locks, found = list_locks(ctx), find_orphans(ctx)
    except Exception as exc:  # e.g. no tag:GetResources permission: warn, never block
        if "NoSuchBucket" in str(exc):  # nothing was ever deployed: nothing was left
            return ""
        print(f"warning: leftover check skipped ({exc}); `make doctor` runs it alone")
        return ""
    if not locks and not found:
        return ""
    what = ", ".join(
        f"{n} {noun}" for n, noun in ((len(locks), "state lock(s)"), (len(found), "orphan(s)")) if n
    )
    return f"an interrupted run left {what}; run: {ctx.make('recover')}"


def refuse_if_locked(ctx: Context) -> None:
    """adopt and purge change state and resources: not while a lock is held, stale or not."""
    locks = list_locks(ctx)
    if locks:
        held = "; ".join(lock.describe() for lock in locks)
        raise RecoveryError(
            f"{held}. Release stale locks first: {ctx.make('recover')} does it, then adopts"
        )


def main(ctx: Context, action: str, *, yes: bool) -> int:
    ensure_synth(ctx)
    if action != "doctor":
        refuse_if_locked(ctx)
    orphans = find_orphans(ctx)
    plan = plan_recovery(ctx, orphans)
    print(report(ctx, orphans, plan))
    if action == "doctor":
        return 1 if orphans else 0
    if action == "purge":
        return purge(ctx, orphans, yes=yes)
    if plan.imports:
        if not confirmed(ctx, f"Import {plan.count()} resource(s) into their stacks on AWS?", yes):
            return 1
        adopt(ctx, plan)
    if plan.purge:
        print(f"{len(plan.purge)} cannot be adopted; {ctx.make('purge')} deletes them")
    return 1 if plan.purge else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use python -m tools.recovery")
