"""The CI identity in ``<env>-bootstrap``: OIDC provider, plan and deploy roles, their trust.

Trust policies are asserted on cdktf.Testing output and also evaluated against
the OIDC claims GitHub sends, by a small evaluator of IAM's StringEquals and
StringLike (moto's ignores StringLike; it is cross-checked with moto where moto
is right).
"""

from __future__ import annotations

import json
import re
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


# The subjects GitHub mints once the repository's subject template is
# ["repo", "context", "ref"]: the context (what the default subject holds after the
# repository), then ref:<git ref>. Written out here, not built with the code under test.
DEV_DEPLOY_ON_MAIN = f"repo:{REPO}:environment:development:ref:refs/heads/main"
PROD_DEPLOY_ON_MAIN = f"repo:{REPO}:environment:production:ref:refs/heads/main"
DRIFT_ON_MAIN = f"repo:{REPO}:ref:refs/heads/main:ref:refs/heads/main"
PULL_REQUEST = f"repo:{REPO}:pull_request:ref:refs/pull/42/merge"
PR_PATTERN = f"repo:{REPO}:pull_request:ref:refs/pull/*/merge"


@pytest.mark.parametrize(
    ("env_fixture", "role", "subject"),
    [
        ("dev_bootstrap", "ecs-learn-dev-ci-deploy", DEV_DEPLOY_ON_MAIN),
        ("prod_bootstrap", "ecs-learn-prod-ci-deploy", PROD_DEPLOY_ON_MAIN),
    ],
)
def test_a_deploy_role_trusts_exactly_its_environment_on_main(
    request: pytest.FixtureRequest, env_fixture: str, role: str, subject: str
) -> None:
    roles = _roles(request.getfixturevalue(env_fixture))
    (statement,) = roles[role]["trust"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert "github-oidc" in statement["Principal"]["Federated"]
    # Exact matching only: no StringLike, so no pattern can widen it.
    assert statement["Condition"] == {
        "StringEquals": {f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": [subject]}
    }
    assert roles[role]["path"] == "/ci/"


@pytest.mark.parametrize(
    ("env_fixture", "role"),
    [("dev_bootstrap", "ecs-learn-dev-ci-plan"), ("prod_bootstrap", "ecs-learn-prod-ci-plan")],
)
def test_a_plan_role_trusts_main_exactly_and_pull_requests_by_one_pattern(
    request: pytest.FixtureRequest, env_fixture: str, role: str
) -> None:
    roles = _roles(request.getfixturevalue(env_fixture))
    exact, pattern = roles[role]["trust"]["Statement"]
    assert {exact["Action"], pattern["Action"]} == {"sts:AssumeRoleWithWebIdentity"}
    assert exact["Condition"] == {
        "StringEquals": {f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": [DRIFT_ON_MAIN]}
    }
    assert pattern["Condition"] == {
        "StringEquals": {f"{HOST}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{HOST}:sub": [PR_PATTERN]},
    }
    assert roles[role]["path"] == "/ci/"


def test_the_only_wildcard_in_any_trust_policy_is_the_pull_request_number(
    prod_bootstrap: dict[str, Any],
) -> None:
    for role in _roles(prod_bootstrap).values():
        text = role["assume_role_policy"]
        expected = 1 if role["name"] == "ecs-learn-prod-ci-plan" else 0
        assert text.count("*") == expected, role["name"]
        assert "?" not in text, role["name"]


def _like(pattern: str, value: str) -> bool:
    """IAM's StringLike: ``*`` any run of characters, ``?`` one, case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


OPERATORS = {"StringEquals": str.__eq__, "StringLike": _like}


def _statement_admits(statement: dict[str, Any], claims: dict[str, str]) -> bool:
    """One Allow statement: every operator, every key in it (absent key: no), any value."""
    assert statement["Effect"] == "Allow"  # an Allow-only policy is an OR of its statements
    if statement["Action"] != "sts:AssumeRoleWithWebIdentity":
        return False
    for operator, keys in statement["Condition"].items():
        match = OPERATORS[operator]  # an operator this evaluator lacks fails the test
        for key, expected in keys.items():
            values = expected if isinstance(expected, list) else [expected]
            if key not in claims or not any(match(v, claims[key]) for v in values):
                return False
    return True


def _admits(trust: dict[str, Any], claims: dict[str, str]) -> bool:
    """Whether an Allow-only trust policy admits a token with these claims.

    Not moto's IAMPolicy: it ignores StringLike (any subject passes) and returns
    DENIED from the first unmatched Allow statement, so a second one never counts.
    """
    qualified = {f"{HOST}:{k}": v for k, v in claims.items()}
    return any(_statement_admits(s, qualified) for s in trust["Statement"])


STS = "sts.amazonaws.com"
# GitHub's tokens, one per kind of job (subjects in the customized format).
TOKENS = {
    "dev deploy job on main": (DEV_DEPLOY_ON_MAIN, STS),
    "prod deploy job on main": (PROD_DEPLOY_ON_MAIN, STS),
    "drift check on main": (DRIFT_ON_MAIN, STS),
    "pull request": (PULL_REQUEST, STS),
    "feature branch job naming development": (
        f"repo:{REPO}:environment:development:ref:refs/heads/feature",
        STS,
    ),
    "feature branch job naming production": (
        f"repo:{REPO}:environment:production:ref:refs/heads/feature",
        STS,
    ),
    "feature branch job": (f"repo:{REPO}:ref:refs/heads/feature:ref:refs/heads/feature", STS),
    "tag job": (f"repo:{REPO}:ref:refs/tags/v1:ref:refs/tags/v1", STS),
    "environment job before the template is set": (f"repo:{REPO}:environment:development", STS),
    "pull request before the template is set": (f"repo:{REPO}:pull_request", STS),
    "main before the template is set": (f"repo:{REPO}:ref:refs/heads/main", STS),
    "pull request of another repository": (
        "repo:someone/ecs-learn:pull_request:ref:refs/pull/42/merge",
        STS,
    ),
    "deploy job of another owner": (
        "repo:other-org/ecs-learn:environment:development:ref:refs/heads/main",
        STS,
    ),
    "deploy job of a fork-named repository": (
        f"repo:{REPO}-fork:environment:development:ref:refs/heads/main",
        STS,
    ),
    "pull request of a fork-named repository": (
        f"repo:{REPO}-fork:pull_request:ref:refs/pull/42/merge",
        STS,
    ),
    "dev deploy job, wrong audience": (DEV_DEPLOY_ON_MAIN, "https://github.com/my-org"),
    "pull request, wrong audience": (PULL_REQUEST, "https://github.com/my-org"),
    "pull request whose ref is a branch": (f"repo:{REPO}:pull_request:ref:refs/heads/main", STS),
}
# Who each role admits; every other token in TOKENS is refused.
ADMITS = {
    ("dev_bootstrap", "ecs-learn-dev-ci-deploy"): {"dev deploy job on main"},
    ("prod_bootstrap", "ecs-learn-prod-ci-deploy"): {"prod deploy job on main"},
    ("dev_bootstrap", "ecs-learn-dev-ci-plan"): {"drift check on main", "pull request"},
    ("prod_bootstrap", "ecs-learn-prod-ci-plan"): {"drift check on main", "pull request"},
}


@pytest.mark.parametrize(
    ("env_fixture", "role", "token"),
    [(env, role, token) for (env, role) in ADMITS for token in TOKENS],
)
def test_each_role_admits_exactly_its_jobs_tokens(
    request: pytest.FixtureRequest, env_fixture: str, role: str, token: str
) -> None:
    # GIVEN a role's trust policy WHEN GitHub's token of one kind of job is presented
    trust = _roles(request.getfixturevalue(env_fixture))[role]["trust"]
    sub, aud = TOKENS[token]
    # THEN it admits exactly the role's own jobs
    assert _admits(trust, {"aud": aud, "sub": sub}) is (token in ADMITS[env_fixture, role])


@pytest.mark.parametrize("token", list(TOKENS))
def test_the_evaluator_agrees_with_moto_on_an_exact_match_policy(
    dev_bootstrap: dict[str, Any], token: str
) -> None:
    # The deploy role's one StringEquals statement is what moto's evaluator does handle.
    trust = _roles(dev_bootstrap)["ecs-learn-dev-ci-deploy"]["trust"]
    sub, aud = TOKENS[token]
    claims = {"aud": aud, "sub": sub}
    moto = IAMPolicy(json.dumps(trust)).is_action_permitted(
        "sts:AssumeRoleWithWebIdentity",
        incoming_condition_values={f"{HOST}:{k}": v for k, v in claims.items()},
    )
    assert _admits(trust, claims) is (moto == PermissionResult.PERMITTED)


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("refs/pull/*/merge", "refs/pull/42/merge", True),
        ("refs/pull/*/merge", "refs/pull/42/head", False),
        ("refs/pull/*/merge", "xrefs/pull/42/merge", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("a.c", "abc", False),
        ("ABC", "abc", False),
    ],
)
def test_the_evaluators_string_like_is_anchored_and_literal(
    pattern: str, value: str, matches: bool
) -> None:
    assert _like(pattern, value) is matches


def test_the_bootstrap_outputs_the_subject_template_the_trust_expects(
    dev_bootstrap: dict[str, Any],
) -> None:
    output = dev_bootstrap["output"]["ci_oidc_subject_customization"]["value"]
    assert output == {"repository": REPO, "include_claim_keys": ["repo", "context", "ref"]}


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
