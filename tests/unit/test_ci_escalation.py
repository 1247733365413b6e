"""Escalation attempts by the CI deploy role, decided by the emulator's IAM evaluator.

Each row is a request someone holding the deploy role could send to widen its own
power or reach another environment. The requests are derived the way the emulator
derives them from a real call (``tools.emulator.iam_requests``), and evaluated with
the role's two policies (its inline policy and the shared read policy) by AWS's
evaluation logic (``tools.emulator.iam_eval``). Every row must be denied, and the
legitimate twin of each must be allowed, so a row cannot pass by denying everything.
"""

from __future__ import annotations

from typing import Any

import pytest

from config.naming import execution_role_name, flow_logs_role_name, task_role_name
from constructs.ci_policies import Scope, deploy_policy, read_policy
from tools.emulator.iam_eval import Request, evaluate
from tools.emulator.iam_requests import Call, authorizations

ACCOUNT = "123456789012"
PREFIX = "ecs-learn-dev"
SCOPE = Scope(
    partition="aws",
    region="ap-northeast-1",
    account=ACCOUNT,
    env="dev",
    prefix=PREFIX,
    state_bucket="my-org-tfstate",
    repository="ecr-learn-app-dev",
)
POLICIES = [
    deploy_policy(
        SCOPE,
        passable_roles=[execution_role_name(PREFIX), task_role_name(PREFIX, "backend")],
        flow_logs_role=flow_logs_role_name(PREFIX),
    ),
    read_policy(SCOPE),
]
# Hard-coded, not computed with the code under test.
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/ecs-learn-dev-workload-boundary"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecs-learn-dev-backend-task"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _iam(action: str, **params: Any) -> list[Request]:
    call = Call(
        prefix="iam",
        action=action,
        params=params,
        partition="aws",
        region="ap-northeast-1",
        account=ACCOUNT,
        principal=f"arn:aws:iam::{ACCOUNT}:role/ci/ecs-learn-dev-ci-deploy",
    )
    requests, modelled = authorizations(call)
    assert modelled, action
    return requests


def _allowed(requests: list[Request]) -> bool:
    return all(evaluate(r, POLICIES).allowed for r in requests)


def _with_boundary(requests: list[Request], boundary: str | None) -> list[Request]:
    """The requests as they read for an existing role whose boundary is ``boundary``."""
    context = {"iam:PermissionsBoundary": [boundary]} if boundary else {}
    return [Request(r.action, r.resources, {**r.context, **context}) for r in requests]


def _ec2(
    action: str, resource: str, *, tagged: str = "", request: str = "", keys: bool = False
) -> Request:
    """``ec2:<action>`` on ``resource`` of the account, whose ``Environment`` tag is
    ``tagged`` (none when empty), in a request tagging ``Environment=<request>``;
    ``keys`` adds the request's ``aws:TagKeys``."""
    context: dict[str, list[str]] = {}
    if tagged:
        context["aws:ResourceTag/Environment"] = [tagged]
    if request:
        context["aws:RequestTag/Environment"] = [request]
    if keys:
        context["aws:TagKeys"] = ["Environment"]
    arn = f"arn:aws:ec2:ap-northeast-1:{ACCOUNT}:{resource}"
    return Request(f"ec2:{action}", (arn,), context)


ATTEMPTS: dict[str, tuple[list[Request], list[Request]]] = {
    # name: (the attempt, its legitimate twin)
    "create a role without the boundary": (
        _iam("CreateRole", RoleName="ecs-learn-dev-admin"),
        _iam("CreateRole", RoleName="ecs-learn-dev-admin", PermissionsBoundary=BOUNDARY),
    ),
    "create a role with another boundary": (
        _iam("CreateRole", RoleName="ecs-learn-dev-admin", PermissionsBoundary=ADMIN),
        _iam("CreateRole", RoleName="ecs-learn-dev-admin", PermissionsBoundary=BOUNDARY),
    ),
    "grant * to a role without the boundary": (
        _with_boundary(_iam("PutRolePolicy", RoleName="ecs-learn-dev-admin"), None),
        _with_boundary(_iam("PutRolePolicy", RoleName="ecs-learn-dev-admin"), BOUNDARY),
    ),
    "change a trust policy": (
        _with_boundary(
            _iam("UpdateAssumeRolePolicy", RoleName="ecs-learn-dev-backend-task"), BOUNDARY
        ),
        _with_boundary(_iam("PutRolePolicy", RoleName="ecs-learn-dev-backend-task"), BOUNDARY),
    ),
    "attach an AWS-managed admin policy": (
        _with_boundary(
            _iam("AttachRolePolicy", RoleName="ecs-learn-dev-backend-task", PolicyArn=ADMIN),
            BOUNDARY,
        ),
        _with_boundary(_iam("PutRolePolicy", RoleName="ecs-learn-dev-backend-task"), BOUNDARY),
    ),
    "remove a role's boundary": (
        _with_boundary(
            _iam("DeleteRolePermissionsBoundary", RoleName="ecs-learn-dev-backend-task"), BOUNDARY
        ),
        _with_boundary(_iam("DeleteRolePolicy", RoleName="ecs-learn-dev-backend-task"), BOUNDARY),
    ),
    "rewrite the boundary policy": (
        _iam("CreatePolicyVersion", PolicyArn=BOUNDARY),
        _with_boundary(_iam("DeleteRole", RoleName="ecs-learn-dev-backend-task"), BOUNDARY),
    ),
    "touch a CI role": (
        _with_boundary(
            _iam("PutRolePolicy", RoleName="ecs-learn-dev-ci-deploy", Path="/ci/"), BOUNDARY
        ),
        _with_boundary(_iam("PutRolePolicy", RoleName="ecs-learn-dev-ci-x"), BOUNDARY),
    ),
    "pass the task role to EC2": (
        [Request("iam:PassRole", (TASK_ROLE,), {"iam:PassedToService": ["ec2.amazonaws.com"]})],
        [
            Request(
                "iam:PassRole", (TASK_ROLE,), {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}
            )
        ],
    ),
    "write prod's state": (
        [Request("s3:PutObject", ("arn:aws:s3:::my-org-tfstate/prod/prod-foundation.tfstate",))],
        [Request("s3:PutObject", ("arn:aws:s3:::my-org-tfstate/dev/dev-foundation.tfstate",))],
    ),
    "open prod's security group": (
        [_ec2("AuthorizeSecurityGroupIngress", "security-group/sg-0prod", tagged="prod")],
        [_ec2("AuthorizeSecurityGroupIngress", "security-group/sg-0dev", tagged="dev")],
    ),
    "add a dev-tagged rule to prod's security group": (
        [
            _ec2(
                "AuthorizeSecurityGroupIngress",
                "security-group/sg-0prod",
                tagged="prod",
                request="dev",
            )
        ],
        [_ec2("AuthorizeSecurityGroupIngress", "security-group-rule/sgr-0new", request="dev")],
    ),
    "create a dev-tagged subnet in prod's VPC": (
        [_ec2("CreateSubnet", "vpc/vpc-0prod", tagged="prod", request="dev")],
        [
            _ec2("CreateSubnet", "subnet/subnet-0new", request="dev"),
            _ec2("CreateSubnet", "vpc/vpc-0dev", tagged="dev", request="dev"),
        ],
    ),
    "retag prod's security group as dev": (
        [_ec2("CreateTags", "security-group/sg-0prod", tagged="prod", request="dev", keys=True)],
        [_ec2("CreateTags", "security-group/sg-0dev", tagged="dev", request="dev", keys=True)],
    ),
}


@pytest.mark.parametrize("name", sorted(ATTEMPTS))
def test_the_attempt_is_denied(name: str) -> None:
    attempt, _ = ATTEMPTS[name]
    assert not _allowed(attempt), f"{name}: allowed"


@pytest.mark.parametrize("name", sorted(ATTEMPTS))
def test_its_legitimate_twin_is_allowed(name: str) -> None:
    _, twin = ATTEMPTS[name]
    assert _allowed(twin), f"{name}: the legitimate request is denied too"
