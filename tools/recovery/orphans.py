"""Orphans: resources that carry this environment's tags but are in no stack's state.

Every resource the stacks create carries the provider's default tags
(``Project=ecs-learn``, ``Environment=<env>``, ``ManagedBy=cdktf``,
``Stack=<stack>``). A deploy killed hard can leave resources it created in
its last seconds out of the state (Terraform writes state when an apply ends,
on a clean interrupt, and at most every 20 s in between). They cost money and
a re-apply collides with the named ones (an IAM role, a log group, an ALB ...).

The scan: the Resource Groups Tagging API (on the emulator, moto answers it for
EC2, ELBv2, ECS, Logs, S3 and KMS), plus per-service listings for the types it
does not cover (IAM roles and policies, ECR repositories). A resource is in
state when its ARN, or the id at the end of its ARN, is an ``arn``/``id``
attribute of a resource in one of the environment's state files. The
bootstrap stack (the state bucket, local state) is never an orphan.

``doctor`` lists orphans; ``adopt`` imports the named ones into their stack
(``terraform import`` of the matching resource in the synthesized stack);
``purge`` deletes them (emulator: at once; AWS: prints the commands unless
AUTO_APPROVE=1).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from config.naming import stack_name
from tools.deploy import commands
from tools.emulator.inventory import empty_bucket
from tools.recovery.context import Context, RecoveryError, ensure_init, ensure_synth, resolve

PROJECT = "ecs-learn"


@dataclass(frozen=True)
class Tagged:
    """A resource found by its tags."""

    arn: str
    tags: dict[str, str]

    @property
    def stack(self) -> str:
        return self.tags.get("Stack", "")

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
        if self.kind == "logs:log-group":
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


def _tags(
    items: Iterable[dict[str, Any]], key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    return {i[key]: i[value] for i in items}


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
    for page in api.get_paginator("get_resources").paginate(TagFilters=filters):
        for item in page["ResourceTagMappingList"]:
            arn = item["ResourceARN"].removesuffix(":*")
            found[arn] = Tagged(arn, _tags(item.get("Tags", [])))
    for item in _uncovered(ctx):
        found.setdefault(item.arn, item)
    return [t for t in found.values() if _ours(t.tags, ctx.env_name)]


def _uncovered(ctx: Context) -> Iterator[Tagged]:
    """What the tagging API does not list (moto, and partly AWS): IAM roles and policies,
    ECR repositories, VPC endpoints, security group rules, listeners, scalable targets."""
    account = ctx.client("sts").get_caller_identity()["Account"]
    prefix = f"arn:aws:ec2:{ctx.region}:{account}"
    ec2 = ctx.client("ec2")
    for page in ec2.get_paginator("describe_vpc_endpoints").paginate():
        for ep in page["VpcEndpoints"]:
            if ep["State"].lower() not in ("deleted", "deleting"):
                yield Tagged(
                    f"{prefix}:vpc-endpoint/{ep['VpcEndpointId']}", _tags(ep.get("Tags", []))
                )
    for page in ec2.get_paginator("describe_security_group_rules").paginate():
        for rule in page["SecurityGroupRules"]:
            arn = f"{prefix}:security-group-rule/{rule['SecurityGroupRuleId']}"
            yield Tagged(arn, _tags(rule.get("Tags", [])))
    elbv2 = ctx.client("elbv2")
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        for lb in page["LoadBalancers"]:
            arns = [
                x["ListenerArn"]
                for x in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])[
                    "Listeners"
                ]
            ]
            for desc in elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"] if arns else []:
                yield Tagged(desc["ResourceArn"], _tags(desc.get("Tags", [])))
    scaling = ctx.client("application-autoscaling")
    for target in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
        arn = target.get("ScalableTargetARN")
        if arn:
            tags = scaling.list_tags_for_resource(ResourceARN=arn).get("Tags", {})
            yield Tagged(arn, dict(tags))
    iam = ctx.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            # The CI roles (path /ci/) belong to the bootstrap, which keeps local state.
            if not role["RoleName"].startswith(f"{PROJECT}-{ctx.env_name}") or role.get(
                "Path", "/"
            ).startswith("/ci/"):
                continue
            tags = _tags(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", []))
            yield Tagged(role["Arn"], tags)
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page["Policies"]:
            if not policy["PolicyName"].startswith(f"{PROJECT}-{ctx.env_name}"):
                continue
            tags = _tags(iam.list_policy_tags(PolicyArn=policy["Arn"]).get("Tags", []))
            yield Tagged(policy["Arn"], tags)
    ecr = ctx.client("ecr")
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repo in page["repositories"]:
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


def state_ids(states: dict[str, dict[str, Any]]) -> set[str]:
    """Every ``arn`` and ``id`` attribute of every managed resource instance."""
    ids: set[str] = set()
    for state in states.values():
        for resource in state.get("resources", []):
            if resource.get("mode") != "managed":
                continue
            for instance in resource.get("instances", []):
                attrs = instance.get("attributes") or {}
                for key in ("arn", "id"):
                    value = attrs.get(key)
                    if isinstance(value, str) and value:
                        ids.add(value.removesuffix(":*"))
    return ids


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


# --- adopt: import a named orphan into the resource its stack declares with that name ---

# Terraform type and import id for each named kind (import ids: the provider's docs).
_IMPORTS: dict[str, tuple[str, str]] = {
    "iam:role": ("aws_iam_role", "name"),
    "iam:policy": ("aws_iam_policy", "arn"),
    "logs:log-group": ("aws_cloudwatch_log_group", "name"),
    "ecs:cluster": ("aws_ecs_cluster", "name"),
    "ecr:repository": ("aws_ecr_repository", "name"),
    "elasticloadbalancing:loadbalancer": ("aws_lb", "arn"),
    "elasticloadbalancing:targetgroup": ("aws_lb_target_group", "arn"),
    "s3:": ("aws_s3_bucket", "name"),
}


def import_target(ctx: Context, item: Tagged) -> tuple[str, str] | None:
    """``(address, import id)`` of the resource in ``item.stack`` declared with its name."""
    if item.kind not in _IMPORTS or not item.stack or not item.name:
        return None
    tf_type, id_kind = _IMPORTS[item.kind]
    path = ctx.ws.stack_dir(item.stack) / "cdk.tf.json"
    if not path.is_file():
        return None
    resources = json.loads(path.read_text()).get("resource", {}).get(tf_type, {})
    for name, body in resources.items():
        if body.get("name") == item.name or body.get("bucket") == item.name:
            return f"{tf_type}.{name}", item.arn if id_kind == "arn" else item.name
    return None


def adopt(ctx: Context, orphans: list[Tagged], *, yes: bool) -> int:
    """``terraform import`` each named orphan into its stack; the rest are left to purge."""
    left = 0
    for item in orphans:
        target = import_target(ctx, item)
        if target is None:
            print(f"  cannot import {item.arn}: no named resource of {item.stack or '?'} matches")
            left += 1
            continue
        address, import_id = target
        print(f"  {item.stack}: terraform import {address} {import_id}")
        if ctx.aws and not yes:
            continue
        ensure_init(ctx, item.stack)
        log = ctx.ws.log(f"import-{item.stack}")
        args = ["import", "-input=false", "-no-color", address, import_id]
        result = commands.terraform(ctx.ws, item.stack, args, ctx.env, log=log)
        if result.returncode != 0:
            print(commands.terraform_errors(result.output))
            left += 1
    if ctx.aws and not yes:
        print("(printed only: AUTO_APPROVE=1 runs them)")
    return 1 if left else 0


# --- purge: delete orphans ---


def delete_commands(item: Tagged) -> list[str]:
    """The ``aws`` CLI commands that delete ``item`` (shown on AWS before anything runs)."""
    rid, kind = item.resource_id, item.kind
    simple = {
        "ec2:vpc": f"aws ec2 delete-vpc --vpc-id {rid}",
        "ec2:subnet": f"aws ec2 delete-subnet --subnet-id {rid}",
        "ec2:security-group": f"aws ec2 delete-security-group --group-id {rid}",
        "ec2:route-table": (
            f"aws ec2 delete-route-table --route-table-id {rid}  # after disassociate-route-table"
        ),
        "ec2:internet-gateway": f"aws ec2 delete-internet-gateway --internet-gateway-id {rid}",
        "ec2:vpc-endpoint": f"aws ec2 delete-vpc-endpoints --vpc-endpoint-ids {rid}",
        "ec2:security-group-rule": (
            "aws ec2 revoke-security-group-ingress (or -egress) --group-id <its group> "
            f"--security-group-rule-ids {rid}"
        ),
        "elasticloadbalancing:listener": f"aws elbv2 delete-listener --listener-arn {item.arn}",
        "ec2:natgateway": f"aws ec2 delete-nat-gateway --nat-gateway-id {rid}",
        "ec2:elastic-ip": f"aws ec2 release-address --allocation-id {rid}",
        "logs:log-group": f"aws logs delete-log-group --log-group-name {rid}",
        "ecs:cluster": f"aws ecs delete-cluster --cluster {item.arn}",
        "ecs:task-definition": f"aws ecs deregister-task-definition --task-definition {item.arn}",
        "elasticloadbalancing:loadbalancer": (
            f"aws elbv2 delete-load-balancer --load-balancer-arn {item.arn}"
        ),
        "elasticloadbalancing:targetgroup": (
            f"aws elbv2 delete-target-group --target-group-arn {item.arn}"
        ),
        "iam:policy": f"aws iam delete-policy --policy-arn {item.arn}",
        "ecr:repository": f"aws ecr delete-repository --force --repository-name {rid}",
        "kms:key": f"aws kms schedule-key-deletion --pending-window-in-days 7 --key-id {rid}",
        "s3:": f"aws s3 rb --force s3://{rid}",
    }
    if kind == "ecs:service":
        cluster, service = rid.split("/", 1) if "/" in rid else ("", rid)
        return [f"aws ecs delete-service --force --cluster {cluster} --service {service}"]
    if kind == "iam:role":
        return [
            f"aws iam list-attached-role-policies --role-name {rid}  # detach each",
            f"aws iam list-role-policies --role-name {rid}  # delete each inline policy",
            f"aws iam delete-role --role-name {rid}",
        ]
    return [simple.get(kind, f"# no delete command known for {item.arn}")]


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
    elif kind == "iam:policy":
        ctx.client("iam").delete_policy(PolicyArn=item.arn)
    elif kind == "logs:log-group":
        ctx.client("logs").delete_log_group(logGroupName=rid)
    elif kind == "ecs:cluster":
        ctx.client("ecs").delete_cluster(cluster=item.arn)
    elif kind == "ecs:service":
        cluster, service = rid.split("/", 1)
        ctx.client("ecs").delete_service(cluster=cluster, service=service, force=True)
    elif kind == "ecs:task-definition":
        ctx.client("ecs").deregister_task_definition(taskDefinition=item.arn)
    elif kind == "elasticloadbalancing:loadbalancer":
        ctx.client("elbv2").delete_load_balancer(LoadBalancerArn=item.arn)
    elif kind == "elasticloadbalancing:targetgroup":
        ctx.client("elbv2").delete_target_group(TargetGroupArn=item.arn)
    elif kind == "ecr:repository":
        ctx.client("ecr").delete_repository(repositoryName=rid, force=True)
    elif kind == "kms:key":
        ctx.client("kms").schedule_key_deletion(KeyId=rid, PendingWindowInDays=7)
    elif kind == "s3:":
        if ctx.endpoint:
            empty_bucket(ctx.endpoint, ctx.region, rid)
        ctx.client("s3").delete_bucket(Bucket=rid)
    elif kind == "ec2:vpc":
        ec2.delete_vpc(VpcId=rid)
    elif kind == "ec2:subnet":
        ec2.delete_subnet(SubnetId=rid)
    elif kind == "ec2:security-group":
        ec2.delete_security_group(GroupId=rid)
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
    elif kind == "ec2:vpc-endpoint":
        ec2.delete_vpc_endpoints(VpcEndpointIds=[rid])
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
    elif kind == "elasticloadbalancing:listener":
        ctx.client("elbv2").delete_listener(ListenerArn=item.arn)
    elif kind == "application-autoscaling:scalable-target":
        scaling = ctx.client("application-autoscaling")
        for target in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
            if target.get("ScalableTargetARN") == item.arn:
                scaling.deregister_scalable_target(
                    ServiceNamespace="ecs",
                    ResourceId=target["ResourceId"],
                    ScalableDimension=target["ScalableDimension"],
                )
    else:
        raise RecoveryError(f"no way to delete {item.arn} is known; delete it by hand")


# Dependents first: services before clusters, load balancers before target groups,
# everything in a VPC before the VPC.
_ORDER = (
    "application-autoscaling:scalable-target",
    "ecs:service",
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


def report(ctx: Context, orphans: list[Tagged]) -> str:
    if not orphans:
        return f"no orphans: every resource tagged Environment={ctx.env_name} is in a stack's state"
    lines = [f"{len(orphans)} orphan(s): tagged Environment={ctx.env_name}, in no stack's state:"]
    for item in orphans:
        target = import_target(ctx, item)
        chdir = f"terraform -chdir={ctx.ws.stack_dir(item.stack)}"
        way = (
            f"import: {chdir} import {target[0]} {target[1]}"
            if target
            else f"delete: {delete_commands(item)[-1]}"
        )
        lines.append(f"  {item.stack or '?':<16} {item.kind:<36} {item.arn}\n      {way}")
    lines.append(
        f"Adopt the named ones into their stack: {ctx.make('adopt')}; "
        f"delete all of them: {ctx.make('purge')}"
    )
    return "\n".join(lines)


def collisions(ctx: Context) -> list[Tagged]:
    """Named orphans a deploy would try to create again under the same name."""
    return [item for item in find_orphans(ctx) if import_target(ctx, item)]


def preflight(env_name: str) -> str:
    """Before ``make deploy``: why it would collide with named orphans ('' when it would not)."""
    try:
        ctx = resolve(env_name)
        found = collisions(ctx)
    except Exception as exc:  # e.g. no tag:GetResources permission: warn, never block
        print(f"warning: orphan check skipped ({exc}); `make doctor` runs it alone")
        return ""
    if not found:
        return ""
    names = "\n".join(f"  {i.stack}: {i.kind} {i.name}" for i in found)
    return (
        f"{len(found)} resource(s) exist that {env_name}'s stacks would create again under the "
        f"same name, but no state holds them (left by an interrupted deploy?):\n{names}\n"
        f"See them all: {ctx.make('doctor')}; then either {ctx.make('adopt')} (import them) "
        f"or {ctx.make('purge')} (delete them)"
    )


def main(ctx: Context, action: str, *, yes: bool) -> int:
    ensure_synth(ctx)
    orphans = find_orphans(ctx)
    print(report(ctx, orphans))
    if action == "doctor" or not orphans:
        return 1 if orphans and action == "doctor" else 0
    if action == "adopt":
        return adopt(ctx, orphans, yes=yes)
    return purge(ctx, orphans, yes=yes)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use python -m tools.recovery")
