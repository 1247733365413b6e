"""The emulator's IAM evaluator against AWS's documented policy evaluation rules."""

from __future__ import annotations

from typing import Any

import pytest

from tools.emulator.iam_eval import Request, conditions_hold, evaluate
from tools.emulator.iam_requests import Call, authorizations, star_only

TASK_DEFINITIONS = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/ecs-learn-dev-*:*"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: Any, resource: Any, **condition: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


def test_nothing_is_allowed_without_a_statement() -> None:
    assert not evaluate(Request("ecs:ListClusters"), []).allowed


def test_a_star_only_request_does_not_match_a_scoped_resource() -> None:
    # GIVEN DeregisterTaskDefinition granted on task-definition ARNs
    policy = _policy(_allow("ecs:DeregisterTaskDefinition", TASK_DEFINITIONS))
    # WHEN the request's resource is "*", as for every action without resource types
    decision = evaluate(Request("ecs:DeregisterTaskDefinition", ("*",)), [policy])
    # THEN it is denied, and the mis-scoped statement is named as the closest
    assert not decision.allowed
    assert decision.closest[0]["Resource"] == TASK_DEFINITIONS


def test_actions_match_case_insensitively_and_resources_case_sensitively() -> None:
    policy = _policy(_allow("ECS:describe*", "arn:aws:ecs:*:*:cluster/App"))
    assert evaluate(
        Request("ecs:DescribeClusters", ("arn:aws:ecs:r:1:cluster/App",)), [policy]
    ).allowed
    assert not evaluate(
        Request("ecs:DescribeClusters", ("arn:aws:ecs:r:1:cluster/app",)), [policy]
    ).allowed


def test_an_explicit_deny_wins_in_any_policy() -> None:
    allow = _policy(_allow("iam:*", "*"))
    deny = _policy({"Effect": "Deny", "Action": "iam:PutRolePolicy", "Resource": "*"})
    decision = evaluate(Request("iam:PutRolePolicy", ("arn:aws:iam::1:role/x",)), [allow, deny])
    assert not decision.allowed
    assert "explicit deny" in decision.reason


def test_not_action_and_not_resource() -> None:
    policy = _policy(
        {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}
    )
    assert evaluate(Request("s3:GetObject", ("arn:aws:s3:::open/a",)), [policy]).allowed
    assert not evaluate(Request("s3:GetObject", ("arn:aws:s3:::secret/a",)), [policy]).allowed
    assert not evaluate(Request("iam:GetRole", ("*",)), [policy]).allowed


def test_every_resource_of_a_request_must_be_allowed() -> None:
    alias, key = "arn:aws:kms:r:1:alias/app", "arn:aws:kms:r:1:key/k1"
    policy = _policy(_allow("kms:CreateAlias", alias))
    assert not evaluate(Request("kms:CreateAlias", (alias, key)), [policy]).allowed


def test_a_permissions_boundary_caps_the_policy() -> None:
    policy = _policy(_allow("*", "*"))
    boundary = _policy(_allow("logs:PutLogEvents", "*"))
    assert evaluate(Request("logs:PutLogEvents"), [policy], boundary=boundary).allowed
    decision = evaluate(Request("iam:CreateRole"), [policy], boundary=boundary)
    assert not decision.allowed
    assert "permissions boundary" in decision.reason


def test_a_boundary_alone_grants_nothing() -> None:
    boundary = _policy(_allow("logs:PutLogEvents", "*"))
    assert not evaluate(Request("logs:PutLogEvents"), [], boundary=boundary).allowed


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        # A missing key fails a positive operator and satisfies a negated one.
        ({"StringEquals": {"aws:RequestTag/Environment": "dev"}}, {}, False),
        ({"StringNotEquals": {"aws:RequestTag/Environment": "dev"}}, {}, True),
        ({"StringEqualsIfExists": {"aws:RequestTag/Environment": "dev"}}, {}, True),
        (
            {"StringEquals": {"aws:RequestTag/Environment": "dev"}},
            {"aws:RequestTag/Environment": ["prod"]},
            False,
        ),
        # Any of the policy's values may match; every key must hold.
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": ["b"]}, True),
        ({"StringEquals": {"k": "a", "j": "b"}}, {"k": ["a"]}, False),
        ({"StringLike": {"k": "ecs-learn-*"}}, {"k": ["ecs-learn-dev"]}, True),
        ({"ArnLike": {"k": "arn:aws:iam::*:role/x-*"}}, {"k": ["arn:aws:iam::1:role/x-a"]}, True),
        ({"Null": {"aws:ResourceTag/Environment": "true"}}, {}, True),
        (
            {"Null": {"aws:ResourceTag/Environment": "true"}},
            {"aws:ResourceTag/Environment": ["d"]},
            False,
        ),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": ["true"]}, False),
        # Multi-valued keys: ForAllValues holds on an empty set, ForAnyValue does not.
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {}, True),
        ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["a", "z"]}, False),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, False),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["z", "a"]}, True),
        # Condition keys are case-insensitive.
        (
            {"StringEquals": {"IAM:PassedToService": "ecs-tasks.amazonaws.com"}},
            {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]},
            True,
        ),
        # An operator the evaluator does not model never holds (an Allow fails closed).
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": ["10.0.0.1"]}, False),
    ],
)
def test_condition_operators(condition: Any, context: Any, holds: bool) -> None:
    assert conditions_hold(condition, context) is holds


def test_star_only_comes_from_the_service_authorization_reference() -> None:
    assert star_only("ecs:DeregisterTaskDefinition")
    assert star_only("elasticloadbalancing:SetWebAcl")
    assert not star_only("ecs:RegisterTaskDefinition")
    assert not star_only("no-such-service:Nothing")


def _call(prefix: str, action: str, **params: Any) -> Call:
    return Call(
        prefix=prefix,
        action=action,
        params=params,
        partition="aws",
        region="ap-northeast-1",
        account="123456789012",
        principal="arn:aws:iam::123456789012:role/ci/deployer",
    )


def test_registering_a_task_definition_passes_its_roles_to_ecs_tasks() -> None:
    call = _call(
        "ecs",
        "RegisterTaskDefinition",
        family="ecs-learn-dev-frontend",
        taskRoleArn="arn:aws:iam::123456789012:role/ecs-learn-dev-frontend-task",
        tags=[{"key": "Environment", "value": "dev"}],
    )
    requests, modelled = authorizations(call)
    assert modelled
    by_action = {r.action: r for r in requests}
    assert by_action["ecs:RegisterTaskDefinition"].resources == (
        "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/ecs-learn-dev-frontend:*",
    )
    assert by_action["iam:PassRole"].context == {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}
    # Tags given at registration need ecs:TagResource too.
    assert by_action["ecs:TagResource"].context["aws:RequestTag/Environment"] == ["dev"]


def test_a_deregistration_is_checked_on_star() -> None:
    requests, modelled = authorizations(
        _call("ecs", "DeregisterTaskDefinition", taskDefinition="ecs-learn-dev-frontend:3")
    )
    assert modelled
    assert [(r.action, r.resources) for r in requests] == [("ecs:DeregisterTaskDefinition", ("*",))]


def test_creating_a_role_carries_its_boundary_into_the_context() -> None:
    boundary = "arn:aws:iam::123456789012:policy/ci/ecs-learn-dev-workload-boundary"
    requests, _ = authorizations(
        _call("iam", "CreateRole", RoleName="ecs-learn-dev-x", PermissionsBoundary=boundary)
    )
    assert requests[0].resources == ("arn:aws:iam::123456789012:role/ecs-learn-dev-x",)
    assert requests[0].context["iam:PermissionsBoundary"] == [boundary]


def test_an_action_without_a_derivation_is_not_modelled() -> None:
    _, modelled = authorizations(_call("ec2", "CreateSubnet", VpcId="vpc-1"))
    assert not modelled


def test_only_allow_statements_come_closest() -> None:
    # GIVEN a deny of the action on one resource and no allow at all
    policy = _policy(
        {"Effect": "Deny", "Action": "ecs:UpdateService", "Resource": "arn:aws:ecs:r:1:service/x/y"}
    )
    decision = evaluate(Request("ecs:UpdateService", ("arn:aws:ecs:r:1:service/a/b",)), [policy])
    # THEN nothing came close: a deny never suggests the action is granted somewhere
    assert not decision.allowed
    assert decision.closest == ()
