"""The orphan scan finds a resource planted outside Terraform, and nothing that is in state."""

from __future__ import annotations

import json

import pytest

from config.schema import PATH_TAG
from tools.recovery import orphans
from tools.recovery.context import Context, RecoveryError

TAGS = {"Project": "ecs-learn", "Environment": "dev", "ManagedBy": "cdktf"}


def _tags(stack: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in {**TAGS, "Stack": stack}.items()]


def _save_state(ctx: Context, stack: str, instances: dict[str, dict[str, str]]) -> None:
    resources = [
        {"mode": "managed", "type": t, "name": t, "instances": [{"attributes": a}]}
        for t, a in instances.items()
    ]
    body = json.dumps({"version": 4, "serial": 1, "resources": resources}).encode()
    ctx.client("s3").put_object(Bucket=ctx.bucket, Key=ctx.state_key(stack), Body=body)


def test_arn_parts() -> None:
    lb = "arn:aws:elasticloadbalancing:ap-northeast-1:1:loadbalancer/app/ecs-learn-dev-public/abc"
    cases = {
        "arn:aws:ec2:ap-northeast-1:1:vpc/vpc-123": ("ec2:vpc", "vpc-123", ""),
        "arn:aws:iam::1:role/ecs-learn-dev-exec": (
            "iam:role",
            "ecs-learn-dev-exec",
            "ecs-learn-dev-exec",
        ),
        "arn:aws:logs:ap-northeast-1:1:log-group:/ecs/c/backend": (
            "logs:log-group",
            "/ecs/c/backend",
            "/ecs/c/backend",
        ),
        lb: (
            "elasticloadbalancing:loadbalancer",
            "app/ecs-learn-dev-public/abc",
            "ecs-learn-dev-public",
        ),
        "arn:aws:s3:::some-bucket": ("s3:", "some-bucket", "some-bucket"),
    }
    for arn, expected in cases.items():
        item = orphans.Tagged(arn, {})
        assert (item.kind, item.resource_id, item.name) == expected, arn


def test_finds_the_planted_resources_and_none_in_state(ctx: Context) -> None:
    ec2, iam, logs = ctx.client("ec2"), ctx.client("iam"), ctx.client("logs")
    spec = [{"ResourceType": "vpc", "Tags": _tags("dev-foundation")}]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"]
    kept = iam.create_role(
        RoleName="ecs-learn-dev-exec", AssumeRolePolicyDocument="{}", Tags=_tags("dev-services")
    )["Role"]
    _save_state(ctx, "dev-foundation", {"aws_vpc": {"id": vpc, "arn": f"arn:x:{vpc}"}})
    _save_state(ctx, "dev-services", {"aws_iam_role": {"id": kept["RoleName"], "arn": kept["Arn"]}})
    assert orphans.find_orphans(ctx) == []

    # Planted outside Terraform, with our tags: a role, a log group, a VPC.
    iam.create_role(
        RoleName="ecs-learn-dev-task", AssumeRolePolicyDocument="{}", Tags=_tags("dev-services")
    )
    logs.create_log_group(
        logGroupName="/ecs/ecs-learn-dev/backend", tags={**TAGS, "Stack": "dev-foundation"}
    )
    planted = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"]
    # Not ours: another environment's, and an untagged one.
    other = [{"ResourceType": "vpc", "Tags": [{"Key": "Project", "Value": "ecs-learn"}]}]
    ec2.create_vpc(CidrBlock="10.2.0.0/16", TagSpecifications=other)
    ec2.create_vpc(CidrBlock="10.3.0.0/16")

    found = {(o.kind, o.resource_id) for o in orphans.find_orphans(ctx)}
    assert found == {
        ("iam:role", "ecs-learn-dev-task"),
        ("logs:log-group", "/ecs/ecs-learn-dev/backend"),
        ("ec2:vpc", planted),
    }
    found = orphans.find_orphans(ctx)
    report = orphans.report(ctx, found, orphans.plan_recovery(ctx, found))
    assert "3 orphan(s)" in report and "TARGET=aws make recover ENV=dev" in report


def test_purge_on_aws_only_prints_without_approval(ctx: Context, capsys) -> None:  # type: ignore[no-untyped-def]
    ctx.client("logs").create_log_group(logGroupName="/x", tags={**TAGS, "Stack": "dev-services"})
    found = orphans.find_orphans(ctx)
    assert orphans.purge(ctx, found, yes=False) == 1
    assert "aws logs delete-log-group --log-group-name /x" in capsys.readouterr().out
    assert orphans.find_orphans(ctx) == found  # nothing deleted
    assert orphans.purge(ctx, found, yes=True) == 0
    assert orphans.find_orphans(ctx) == []


def _declare(ctx: Context, stack: str, resources: dict[str, dict[str, dict[str, object]]]) -> None:
    """A synthesized stack with these resources; each body's ``path`` becomes its metadata."""
    for bodies in resources.values():
        for body in bodies.values():
            body["//"] = {"metadata": {"path": body.pop("path")}}
    stack_dir = ctx.ws.stack_dir(stack)
    stack_dir.mkdir(parents=True, exist_ok=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps({"resource": resources}))


def _path(stack: str, path: str) -> list[dict[str, str]]:
    return [*_tags(stack), {"Key": PATH_TAG, "Value": path}]


def test_an_orphan_is_adopted_at_the_address_its_path_tag_names(ctx: Context) -> None:
    # GIVEN a VPC no state holds, tagged with the construct path of the stack's aws_vpc
    _declare(ctx, "dev-foundation", {"aws_vpc": {"vpc_ABC": {"path": "dev-foundation/net/vpc"}}})
    spec = [{"ResourceType": "vpc", "Tags": _path("dev-foundation", "dev-foundation/net/vpc")}]
    vpc = ctx.client("ec2").create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec)["Vpc"]
    # WHEN recovery is planned THEN it is imported there by its id, and nothing is purged
    plan = orphans.plan_recovery(ctx, orphans.find_orphans(ctx))
    assert plan.imports == {"dev-foundation": {"aws_vpc.vpc_ABC": vpc["VpcId"]}}
    assert plan.purge == []


def test_a_second_copy_of_what_state_holds_is_purged_not_adopted(ctx: Context) -> None:
    _save_state(ctx, "dev-foundation", {"aws_vpc": {"id": "vpc-kept", "arn": "arn:x:vpc-kept"}})
    spec = [{"ResourceType": "vpc", "Tags": _path("dev-foundation", "dev-foundation/net/vpc")}]
    ctx.client("ec2").create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec)
    # The state fixture names its resource after its type: aws_vpc.aws_vpc
    _declare(ctx, "dev-foundation", {"aws_vpc": {"aws_vpc": {"path": "dev-foundation/net/vpc"}}})
    plan = orphans.plan_recovery(ctx, orphans.find_orphans(ctx))
    assert plan.imports == {}
    ((item, why),) = plan.purge
    assert item.kind == "ec2:vpc" and "a second aws_vpc.aws_vpc" in why


def test_an_orphan_without_identity_is_purged_with_the_reason(ctx: Context) -> None:
    ctx.client("iam").create_role(
        RoleName="ecs-learn-dev-old", AssumeRolePolicyDocument="{}", Tags=_tags("dev-services")
    )
    plan = orphans.plan_recovery(ctx, orphans.find_orphans(ctx))
    assert [(i.resource_id, why) for i, why in plan.purge] == [
        ("ecs-learn-dev-old", f"no {PATH_TAG} tag")
    ]


def test_an_untagged_association_is_adopted_through_its_parents(ctx: Context) -> None:
    # GIVEN a route table and subnet in state, and their association live but in no state
    ec2 = ctx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    _save_state(
        ctx,
        "dev-foundation",
        {"aws_subnet": {"id": subnet}, "aws_route_table": {"id": table}},
    )
    association = {
        "path": "dev-foundation/net/rta",
        "route_table_id": "${aws_route_table.aws_route_table.id}",
        "subnet_id": "${aws_subnet.aws_subnet.id}",
    }
    _declare(ctx, "dev-foundation", {"aws_route_table_association": {"rta_ABC": association}})
    # WHEN recovery is planned THEN the association is imported as subnet/table
    plan = orphans.plan_recovery(ctx, [])
    assert plan.imports == {
        "dev-foundation": {"aws_route_table_association.rta_ABC": f"{subnet}/{table}"}
    }


def test_adopt_and_purge_refuse_a_locked_stack_in_one_line(ctx: Context) -> None:
    ctx.client("s3").put_object(
        Bucket=ctx.bucket, Key="dev/dev-foundation.tfstate.tflock", Body=b'{"ID": "abc"}'
    )
    for action in ("adopt", "purge"):
        with pytest.raises(RecoveryError, match=r"lock abc .*make recover ENV=dev"):
            orphans.main(ctx, action, yes=True)


def test_a_deploy_on_leftovers_names_make_recover_alone(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(orphans, "resolve", lambda env_name: ctx)
    assert orphans.preflight("dev") == ""
    ctx.client("s3").put_object(
        Bucket=ctx.bucket, Key="dev/dev-foundation.tfstate.tflock", Body=b"{}"
    )
    ctx.client("logs").create_log_group(logGroupName="/x", tags={**TAGS, "Stack": "dev-services"})
    assert orphans.preflight("dev") == (
        "an interrupted run left 1 state lock(s), 1 orphan(s); run: TARGET=aws make recover ENV=dev"
    )


def test_purge_takes_a_half_built_network_apart_in_order(ctx: Context) -> None:
    ec2 = ctx.client("ec2")

    def spec(kind: str) -> list[dict[str, object]]:
        return [{"ResourceType": kind, "Tags": _tags("dev-foundation")}]

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec("vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.0.1.0/24", TagSpecifications=spec("subnet")
    )["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table"))
    ec2.associate_route_table(RouteTableId=table["RouteTable"]["RouteTableId"], SubnetId=subnet)
    igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway"))
    ec2.attach_internet_gateway(
        InternetGatewayId=igw["InternetGateway"]["InternetGatewayId"], VpcId=vpc
    )
    group = ec2.create_security_group(
        GroupName="g", Description="g", VpcId=vpc, TagSpecifications=spec("security-group")
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": []}],
        TagSpecifications=spec("security-group-rule"),
    )
    found = orphans.find_orphans(ctx)
    assert {o.kind for o in found} >= {"ec2:vpc", "ec2:subnet", "ec2:route-table"}
    assert orphans.purge(ctx, found, yes=True) == 0
    assert orphans.find_orphans(ctx) == []


def test_deleted_ecs_resources_still_listed_as_inactive_are_no_orphans(ctx: Context) -> None:
    ecs = ctx.client("ecs")
    tags = [{"key": k, "value": v} for k, v in {**TAGS, "Stack": "dev-services"}.items()]
    ecs.create_cluster(clusterName="c", tags=tags)
    arn = ecs.register_task_definition(
        family="f", containerDefinitions=[{"name": "a", "image": "b", "memory": 64}], tags=tags
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="f", desiredCount=0, tags=tags)
    assert {o.kind for o in orphans.find_orphans(ctx)} == {
        "ecs:cluster",
        "ecs:service",
        "ecs:task-definition",
    }
    ecs.delete_service(cluster="c", service="s", force=True)
    ecs.deregister_task_definition(taskDefinition=arn)
    assert {o.kind for o in orphans.find_orphans(ctx)} == {"ecs:cluster"}


def test_a_second_active_revision_of_a_family_in_state_is_an_orphan(ctx: Context) -> None:
    # GIVEN a family registered twice (a retried RegisterTaskDefinition) and state holding
    # the second revision, with the family as its id, as the provider writes it
    ecs = ctx.client("ecs")
    tags = [{"key": k, "value": v} for k, v in {**TAGS, "Stack": "dev-services"}.items()]
    container = [{"name": "a", "image": "b", "memory": 64}]
    arns = [
        ecs.register_task_definition(family="f", containerDefinitions=container, tags=tags)[
            "taskDefinition"
        ]["taskDefinitionArn"]
        for _ in range(2)
    ]
    _save_state(ctx, "dev-services", {"aws_ecs_task_definition": {"id": "f", "arn": arns[1]}})
    # WHEN the doctor scans THEN only the revision state does not name is an orphan
    assert [o.arn for o in orphans.find_orphans(ctx)] == [arns[0]]


def test_a_deployment_alarm_left_by_a_crash_is_found_and_deleted(ctx: Context) -> None:
    # GIVEN an alarm with our tags that no state holds (the tagging API does not list alarms)
    ctx.client("cloudwatch").put_metric_alarm(
        AlarmName="ecs-learn-dev-backend-target-5xx",
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Tags=_tags("dev-services"),
    )
    (item,) = orphans.find_orphans(ctx)
    assert (item.kind, item.resource_id) == ("cloudwatch:alarm", "ecs-learn-dev-backend-target-5xx")
    assert orphans.purge(ctx, [item], yes=True) == 0
    assert orphans.find_orphans(ctx) == []
