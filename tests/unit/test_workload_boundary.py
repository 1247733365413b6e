"""The workload permissions boundary: made by the bootstrap, carried by every foundation role.

The boundary must cover what each workload role is granted (else AWS refuses the
task at start, which the emulator would not show) and nothing the workloads do not need.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy

from config import load_environment, settings_from_env
from constructs.workload_boundary import workload_boundary
from modules.bootstrap import build_bootstrap
from tests.iam_policies import ACCOUNT, as_list, resolve, statements, synthesized_policies
from tests.synth import SECRET_ARN, SECRETS_KEY_ARN, Synth

SETTINGS = {"TARGET": "aws", "TF_STATE_BUCKET": "my-org-tfstate", "APP_VERSION": "1.2.3"}
REGION = "ap-northeast-1"


def _boundary(**overrides: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "partition": "aws",
        "region": REGION,
        "account": ACCOUNT,
        "env": "dev",
        "prefix": "ecs-learn-dev",
        "repository": "ecr-learn-app-dev",
    }
    return workload_boundary(**(inputs | overrides))


def _resource_tags_only(condition: dict[str, Any] | None) -> bool:
    """A condition on the resource's own tags: met by tagging the resource, which a
    role's policy cannot express (secrets are bounded by their Environment tag)."""
    return bool(condition) and all(
        key.startswith("aws:ResourceTag/") for keys in condition.values() for key in keys
    )


def uncovered(policy: dict[str, Any], boundary: dict[str, Any]) -> list[tuple[str, str]]:
    """(action, resource) pairs ``policy`` allows that no boundary statement allows
    under the same condition, no condition, or one on the resource's tags only."""
    allows = [s for s in statements(boundary) if s["Effect"] == "Allow"]
    return [
        (action, resource)
        for statement in statements(policy)
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
        if not any(
            any(fnmatchcase(action, a) for a in as_list(b["Action"]))
            and any(fnmatchcase(resource, r) for r in as_list(b["Resource"]))
            and (
                b.get("Condition") in (None, statement.get("Condition"))
                or _resource_tags_only(b.get("Condition"))
            )
            for b in allows
        )
    ]


def test_the_bootstrap_creates_the_boundary_even_without_ci_roles() -> None:
    # GIVEN no GITHUB_REPOSITORY WHEN dev's bootstrap is synthesized
    env = load_environment("dev", settings_from_env(SETTINGS))
    stack = Testing.synth(build_bootstrap(Testing.app(), env))
    # THEN it still holds the boundary policy, named after the prefix
    assert Testing.to_have_resource_with_properties(
        stack, IamPolicy.TF_RESOURCE_TYPE, {"name": "ecs-learn-dev-workload-boundary"}
    )
    assert "aws_iam_role" not in json.loads(stack)["resource"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_foundation_role_carries_the_boundary_of_its_environment(
    synthed_ci: Synth, env: str
) -> None:
    stack = synthed_ci.json(f"{env}-foundation")
    roles = synthed_ci.resources(f"{env}-foundation", "aws_iam_role")
    assert len(roles) == (4 if env == "prod" else 3)  # execution, 2 task roles, prod's flow logs
    for role in roles:
        assert resolve(role["permissions_boundary"], stack) == (
            f"arn:aws:iam::{ACCOUNT}:policy/ecs-learn-{env}-workload-boundary"
        ), role["name"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_bootstraps_boundary_covers_every_foundation_policy(
    synthed_ci: Synth, env: str
) -> None:
    policies = synthesized_policies({"ci": synthed_ci})
    boundary = policies[f"ci {env}-bootstrap/workload-boundary/policy"]
    workloads = {p: d for p, d in policies.items() if p.startswith(f"ci {env}-foundation/")}
    assert workloads, sorted(policies)
    assert {p: u for p, d in workloads.items() if (u := uncovered(d, boundary))} == {}


def test_the_boundary_covers_the_execution_roles_secrets(synthed_secrets: Synth) -> None:
    # GIVEN dev with a backend secret under its own key
    (execution,) = [
        d
        for p, d in synthesized_policies({"s": synthed_secrets}).items()
        if p.endswith("dev-foundation/task-execution-role/policy")
    ]
    granted = {a for s in statements(execution) for a in as_list(s["Action"])}
    assert {"secretsmanager:GetSecretValue", "kms:Decrypt"} <= granted
    # THEN the secret (when tagged Environment=dev) and its key are within the boundary
    assert uncovered(execution, _boundary()) == []


def test_secrets_are_bounded_by_their_environment_tag_and_keys_by_secrets_manager() -> None:
    by_sid = {s["Sid"]: s for s in statements(_boundary())}
    assert (
        by_sid["ReadSecrets"]["Resource"] == f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:*"
    )
    assert by_sid["ReadSecrets"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/Environment": "dev"}
    }
    assert by_sid["DecryptSecrets"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    }


def test_a_secret_added_to_the_config_leaves_the_boundary_unchanged() -> None:
    # A release that adds a secret is deployed by CI; it must not need a new bootstrap.
    env = load_environment("dev", settings_from_env(SETTINGS))
    with_secret = env.with_(
        backend={"secrets": {"DB_PASSWORD": SECRET_ARN}, "secrets_kms_key_arn": SECRETS_KEY_ARN}
    )
    policies = [
        _resources(Testing.synth(build_bootstrap(Testing.app(), e)), "aws_iam_policy")
        for e in (env, with_secret)
    ]
    assert policies[0] == policies[1]


def _resources(synthesized: str, tf_type: str) -> list[dict[str, Any]]:
    found = json.loads(synthesized)["resource"][tf_type].values()
    return [{k: v for k, v in r.items() if k != "//"} for r in found]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_ecs_and_flow_logs_may_assume_the_roles_only_for_this_account(
    synthed: Synth, env: str
) -> None:
    stack = synthed.json(f"{env}-foundation")
    for role in synthed.resources(f"{env}-foundation", "aws_iam_role"):
        (statement,) = json.loads(resolve(role["assume_role_policy"], stack))["Statement"]
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, role[
            "name"
        ]
        assert statement["Principal"]["Service"] in (
            "ecs-tasks.amazonaws.com",
            "vpc-flow-logs.amazonaws.com",
        )


def test_without_a_bootstrap_the_foundation_creates_the_boundary(synthed_local: Synth) -> None:
    # GIVEN local state: no <env>-bootstrap exists to create the boundary
    stack = synthed_local.json("dev-foundation")
    (policy,) = synthed_local.resources("dev-foundation", "aws_iam_policy")
    # THEN the foundation creates it, and every role carries that policy
    assert policy["name"] == "ecs-learn-dev-workload-boundary"
    roles = synthed_local.resources("dev-foundation", "aws_iam_role")
    assert roles
    for role in roles:
        assert role["permissions_boundary"].startswith("${aws_iam_policy."), role["name"]
    assert "aws_iam_policy" in stack["resource"]


def test_with_a_bootstrap_the_foundation_creates_no_boundary(synthed_ci: Synth) -> None:
    assert synthed_ci.resources("dev-foundation", "aws_iam_policy") == []
