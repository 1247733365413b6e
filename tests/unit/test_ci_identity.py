"""The CI identity in ``<env>-bootstrap``: OIDC provider, plan and deploy roles, their trust.

Trust policies are asserted on cdktf.Testing output and also evaluated with
moto's IAM policy evaluator against the OIDC claims GitHub sends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cdktf import Testing
from moto.iam.access_control import IAMPolicy, PermissionResult

from config import ConfigError, EnvironmentConfig, load_environment, settings_from_env
from modules.bootstrap import build_bootstrap

ROOT = Path(__file__).resolve().parents[2]
REPO = "my-org/ecs-learn"
SETTINGS = {"TARGET": "aws", "TF_STATE_BUCKET": "my-org-tfstate", "APP_VERSION": "1.2.3"}
HOST = "token.actions.githubusercontent.com"


def _env(name: str, **settings: str) -> EnvironmentConfig:
    return load_environment(name, settings_from_env({**SETTINGS, **settings}))


def _synth(env: EnvironmentConfig) -> dict[str, Any]:
    return json.loads(Testing.synth(build_bootstrap(Testing.app(), env)))


def _roles(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """CI roles by name, each with its parsed trust policy."""
    roles = stack.get("resource", {}).get("aws_iam_role", {}).values()
    return {r["name"]: {**r, "trust": json.loads(r["assume_role_policy"])} for r in roles}


@pytest.fixture(scope="module")
def prod_bootstrap() -> dict[str, Any]:
    return _synth(_env("prod", GITHUB_REPOSITORY=REPO))


@pytest.fixture(scope="module")
def dev_bootstrap() -> dict[str, Any]:
    return _synth(_env("dev", GITHUB_REPOSITORY=REPO))


def test_without_a_repository_the_bootstrap_creates_no_ci_identity() -> None:
    # GIVEN no GITHUB_REPOSITORY WHEN the bootstrap is synthesized
    stack = _synth(_env("dev"))
    # THEN it holds the state bucket only
    assert "aws_s3_bucket" in stack["resource"]
    assert not {"aws_iam_role", "aws_iam_openid_connect_provider"} & set(stack["resource"])


def test_the_oidc_provider_is_githubs_with_the_sts_audience(dev_bootstrap: dict[str, Any]) -> None:
    (provider,) = dev_bootstrap["resource"]["aws_iam_openid_connect_provider"].values()
    assert provider["url"] == f"https://{HOST}"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]


def test_an_existing_oidc_provider_is_looked_up_not_created() -> None:
    stack = _synth(_env("prod", GITHUB_REPOSITORY=REPO, GITHUB_OIDC_PROVIDER="existing"))
    assert "aws_iam_openid_connect_provider" not in stack["resource"]
    (lookup,) = stack["data"]["aws_iam_openid_connect_provider"].values()
    assert lookup["url"] == f"https://{HOST}"


def test_an_existing_state_bucket_is_not_created_but_still_scopes_the_roles() -> None:
    # GIVEN a bucket shared with another environment's bootstrap
    stack = _synth(_env("prod", GITHUB_REPOSITORY=REPO, BOOTSTRAP_STATE_BUCKET="existing"))
    # THEN no bucket resource, and the roles still reach prod's state in that bucket
    assert "aws_s3_bucket" not in stack["resource"]
    policies = [p["policy"] for p in stack["resource"]["aws_iam_role_policy"].values()]
    assert all(":s3:::my-org-tfstate/prod/*" in p for p in policies)


@pytest.mark.parametrize(
    ("env_fixture", "role", "subjects"),
    [
        ("dev_bootstrap", "ecs-learn-dev-ci-plan", ["pull_request", "ref:refs/heads/main"]),
        ("dev_bootstrap", "ecs-learn-dev-ci-deploy", ["environment:development"]),
        ("prod_bootstrap", "ecs-learn-prod-ci-plan", ["pull_request", "ref:refs/heads/main"]),
        ("prod_bootstrap", "ecs-learn-prod-ci-deploy", ["environment:production"]),
    ],
)
def test_each_role_trusts_exact_subjects_of_the_repository(
    request: pytest.FixtureRequest, env_fixture: str, role: str, subjects: list[str]
) -> None:
    roles = _roles(request.getfixturevalue(env_fixture))
    (statement,) = roles[role]["trust"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert "github-oidc" in statement["Principal"]["Federated"]
    # Exact matching only: no StringLike, so no pattern can widen it.
    assert statement["Condition"] == {
        "StringEquals": {
            f"{HOST}:aud": "sts.amazonaws.com",
            f"{HOST}:sub": [f"repo:{REPO}:{s}" for s in subjects],
        }
    }
    assert roles[role]["path"] == "/ci/"


def test_no_trust_policy_holds_a_wildcard(prod_bootstrap: dict[str, Any]) -> None:
    for role in _roles(prod_bootstrap).values():
        assert "*" not in role["assume_role_policy"], role["name"]


def _assume(trust: dict[str, Any], claims: dict[str, str]) -> PermissionResult:
    return IAMPolicy(json.dumps(trust)).is_action_permitted(
        "sts:AssumeRoleWithWebIdentity",
        incoming_condition_values={f"{HOST}:{k}": v for k, v in claims.items()},
    )


@pytest.mark.parametrize(
    ("sub", "aud", "allowed"),
    [
        (f"repo:{REPO}:pull_request", "sts.amazonaws.com", True),
        (f"repo:{REPO}:pull_request", "https://github.com/my-org", False),
        ("repo:someone/ecs-learn:pull_request", "sts.amazonaws.com", False),
        (f"repo:{REPO}:ref:refs/heads/main", "sts.amazonaws.com", True),
        (f"repo:{REPO}:ref:refs/heads/feature", "sts.amazonaws.com", False),
        (f"repo:{REPO}:environment:production", "sts.amazonaws.com", False),
        (f"repo:{REPO}-fork:pull_request", "sts.amazonaws.com", False),
    ],
)
def test_the_plan_roles_trust_admits_only_pull_requests_and_main(
    dev_bootstrap: dict[str, Any], sub: str, aud: str, allowed: bool
) -> None:
    trust = _roles(dev_bootstrap)["ecs-learn-dev-ci-plan"]["trust"]
    result = _assume(trust, {"aud": aud, "sub": sub})
    assert (result == PermissionResult.PERMITTED) is allowed


@pytest.mark.parametrize(
    ("sub", "allowed"),
    [
        (f"repo:{REPO}:environment:production", True),
        (f"repo:{REPO}:environment:development", False),
        (f"repo:{REPO}:ref:refs/heads/main", False),
        (f"repo:{REPO}:pull_request", False),
        ("repo:other-org/ecs-learn:environment:production", False),
    ],
)
def test_the_prod_deploy_roles_trust_admits_only_the_production_environment(
    prod_bootstrap: dict[str, Any], sub: str, allowed: bool
) -> None:
    trust = _roles(prod_bootstrap)["ecs-learn-prod-ci-deploy"]["trust"]
    result = _assume(trust, {"aud": "sts.amazonaws.com", "sub": sub})
    assert (result == PermissionResult.PERMITTED) is allowed


def test_the_bootstrap_outputs_both_role_arns(dev_bootstrap: dict[str, Any]) -> None:
    assert {"ci_plan_role_arn", "ci_deploy_role_arn"} <= set(dev_bootstrap["output"])


def test_deploy_roles_trust_the_github_environments_the_deploy_workflow_uses() -> None:
    # GIVEN the deploy workflow's jobs WHEN compared with each environment's config
    workflow = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
    used = {job["environment"] for job in workflow["jobs"].values() if "environment" in job}
    # THEN every deploy job's GitHub environment is one some deploy role trusts
    configured = {_env(name).ci.github_environment for name in ("dev", "prod")}
    assert used == configured


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("my-org/*", r"GITHUB_REPOSITORY='my-org/\*'.*repository '\*'"),
        ("my-org", r"GITHUB_REPOSITORY='my-org'.*owner/repo"),
        ("a/b/c", r"GITHUB_REPOSITORY='a/b/c'.*owner/repo"),
        ("-org/repo", r"GITHUB_REPOSITORY='-org/repo'.*owner '-org'"),
        ("org/..", r"GITHUB_REPOSITORY='org/\.\.'.*repository '\.\.'"),
        ("org/repo:ref", r"GITHUB_REPOSITORY='org/repo:ref'.*repository 'repo:ref'"),
    ],
)
def test_a_bad_repository_is_one_error_naming_it(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_env({**SETTINGS, "GITHUB_REPOSITORY": value})


@pytest.mark.parametrize("variable", ["GITHUB_OIDC_PROVIDER", "BOOTSTRAP_STATE_BUCKET"])
def test_create_or_existing_settings_reject_other_values(variable: str) -> None:
    with pytest.raises(
        ConfigError, match=rf"{variable}='reuse'.*'create' \(default\) or 'existing'"
    ):
        settings_from_env({**SETTINGS, variable: "reuse"})


def test_a_bad_github_environment_names_its_field() -> None:
    with pytest.raises(ConfigError, match=r"dev\.ci\.github_environment='prod:\*'"):
        _env("dev").with_(ci={"github_environment": "prod:*"})
