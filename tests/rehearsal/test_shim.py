"""Each shim patch, against the patched emulator; and the gap itself, against plain moto.

The ``*_gap_without_shim`` tests pin down what moto 5.2 does on its own; when a
moto upgrade fixes a gap, its test fails and the patch can go.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest

from tests.rehearsal.conftest import Clients
from tests.rehearsal.fargate import (
    balanced_service,
    fargate_service,
    from_group,
    target_health,
    task_definition,
    unique_name,
)
from tools.deploy import deployments
from tools.emulator import shim
from tools.emulator.shim_patches import bool_condition

ACCOUNT = "123456789012"


def test_every_patch_is_described() -> None:
    names = [p["name"] for p in shim.describe()]
    assert names == [
        "appautoscaling_tags",
        "security_group_rule_descriptions",
        "ecs_create_service_settings",
        "s3_bucket_policy_conditions",
        "ecs_steady_state",
        "elbv2_deletion_protection",
        "elbv2_repeated_target_group_delete",
        "ec2_one_route_table_per_subnet",
        "role_session_authorization",
        "ecs_task_definition_rules",
        "ecs_task_start_authorization",
        "ecs_deployment_alarms",
        "ecs_service_targets",
        "elbv2_target_health",
        "cloudwatch_alarm_evaluation",
    ]
    assert all(p["fixes"] for p in shim.describe())


# --- 1. Application Auto Scaling tags -------------------------------------------------


def _scalable_target(aws: Clients, tags: dict[str, str]) -> tuple[str, str]:
    cluster, service, _ = fargate_service(aws)
    resource_id = f"service/{cluster}/{service}"
    arn = aws("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource_id,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags=tags,
    )["ScalableTargetARN"]
    return arn, resource_id


def test_appautoscaling_tags_round_trip(aws: Clients) -> None:
    scaling = aws("application-autoscaling")
    arn, resource_id = _scalable_target(aws, {"Project": "ecs-learn"})
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Project": "ecs-learn"}

    scaling.tag_resource(ResourceARN=arn, Tags={"Stack": "dev-services"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Project"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Stack": "dev-services"}

    scaling.deregister_scalable_target(
        ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension="ecs:service:DesiredCount"
    )
    with pytest.raises(scaling.exceptions.ResourceNotFoundException):
        scaling.list_tags_for_resource(ResourceARN=arn)


def test_appautoscaling_unknown_arn_is_not_found(aws: Clients) -> None:
    scaling = aws("application-autoscaling")
    arn = f"arn:aws:application-autoscaling:ap-northeast-1:{ACCOUNT}:scalable-target/nope"
    with pytest.raises(scaling.exceptions.ResourceNotFoundException):
        scaling.tag_resource(ResourceARN=arn, Tags={"a": "b"})


def test_appautoscaling_tags_gap_without_shim(unpatched: Clients) -> None:
    # boto3 retries the 500 a few times too; the provider retries ~25 times per call.
    scaling = unpatched("application-autoscaling")
    arn = f"arn:aws:application-autoscaling:ap-northeast-1:{ACCOUNT}:scalable-target/x"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        scaling.list_tags_for_resource(ResourceARN=arn)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


# --- 2. Security group rule descriptions ----------------------------------------------


def _rules_with_peers(aws: Clients) -> dict[str, dict[str, Any]]:
    """Ingress from an SG and egress to a prefix list, both described; by description."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/24")["Vpc"]["VpcId"]
    a = ec2.create_security_group(GroupName=unique_name(), Description="a", VpcId=vpc)["GroupId"]
    b = ec2.create_security_group(GroupName=unique_name(), Description="b", VpcId=vpc)["GroupId"]
    prefix_list = ec2.describe_prefix_lists()["PrefixLists"][0]["PrefixListId"]
    tcp = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    ec2.authorize_security_group_ingress(
        GroupId=a,
        IpPermissions=[{**tcp, "UserIdGroupPairs": [{"GroupId": b, "Description": "from b"}]}],
    )
    ec2.authorize_security_group_egress(
        GroupId=a,
        IpPermissions=[
            {**tcp, "PrefixListIds": [{"PrefixListId": prefix_list, "Description": "to s3"}]}
        ],
    )
    ec2.authorize_security_group_egress(
        GroupId=a,
        IpPermissions=[{**tcp, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "cidr"}]}],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [a]}])
    return {
        r.get("Description", f"none:{r['SecurityGroupRuleId']}"): r
        for r in rules["SecurityGroupRules"]
    }


def test_security_group_rules_keep_descriptions(aws: Clients) -> None:
    rules = _rules_with_peers(aws)
    assert {"from b", "to s3", "cidr"} <= set(rules)
    assert rules["from b"]["ReferencedGroupInfo"]["UserId"] == ACCOUNT
    assert not rules["from b"]["ReferencedGroupInfo"]["GroupId"].count("/")  # plain sg-...
    assert rules["to s3"]["PrefixListId"].startswith("pl-")


def test_security_group_rule_descriptions_gap_without_shim(unpatched: Clients) -> None:
    rules = _rules_with_peers(unpatched)
    assert "cidr" in rules
    assert "from b" not in rules and "to s3" not in rules


# --- 3. ECS CreateService settings ----------------------------------------------------

SERVICE_SETTINGS = {
    "healthCheckGracePeriodSeconds": 60,
    "enableECSManagedTags": True,
    "availabilityZoneRebalancing": "DISABLED",
    "deploymentConfiguration": {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    },
}


def test_ecs_create_service_keeps_settings(aws: Clients) -> None:
    _, _, service = fargate_service(aws, **SERVICE_SETTINGS)
    for key, value in SERVICE_SETTINGS.items():
        assert service[key] == value, key


def test_ecs_create_service_gap_without_shim(unpatched: Clients) -> None:
    _, _, service = fargate_service(unpatched, **SERVICE_SETTINGS)
    assert "healthCheckGracePeriodSeconds" not in service
    assert "availabilityZoneRebalancing" not in service


# --- 4. S3 bucket policy conditions ----------------------------------------------------


def _bucket_with_policy(aws: Clients, statement: dict[str, Any]) -> str:
    s3, bucket = aws("s3"), unique_name()
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    policy = {"Version": "2012-10-17", "Statement": [{"Principal": "*", **statement}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return bucket


DENY_INSECURE = {
    "Effect": "Deny",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def test_tls_only_policy_lets_terraform_in(aws: Clients) -> None:
    s3 = aws("s3")
    bucket = _bucket_with_policy(aws, DENY_INSECURE)
    s3.put_object(Bucket=bucket, Key="dev/x.tfstate", Body=b"{}")
    assert s3.get_object(Bucket=bucket, Key="dev/x.tfstate")["Body"].read() == b"{}"


def test_bool_condition_is_evaluated_not_ignored(aws: Clients) -> None:
    # Denying *secure* transport must deny: the condition is evaluated against the context.
    s3 = aws("s3")
    bucket = _bucket_with_policy(
        aws, {**DENY_INSECURE, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unconditional_deny_still_denies(aws: Clients) -> None:
    s3 = aws("s3")
    statement = {k: v for k, v in DENY_INSECURE.items() if k != "Condition"}
    bucket = _bucket_with_policy(aws, {**statement, "Action": "s3:PutObject"})
    with pytest.raises(botocore.exceptions.ClientError):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")


def test_tls_only_policy_gap_without_shim(unpatched: Clients) -> None:
    s3 = unpatched("s3")
    bucket = _bucket_with_policy(unpatched, DENY_INSECURE)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="dev/x.tfstate", Body=b"{}")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    ("expected", "actual", "holds"),
    [
        ("false", "false", True),
        ("false", "true", False),
        ("TRUE", "true", True),
        (["true"], "true", True),
    ],
)
def test_bool_condition(expected: Any, actual: str, holds: bool) -> None:
    assert bool_condition(expected, actual) is holds


# --- 5. ECS steady state ---------------------------------------------------------------


def test_ecs_new_service_reaches_steady_state(aws: Clients) -> None:
    # WHEN a service is created THEN it looks as the provider's steady-state wait expects.
    _, _, service = fargate_service(aws, desiredCount=2)
    assert (service["desiredCount"], service["runningCount"], service["pendingCount"]) == (2, 2, 0)
    (deployment,) = service["deployments"]
    assert deployment["status"] == "PRIMARY" and deployment["rolloutState"] == "COMPLETED"
    assert deployment["taskDefinition"] == service["taskDefinition"]


def test_ecs_update_to_a_new_task_definition_is_a_new_primary_deployment(aws: Clients) -> None:
    ecs = aws("ecs")
    cluster, name, created = fargate_service(aws)
    family = created["taskDefinition"].rsplit("/", 1)[1].split(":")[0]
    newer = task_definition(aws, family)
    # WHEN the service moves to the new revision, given as family:revision
    ecs.update_service(cluster=cluster, service=name, taskDefinition=newer.rsplit("/", 1)[1])
    service = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    # THEN one deployment runs it, completed, under a new id
    (deployment,) = service["deployments"]
    assert service["taskDefinition"] == deployment["taskDefinition"] == newer
    assert deployment["rolloutState"] == "COMPLETED"
    assert deployment["id"] != created["deployments"][0]["id"]
    assert service["runningCount"] == service["desiredCount"]


def test_ecs_steady_state_gap_without_shim(unpatched: Clients) -> None:
    _, _, service = fargate_service(unpatched, desiredCount=2)
    assert service["runningCount"] == 0  # the provider would wait for 2 until its timeout


# --- 6. ELB deletion protection ---------------------------------------------------------


def _load_balancer(aws: Clients, protected: bool) -> str:
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/24")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.3.0.0/26", "ap-northeast-1a"), ("10.3.0.64/26", "ap-northeast-1c"))
    ]
    arn = elbv2.create_load_balancer(Name=unique_name(), Subnets=subnets, Scheme="internal")[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[{"Key": "deletion_protection.enabled", "Value": str(protected).lower()}],
    )
    return arn


def test_protected_load_balancer_is_not_deleted(aws: Clients) -> None:
    elbv2 = aws("elbv2")
    arn = _load_balancer(aws, protected=True)
    with pytest.raises(botocore.exceptions.ClientError, match="deletion protection") as caught:
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert caught.value.response["Error"]["Code"] == "OperationNotPermitted"
    assert elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]


def test_load_balancer_is_deleted_once_protection_is_off(aws: Clients) -> None:
    elbv2 = aws("elbv2")
    arn = _load_balancer(aws, protected=True)
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}]
    )
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    with pytest.raises(botocore.exceptions.ClientError, match="LoadBalancerNotFound"):
        elbv2.describe_load_balancers(LoadBalancerArns=[arn])


def test_deletion_protection_gap_without_shim(unpatched: Clients) -> None:
    elbv2 = unpatched("elbv2")
    arn = _load_balancer(unpatched, protected=True)
    elbv2.delete_load_balancer(LoadBalancerArn=arn)  # AWS would refuse
    with pytest.raises(botocore.exceptions.ClientError, match="LoadBalancerNotFound"):
        elbv2.describe_load_balancers(LoadBalancerArns=[arn])


# --- One route table per subnet ---------------------------------------------------------


def _associated_subnet(aws: Clients) -> tuple[str, str, str]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/24")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.0.0/28")["Subnet"]["SubnetId"]
    first, second = (ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in "ab")
    ec2.associate_route_table(RouteTableId=first, SubnetId=subnet)
    return subnet, first, second


@pytest.mark.parametrize("again", ["same table", "another table"])
def test_a_subnet_takes_one_explicit_association(aws: Clients, again: str) -> None:
    subnet, first, second = _associated_subnet(aws)
    table = first if again == "same table" else second
    with pytest.raises(botocore.exceptions.ClientError, match=r"Resource\.AlreadyAssociated"):
        aws("ec2").associate_route_table(RouteTableId=table, SubnetId=subnet)


def test_one_route_table_per_subnet_gap_without_shim(unpatched: Clients) -> None:
    subnet, first, _ = _associated_subnet(unpatched)
    unpatched("ec2").associate_route_table(RouteTableId=first, SubnetId=subnet)  # AWS refuses


# --- 7. A repeated target group delete ------------------------------------------------


def _target_group(aws: Clients) -> str:
    vpc = aws("ec2").create_vpc(CidrBlock="10.4.0.0/24")["Vpc"]["VpcId"]
    return aws("elbv2").create_target_group(
        Name=unique_name(), Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]


def test_a_repeated_delete_of_a_deleted_target_group_succeeds(aws: Clients) -> None:
    # GIVEN a target group the emulator deleted
    elbv2 = aws("elbv2")
    arn = _target_group(aws)
    elbv2.delete_target_group(TargetGroupArn=arn)
    # WHEN the SDK resends the delete THEN it succeeds, and the group stays gone
    elbv2.delete_target_group(TargetGroupArn=arn)
    with pytest.raises(botocore.exceptions.ClientError, match="TargetGroupNotFound"):
        elbv2.describe_target_groups(TargetGroupArns=[arn])


def test_a_target_group_that_never_existed_is_still_not_found(aws: Clients) -> None:
    arn = _target_group(aws).replace("targetgroup/", "targetgroup/x")
    with pytest.raises(botocore.exceptions.ClientError, match="TargetGroupNotFound"):
        aws("elbv2").delete_target_group(TargetGroupArn=arn)


def test_repeated_target_group_delete_gap_without_shim(unpatched: Clients) -> None:
    elbv2 = unpatched("elbv2")
    arn = _target_group(unpatched)
    elbv2.delete_target_group(TargetGroupArn=arn)
    with pytest.raises(botocore.exceptions.ClientError, match="TargetGroupNotFound"):
        elbv2.delete_target_group(TargetGroupArn=arn)


def _role_session(
    aws: Clients,
    endpoint: str,
    policy: dict[str, Any],
    service: str = "s3",
    boundary: dict[str, Any] | None = None,
) -> Any:
    """A ``service`` client signed with the session of a new role that holds ``policy``
    (and, when given, the permissions boundary ``boundary``)."""
    import boto3

    iam = aws("iam")
    extra: dict[str, Any] = {}
    if boundary is not None:
        extra["PermissionsBoundary"] = iam.create_policy(
            PolicyName=unique_name(), PolicyDocument=json.dumps(boundary)
        )["Policy"]["Arn"]
    role = iam.create_role(
        RoleName=unique_name(),
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        **extra,
    )["Role"]
    iam.put_role_policy(
        RoleName=role["RoleName"], PolicyName="p", PolicyDocument=json.dumps(policy)
    )
    creds = aws("sts").assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="ci", WebIdentityToken="token"
    )["Credentials"]
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="ap-northeast-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _read_only_state(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/dev/*",
            }
        ],
    }


def _bucket_with_state(aws: Clients) -> str:
    bucket = unique_name()
    aws("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    for key in ("dev/dev-foundation.tfstate", "prod/prod-foundation.tfstate"):
        aws("s3").put_object(Bucket=bucket, Key=key, Body=b"{}")
    return bucket


def test_a_role_session_may_do_what_its_policy_allows(aws: Clients, emulator: Any) -> None:
    bucket = _bucket_with_state(aws)
    s3 = _role_session(aws, emulator.endpoint, _read_only_state(bucket))
    assert s3.get_object(Bucket=bucket, Key="dev/dev-foundation.tfstate")["Body"].read() == b"{}"


@pytest.mark.parametrize(
    ("call", "key"),
    [("put_object", "dev/dev-foundation.tfstate"), ("get_object", "prod/prod-foundation.tfstate")],
)
def test_a_role_session_is_refused_what_its_policy_does_not_allow(
    aws: Clients, emulator: Any, call: str, key: str
) -> None:
    bucket = _bucket_with_state(aws)
    s3 = _role_session(aws, emulator.endpoint, _read_only_state(bucket))
    kwargs = {"Body": b"x"} if call == "put_object" else {}
    with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
        getattr(s3, call)(Bucket=bucket, Key=key, **kwargs)


def test_role_session_authorization_gap_without_shim(unpatched: Clients, plain_moto: str) -> None:
    # Plain moto lets the read-only session write: it enforces nothing by default.
    bucket = _bucket_with_state(unpatched)
    s3 = _role_session(unpatched, plain_moto, _read_only_state(bucket))
    s3.put_object(Bucket=bucket, Key="dev/dev-foundation.tfstate", Body=b"x")


def test_a_role_session_may_head_a_bucket_it_may_list(aws: Clients, emulator: Any) -> None:
    # GIVEN a role allowed s3:ListBucket, the IAM action AWS checks for HeadBucket
    bucket = _bucket_with_state(aws)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}
        ],
    }
    # WHEN its session heads the bucket THEN it is allowed (moto alone calls it s3:HeadBucket)
    _role_session(aws, emulator.endpoint, policy).head_bucket(Bucket=bucket)


# --- Role sessions, every service: IAM's resource-level rules --------------------------

REGION = "ap-northeast-1"
TASK_DEFINITIONS = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/ecs-learn-dev-*:*"


def _allow(action: str, resource: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _registered_revision(aws: Clients) -> str:
    return task_definition(aws, family=f"ecs-learn-dev-{unique_name()}")


def test_a_star_only_action_scoped_to_a_resource_type_is_denied(
    aws: Clients, emulator: Any
) -> None:
    # GIVEN the old deploy policy: DeregisterTaskDefinition on the task-definition ARNs,
    # an action IAM's reference lists with no resource type (only "*")
    revision = _registered_revision(aws)
    policy = _policy(_allow("ecs:DeregisterTaskDefinition", TASK_DEFINITIONS))
    ecs = _role_session(aws, emulator.endpoint, policy, service="ecs")
    # WHEN the role session deregisters a revision THEN AWS's AccessDenied names the action
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        ecs.deregister_task_definition(taskDefinition=revision)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert "ecs:DeregisterTaskDefinition on *" in str(denied.value)


def test_a_star_only_action_granted_on_star_is_allowed(aws: Clients, emulator: Any) -> None:
    revision = _registered_revision(aws)
    policy = _policy(_allow("ecs:DeregisterTaskDefinition", "*"))
    ecs = _role_session(aws, emulator.endpoint, policy, service="ecs")
    assert ecs.deregister_task_definition(taskDefinition=revision)["taskDefinition"]["status"] == (
        "INACTIVE"
    )


def test_star_only_scoping_gap_without_shim(unpatched: Clients, plain_moto: str) -> None:
    # Plain moto lets the mis-scoped session through: it enforces nothing by default.
    revision = _registered_revision(unpatched)
    policy = _policy(_allow("ecs:DeregisterTaskDefinition", TASK_DEFINITIONS))
    ecs = _role_session(unpatched, plain_moto, policy, service="ecs")
    ecs.deregister_task_definition(taskDefinition=revision)


def _register(ecs: Any, family: str, role_arn: str) -> Any:
    return ecs.register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        taskRoleArn=role_arn,
        containerDefinitions=[{"name": "app", "image": "busybox", "essential": True}],
    )


def test_registering_passes_the_task_role_only_to_ecs_tasks(aws: Clients, emulator: Any) -> None:
    # GIVEN a role that may register the family and pass a role only to EC2
    family = f"ecs-learn-dev-{unique_name()}"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/ecs-learn-dev-task"
    register = _allow("ecs:RegisterTaskDefinition", TASK_DEFINITIONS)
    to_ec2 = _allow(
        "iam:PassRole", role_arn, StringEquals={"iam:PassedToService": "ec2.amazonaws.com"}
    )
    ecs = _role_session(aws, emulator.endpoint, _policy(register, to_ec2), service="ecs")
    # WHEN it registers a task definition with that task role THEN PassRole is denied
    with pytest.raises(botocore.exceptions.ClientError, match="iam:PassRole"):
        _register(ecs, family, role_arn)
    # AND with PassRole to ecs-tasks it registers
    to_tasks = _allow(
        "iam:PassRole", role_arn, StringEquals={"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    )
    ecs = _role_session(aws, emulator.endpoint, _policy(register, to_tasks), service="ecs")
    assert _register(ecs, family, role_arn)["taskDefinition"]["family"] == family


def test_a_permissions_boundary_caps_what_the_policy_allows(aws: Clients, emulator: Any) -> None:
    # GIVEN a role whose policy allows every ECS call but whose boundary allows only reads
    everything = _policy(_allow("ecs:*", "*"))
    reads = _policy(_allow("ecs:Describe*", "*"), _allow("ecs:List*", "*"))
    ecs = _role_session(aws, emulator.endpoint, everything, service="ecs", boundary=reads)
    ecs.list_clusters()
    # WHEN it creates a cluster THEN the boundary denies it
    with pytest.raises(botocore.exceptions.ClientError, match="permissions boundary"):
        ecs.create_cluster(clusterName=unique_name())


def test_an_explicit_deny_wins_over_an_allow(aws: Clients, emulator: Any) -> None:
    policy = _policy(
        _allow("iam:*", "*"),
        {"Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
    )
    iam = _role_session(aws, emulator.endpoint, policy, service="iam")
    with pytest.raises(botocore.exceptions.ClientError, match="explicit deny"):
        iam.delete_role_permissions_boundary(RoleName="any")


# --- ECS task definitions: what RegisterTaskDefinition refuses ---------------------------


def _fargate(aws: Clients, cpu: str, memory: str, essential: bool = True) -> Any:
    return aws("ecs").register_task_definition(
        family=unique_name(),
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu=cpu,
        memory=memory,
        containerDefinitions=[{"name": "app", "image": "nginx", "essential": essential}],
    )


def test_a_task_definition_without_an_essential_container_is_refused(aws: Clients) -> None:
    with pytest.raises(botocore.exceptions.ClientError, match="any essential container"):
        _fargate(aws, "256", "512", essential=False)


@pytest.mark.parametrize(("cpu", "memory"), [("256", "4096"), ("512", "512"), ("300", "1024")])
def test_a_fargate_size_outside_aws_table_is_refused(aws: Clients, cpu: str, memory: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError, match="No Fargate configuration exists"):
        _fargate(aws, cpu, memory)


@pytest.mark.parametrize(("cpu", "memory"), [("256", "512"), ("1024", "3072"), ("8192", "20480")])
def test_a_fargate_size_in_aws_table_registers(aws: Clients, cpu: str, memory: str) -> None:
    assert _fargate(aws, cpu, memory)["taskDefinition"]["cpu"] == cpu


def test_task_definition_rules_gap_without_shim(unpatched: Clients) -> None:
    # Plain moto registers both: no essential container, and 256 CPU with 4 GB.
    _fargate(unpatched, "256", "512", essential=False)
    _fargate(unpatched, "256", "4096")


# --- ECS: the execution role must let the agent start the task -------------------------

IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ecs-learn:backend-1"
REPOSITORY_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/ecs-learn"
LOG_GROUP = "/ecs/ecs-learn-dev/backend"
PULL = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


def _execution_role(aws: Clients, pull: tuple[str, ...] = PULL) -> str:
    policy = _policy(
        _allow("ecr:GetAuthorizationToken", "*"),
        {"Effect": "Allow", "Action": list(pull), "Resource": REPOSITORY_ARN},
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}:log-stream:*",
        },
    )
    iam = aws("iam")
    name = unique_name()
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(_policy()))["Role"][
        "Arn"
    ]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return str(arn)


def _ecr_task(aws: Clients, role_arn: str, secrets: list[dict[str, str]] | None = None) -> str:
    container: dict[str, Any] = {
        "name": "backend",
        "image": IMAGE,
        "essential": True,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": LOG_GROUP,
                "awslogs-region": REGION,
                "awslogs-stream-prefix": "backend",
            },
        },
        "secrets": secrets or [],
    }
    return str(
        aws("ecs").register_task_definition(
            family=unique_name(),
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            executionRoleArn=role_arn,
            containerDefinitions=[container],
        )["taskDefinition"]["taskDefinitionArn"]
    )


BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}


def test_a_task_whose_execution_role_may_pull_and_log_runs(aws: Clients) -> None:
    _, _, described = fargate_service(aws, runs=_ecr_task(aws, _execution_role(aws)))
    assert described["runningCount"] == 1
    assert described["deployments"][0]["rolloutState"] == "COMPLETED"


def test_an_execution_role_that_cannot_pull_fails_the_deployment(aws: Clients) -> None:
    # GIVEN an execution role without ecr:GetDownloadUrlForLayer
    role = _execution_role(aws, pull=("ecr:BatchGetImage",))
    # WHEN a service starts a task with it
    _, _, described = fargate_service(aws, runs=_ecr_task(aws, role))
    # THEN no task runs, the deployment failed, and the event names AWS's reason
    assert described["runningCount"] == 0
    assert described["deployments"][0]["rolloutState"] == "FAILED"
    message = described["events"][0]["message"]
    assert "CannotPullContainerError" in message
    assert "ecr:GetDownloadUrlForLayer" in message


def test_a_release_whose_tasks_cannot_start_rolls_back(aws: Clients) -> None:
    # GIVEN a service running a task definition whose execution role works
    good = _ecr_task(aws, _execution_role(aws))
    cluster, service, _ = fargate_service(aws, runs=good, deploymentConfiguration=BREAKER)
    # WHEN it is updated to one whose execution role cannot pull
    bad = _ecr_task(aws, _execution_role(aws, pull=("ecr:BatchGetImage",)))
    aws("ecs").update_service(cluster=cluster, service=service, taskDefinition=bad)
    # THEN the circuit breaker rolls back to the working task definition
    described = aws("ecs").describe_services(cluster=cluster, services=[service])["services"][0]
    assert described["taskDefinition"] == good
    assert described["runningCount"] == 1
    assert "rolled back" in described["deployments"][0]["rolloutStateReason"]


def test_task_start_authorization_gap_without_shim(unpatched: Clients) -> None:
    # Plain moto records the service with no failed deployment and no event.
    role = _execution_role(unpatched, pull=("ecr:BatchGetImage",))
    _, _, described = fargate_service(unpatched, runs=_ecr_task(unpatched, role))
    assert described["events"] == []
    assert described["deployments"][0]["rolloutState"] != "FAILED"


@pytest.mark.parametrize(("tagged", "runs"), [(True, 1), (False, 0)])
def test_a_secret_is_read_only_as_the_role_policy_conditions_allow(
    aws: Clients, tagged: bool, runs: int
) -> None:
    # GIVEN an execution role that may read secrets tagged Environment=dev only
    tags = [{"Key": "Environment", "Value": "dev"}] if tagged else []
    secret = aws("secretsmanager").create_secret(Name=unique_name(), SecretString="s", Tags=tags)
    role = _execution_role(aws)
    aws("iam").put_role_policy(
        RoleName=role.rsplit("/", 1)[-1],
        PolicyName="secrets",
        PolicyDocument=json.dumps(
            _policy(
                _allow(
                    "secretsmanager:GetSecretValue",
                    "*",
                    StringEquals={"aws:ResourceTag/Environment": "dev"},
                )
            )
        ),
    )
    task = _ecr_task(aws, role, secrets=[{"name": "TOKEN", "valueFrom": secret["ARN"]}])
    # WHEN a service starts it THEN it runs only when the secret carries the tag
    _, _, described = fargate_service(aws, runs=task)
    assert described["runningCount"] == runs


# --- Deployment alarms -----------------------------------------------------------------


def _alarmed_release(aws: Clients, *, rollback: bool) -> tuple[str, str, str, dict[str, Any]]:
    """A service with a deployment alarm in ALARM, updated to a new task definition;
    returns (first task definition, the new one, the alarm, the described service)."""
    alarm = unique_name()
    aws("cloudwatch").put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    settings = {"alarms": {"alarmNames": [alarm], "enable": True, "rollback": rollback}}
    first, second = (task_definition(aws, unique_name()) for _ in "ab")
    cluster, service, _ = fargate_service(aws, runs=first, deploymentConfiguration=settings)
    aws("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="test")
    aws("ecs").update_service(cluster=cluster, service=service, taskDefinition=second)
    described = aws("ecs").describe_services(cluster=cluster, services=[service])["services"][0]
    return first, second, alarm, described


def test_an_alarm_in_alarm_rolls_the_release_back(aws: Clients) -> None:
    first, _, alarm, described = _alarmed_release(aws, rollback=True)
    assert described["taskDefinition"] == first
    reason = described["deployments"][0]["rolloutStateReason"]
    assert "rolled back" in reason and alarm in reason


def test_an_alarm_in_alarm_fails_the_release_without_rollback(aws: Clients) -> None:
    _, second, _, described = _alarmed_release(aws, rollback=False)
    assert described["taskDefinition"] == second
    assert described["deployments"][0]["rolloutState"] == "FAILED"


def test_the_deployment_check_reports_an_alarm_rollback(aws: Clients) -> None:
    # GIVEN a release rolled back by its alarm
    _, second, alarm, described = _alarmed_release(aws, rollback=True)
    applied = deployments.Expected(
        service=described["serviceName"],
        cluster=described["clusterArn"].split("/")[-1],
        task_definition_arn=second,
        log_group="/ecs/x",
    )
    # WHEN the post-deploy check reads the service THEN it is a failed deploy naming the alarm
    (line,) = deployments.problems(aws("ecs"), [applied])
    assert "rolled back" in line and alarm in line


def test_deployment_alarms_gap_without_shim(unpatched: Clients) -> None:
    _, second, _, described = _alarmed_release(unpatched, rollback=True)
    assert described["taskDefinition"] == second  # AWS would have rolled back


# --- ECS tasks as targets, and their health -----------------------------------------------


def test_a_service_s_running_tasks_are_healthy_targets_at_the_container_port(aws: Clients) -> None:
    ids = balanced_service(aws, port=3000, desired=2)
    found = target_health(aws, ids["group"])
    assert [(port, state) for _, port, state in found] == [(3000, "healthy")] * 2
    assert all(ip.startswith("10.2.0.") for ip, _, _ in found)


def test_a_new_deployment_replaces_the_targets(aws: Clients) -> None:
    # GIVEN a service with two healthy targets
    ids = balanced_service(aws)
    before = {ip for ip, _, _ in target_health(aws, ids["group"])}
    # WHEN a new task definition rolls out
    aws("ecs").update_service(
        cluster=ids["cluster"], service=ids["service"], taskDefinition=task_definition(aws, "next")
    )
    # THEN the group holds the new tasks only, healthy
    after = target_health(aws, ids["group"])
    assert [state for _, _, state in after] == ["healthy"] * 2
    assert not before & {ip for ip, _, _ in after}


def test_an_update_that_changes_nothing_keeps_the_targets(aws: Clients) -> None:
    ids = balanced_service(aws)
    before = target_health(aws, ids["group"])
    aws("ecs").update_service(
        cluster=ids["cluster"], service=ids["service"], healthCheckGracePeriodSeconds=30
    )
    assert target_health(aws, ids["group"]) == before


def test_a_new_container_port_registers_the_tasks_on_it(aws: Clients) -> None:
    # GIVEN tasks on 3000 WHEN the service's load balancer entry moves to 3001
    ids = balanced_service(aws, port=3000)
    aws("ec2").authorize_security_group_ingress(
        GroupId=ids["task_sg"],
        IpPermissions=from_group(3001, ids["alb_sg"]),
    )
    aws("ec2").authorize_security_group_egress(
        GroupId=ids["alb_sg"],
        IpPermissions=from_group(3001, ids["task_sg"]),
    )
    aws("ecs").update_service(
        cluster=ids["cluster"],
        service=ids["service"],
        loadBalancers=[
            {"targetGroupArn": ids["group"], "containerName": "app", "containerPort": 3001}
        ],
    )
    # THEN the targets are on 3001, healthy
    assert [(p, s) for _, p, s in target_health(aws, ids["group"])] == [(3001, "healthy")] * 2


def test_deleting_the_service_deregisters_its_targets(aws: Clients) -> None:
    ids = balanced_service(aws)
    aws("ecs").delete_service(cluster=ids["cluster"], service=ids["service"], force=True)
    assert target_health(aws, ids["group"]) == []


def test_a_target_its_security_group_does_not_let_in_is_unhealthy(aws: Clients) -> None:
    # GIVEN healthy targets WHEN the task group stops letting the ALB in on the port
    ids = balanced_service(aws, port=3000)
    aws("ec2").revoke_security_group_ingress(
        GroupId=ids["task_sg"],
        IpPermissions=from_group(3000, ids["alb_sg"]),
    )
    # THEN ELB's health check times out
    found = aws("elbv2").describe_target_health(TargetGroupArn=ids["group"])[
        "TargetHealthDescriptions"
    ]
    assert {(t["TargetHealth"]["State"], t["TargetHealth"]["Reason"]) for t in found} == {
        ("unhealthy", "Target.Timeout")
    }


def test_a_target_the_load_balancer_may_not_reach_is_unhealthy(aws: Clients) -> None:
    ids = balanced_service(aws, port=3000)
    aws("ec2").revoke_security_group_egress(
        GroupId=ids["alb_sg"],
        IpPermissions=from_group(3000, ids["task_sg"]),
    )
    assert {s for _, _, s in target_health(aws, ids["group"])} == {"unhealthy"}


def test_targets_of_a_group_no_listener_uses_are_unused(aws: Clients) -> None:
    # GIVEN healthy targets WHEN the listener that forwarded to their group goes
    ids = balanced_service(aws)
    aws("elbv2").delete_listener(ListenerArn=ids["listener"])
    # THEN they are unused, as ELB says of a group that receives no traffic
    found = aws("elbv2").describe_target_health(TargetGroupArn=ids["group"])[
        "TargetHealthDescriptions"
    ]
    assert {(t["TargetHealth"]["State"], t["TargetHealth"]["Reason"]) for t in found} == {
        ("unused", "Target.NotInUse")
    }


def test_a_service_on_a_group_no_load_balancer_uses_is_refused(aws: Clients) -> None:
    with pytest.raises(
        botocore.exceptions.ClientError, match="does not have an associated load balancer"
    ) as refused:
        balanced_service(aws, listener=False)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"


def test_a_target_group_a_listener_uses_cannot_be_deleted(aws: Clients) -> None:
    # moto refuses this on its own (no patch): pinned because the zero-downtime design needs it
    ids = balanced_service(aws)
    with pytest.raises(botocore.exceptions.ClientError, match="ResourceInUse"):
        aws("elbv2").delete_target_group(TargetGroupArn=ids["group"])


def test_service_targets_gap_without_shim(unpatched: Clients) -> None:
    ids = balanced_service(unpatched)
    assert target_health(unpatched, ids["group"]) == []  # AWS: two healthy task targets


def test_unattached_target_group_gap_without_shim(unpatched: Clients) -> None:
    ids = balanced_service(unpatched, listener=False)  # AWS refuses this service
    assert ids["service"]


def test_target_health_gap_without_shim(unpatched: Clients) -> None:
    ids = balanced_service(unpatched)
    elbv2 = unpatched("elbv2")
    elbv2.register_targets(TargetGroupArn=ids["group"], Targets=[{"Id": "10.2.0.9", "Port": 3000}])
    elbv2.delete_listener(ListenerArn=ids["listener"])
    assert {s for _, _, s in target_health(unpatched, ids["group"])} == {"healthy"}  # AWS: unused


# --- CloudWatch alarms follow their metric ------------------------------------------------


def _five_xx_alarm(aws: Clients, target_group: str) -> str:
    """An alarm like the services' deployment alarm: 10 or more target 5xx in a minute."""
    alarm = unique_name()
    aws("cloudwatch").put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=[
            {"Name": "LoadBalancer", "Value": "app/alb/1"},
            {"Name": "TargetGroup", "Value": target_group},
        ],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    return alarm


def _five_xx(aws: Clients, target_group: str, count: float) -> None:
    aws("cloudwatch").put_metric_data(
        Namespace="AWS/ApplicationELB",
        MetricData=[
            {
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Dimensions": [
                    {"Name": "LoadBalancer", "Value": "app/alb/1"},
                    {"Name": "TargetGroup", "Value": target_group},
                ],
                "Value": count,
            }
        ],
    )


def _state(aws: Clients, alarm: str) -> str:
    (found,) = aws("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    return str(found["StateValue"])


def test_an_alarm_whose_metric_breaches_goes_to_alarm(aws: Clients) -> None:
    group = f"targetgroup/{unique_name()}/1"
    alarm = _five_xx_alarm(aws, group)
    _five_xx(aws, group, 50)
    assert _state(aws, alarm) == "ALARM"


def test_an_alarm_under_its_threshold_stays_ok(aws: Clients) -> None:
    group = f"targetgroup/{unique_name()}/1"
    alarm = _five_xx_alarm(aws, group)
    _five_xx(aws, group, 3)
    assert _state(aws, alarm) == "OK"


def test_another_target_group_s_errors_do_not_trip_the_alarm(aws: Clients) -> None:
    alarm = _five_xx_alarm(aws, f"targetgroup/{unique_name()}/1")
    _five_xx(aws, f"targetgroup/{unique_name()}/2", 50)
    assert _state(aws, alarm) == "OK"


def test_a_release_whose_targets_answer_5xx_is_rolled_back_by_its_alarm(aws: Clients) -> None:
    # GIVEN a service whose deployment alarm watches its target group's 5xx count
    group = f"targetgroup/{unique_name()}/1"
    alarm = _five_xx_alarm(aws, group)
    settings = {"alarms": {"alarmNames": [alarm], "enable": True, "rollback": True}}
    first, second = (task_definition(aws, unique_name()) for _ in "ab")
    cluster, service, _ = fargate_service(aws, runs=first, deploymentConfiguration=settings)
    # WHEN the release's targets answer 500 (the ALB's count reaches the metric)
    _five_xx(aws, group, 50)
    aws("ecs").update_service(cluster=cluster, service=service, taskDefinition=second)
    # THEN ECS rolls back to the task definition that ran before
    described = aws("ecs").describe_services(cluster=cluster, services=[service])["services"][0]
    assert described["taskDefinition"] == first
    assert alarm in described["deployments"][0]["rolloutStateReason"]


def test_alarm_evaluation_gap_without_shim(unpatched: Clients) -> None:
    group = f"targetgroup/{unique_name()}/1"
    alarm = _five_xx_alarm(unpatched, group)
    _five_xx(unpatched, group, 50)
    assert _state(unpatched, alarm) == "OK"  # AWS: ALARM
