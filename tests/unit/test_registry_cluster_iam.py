"""ECR repository, ECS cluster with log groups, and the two kinds of IAM role."""

import json

from cdktf import Testing
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment

from constructs.iam import execution_policy
from tests.synth import SECRET_ARN, SECRETS_KEY_ARN, mask

STACK = "dev-foundation"


def test_repository_is_immutable_scanned_and_kms_encrypted(synthed):
    assert Testing.to_have_resource_with_properties(
        synthed.stacks[STACK],
        EcrRepository.TF_RESOURCE_TYPE,
        {
            "name": "ecr-learn-app-dev",
            "image_tag_mutability": "IMMUTABLE",
            "image_scanning_configuration": {"scan_on_push": True},
            "encryption_configuration": [{"encryption_type": "KMS"}],
        },
    )


def test_lifecycle_keeps_last_images_per_tag_prefix(synthed):
    (policy,) = synthed.resources(STACK, EcrLifecyclePolicy.TF_RESOURCE_TYPE)
    rules = json.loads(policy["policy"])["rules"]
    tagged = [r["selection"] for r in rules if r["selection"]["tagStatus"] == "tagged"]
    assert tagged == [
        {
            "tagStatus": "tagged",
            "tagPrefixList": [prefix],
            "countType": "imageCountMoreThan",
            "countNumber": 10,
        }
        for prefix in ("frontend-", "backend-")
    ]
    assert sorted(r["rulePriority"] for r in rules) == [1, 2, 3]


def test_prod_repository_cannot_be_force_deleted(synthed):
    (dev_repo,) = synthed.resources(STACK, EcrRepository.TF_RESOURCE_TYPE)
    (prod_repo,) = synthed.resources("prod-foundation", EcrRepository.TF_RESOURCE_TYPE)
    assert (dev_repo["force_delete"], prod_repo["force_delete"]) == (True, False)


def test_cluster_has_container_insights(synthed):
    assert Testing.to_have_resource_with_properties(
        synthed.stacks[STACK],
        EcsCluster.TF_RESOURCE_TYPE,
        {"name": "ecs-learn-dev", "setting": [{"name": "containerInsights", "value": "enabled"}]},
    )


def test_one_log_group_per_service_with_configured_retention(synthed):
    groups = {
        g["name"]: g["retention_in_days"]
        for g in synthed.resources(STACK, CloudwatchLogGroup.TF_RESOURCE_TYPE)
    }
    assert groups == {
        "/ecs/ecs-learn-dev/frontend": 14,
        "/ecs/ecs-learn-dev/backend": 14,
        "/aws/ecs/containerinsights/ecs-learn-dev/performance": 14,
    }
    prod = synthed.resources("prod-foundation", CloudwatchLogGroup.TF_RESOURCE_TYPE)
    assert {g["retention_in_days"] for g in prod} == {365}


def test_roles_are_assumable_only_by_ecs_tasks(synthed):
    roles = synthed.resources(STACK, IamRole.TF_RESOURCE_TYPE)
    assert {r["name"] for r in roles} == {
        "ecs-learn-dev-task-execution",
        "ecs-learn-dev-frontend-task",
        "ecs-learn-dev-backend-task",
    }
    for role in roles:
        (statement,) = json.loads(role["assume_role_policy"])["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def execution_role_policy(synthed, stack=STACK):
    """The execution role's one inline policy (dev's task roles also hold ``ecs-exec``)."""
    (policy,) = [
        p
        for p in synthed.resources(stack, IamRolePolicy.TF_RESOURCE_TYPE)
        if p["name"] == "ecs-task-execution"
    ]
    return policy


def test_task_roles_have_no_permissions_without_exec(synthed):
    # prod keeps ECS Exec off: its task roles hold nothing
    policies = synthed.resources("prod-foundation", IamRolePolicy.TF_RESOURCE_TYPE)
    assert [ref for p in policies for ref in [p["role"]] if "task-role" in ref] == []
    assert synthed.resources("prod-foundation", IamRolePolicyAttachment.TF_RESOURCE_TYPE) == []


def test_with_exec_the_task_roles_hold_only_the_session_manager_channels(synthed):
    exec_policies = [
        p
        for p in synthed.resources(STACK, IamRolePolicy.TF_RESOURCE_TYPE)
        if p["name"] == "ecs-exec"
    ]
    assert sorted("task-role-backend" in p["role"] for p in exec_policies) == [False, True]
    for policy in exec_policies:
        (statement,) = json.loads(policy["policy"])["Statement"]
        assert statement["Resource"] == "*"  # these actions take no resource ARN
        assert sorted(statement["Action"]) == [
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ]
    assert synthed.resources(STACK, IamRolePolicyAttachment.TF_RESOURCE_TYPE) == []


def test_execution_role_pulls_only_our_repo_and_writes_only_our_logs(synthed):
    policy = execution_role_policy(synthed)
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    assert set(statements) == {"EcrAuth", "EcrPull", "WriteLogs"}
    assert statements["EcrAuth"]["Resource"] == "*"  # has no resource-level permissions
    assert statements["EcrPull"]["Resource"].startswith("${aws_ecr_repository.")
    assert all(
        r.startswith("${aws_cloudwatch_log_group.") for r in statements["WriteLogs"]["Resource"]
    )
    actions = [
        a
        for s in statements.values()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert not any("*" in a for a in actions)


# What the ECS agent does for a task without secrets; a task whose agent lacks one of
# these fails to pull its image or to ship its first log line, which no synth notices.
EXECUTION_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}


def test_execution_role_has_exactly_the_agents_actions(synthed):
    policy = execution_role_policy(synthed)
    statements = mask(policy["policy"])["Statement"]
    actions = [
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert sorted(actions) == sorted(EXECUTION_ACTIONS)


def test_execution_policy_is_exactly_our_repository_and_our_log_streams(synthed):
    policy = execution_role_policy(synthed)
    assert mask(policy["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EcrAuth",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "EcrPull",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": "${aws_ecr_repository.registry_repository_#.arn}",
            },
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                # Both actions act on a log stream: the group's ARN alone matches none.
                "Resource": [
                    "${aws_cloudwatch_log_group.cluster_log-group-frontend_#.arn}:log-stream:*",
                    "${aws_cloudwatch_log_group.cluster_log-group-backend_#.arn}:log-stream:*",
                ],
            },
        ],
    }


def test_execution_role_reads_secrets_only_when_configured():
    arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf"
    without = json.loads(execution_policy(repository_arn="r", log_group_arns=["l"], secret_arns=[]))
    with_secret = json.loads(
        execution_policy(repository_arn="r", log_group_arns=["l"], secret_arns=[arn])
    )
    assert "ReadSecrets" not in {s["Sid"] for s in without["Statement"]}
    (read,) = [s for s in with_secret["Statement"] if s["Sid"] == "ReadSecrets"]
    assert (read["Action"], read["Resource"]) == ("secretsmanager:GetSecretValue", [arn])


def _execution_statements(synthed):
    policy = execution_role_policy(synthed)
    return {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}


def test_execution_role_decrypts_only_with_the_configured_secrets_key(synthed_secrets):
    # GIVEN secrets encrypted with a customer-managed key
    # THEN the agent may decrypt with exactly that key, and only through Secrets Manager.
    statements = _execution_statements(synthed_secrets)
    assert statements["ReadSecrets"]["Resource"] == [SECRET_ARN]
    assert statements["DecryptSecrets"] == {
        "Sid": "DecryptSecrets",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": [SECRETS_KEY_ARN],
        "Condition": {
            "StringEquals": {"kms:ViaService": "secretsmanager.ap-northeast-1.amazonaws.com"}
        },
    }


def test_execution_role_has_no_kms_access_without_secrets(synthed):
    statements = _execution_statements(synthed).values()
    assert not [s for s in statements if "kms:" in json.dumps(s["Action"])]
