"""What `make bootstrap` prints for GitHub, from the bootstrap stack's outputs."""

from __future__ import annotations

from tools.deploy.ci_variables import format_ci_variables

PLAN = "arn:aws:iam::123456789012:role/ci/ecs-learn-dev-ci-plan"
DEPLOY = "arn:aws:iam::123456789012:role/ci/ecs-learn-dev-ci-deploy"
OUTPUTS = {
    "state_bucket_name": {"value": "my-org-tfstate", "type": "string"},
    "ci_repository_variables": {
        "value": {"AWS_PLAN_ROLE_ARN_DEV": PLAN, "TF_STATE_BUCKET": "my-org-tfstate"}
    },
    "ci_environment_variables": {"value": {"development": {"AWS_DEPLOY_ROLE_ARN": DEPLOY}}},
    "ci_oidc_subject_customization": {
        "value": {
            "repository": "my-org/ecs-learn",
            "include_claim_keys": ["repo", "context", "ref"],
        }
    },
}


def test_every_variable_is_printed_with_its_gh_command() -> None:
    text = format_ci_variables(OUTPUTS)
    assert text is not None
    assert f"repository variable  AWS_PLAN_ROLE_ARN_DEV = {PLAN}" in text
    assert f"environment 'development' variable  AWS_DEPLOY_ROLE_ARN = {DEPLOY}" in text
    assert f"gh variable set AWS_PLAN_ROLE_ARN_DEV --body {PLAN}" in text
    assert f"gh variable set AWS_DEPLOY_ROLE_ARN --env development --body {DEPLOY}" in text
    assert "gh variable set TF_STATE_BUCKET --body my-org-tfstate" in text


def test_an_environment_name_with_a_space_is_quoted_for_the_shell() -> None:
    outputs = {**OUTPUTS, "ci_environment_variables": {"value": {"pre prod": {"X": "y"}}}}
    text = format_ci_variables(outputs)
    assert text is not None and "--env 'pre prod'" in text


def test_without_ci_roles_there_is_nothing_to_print() -> None:
    assert format_ci_variables({"state_bucket_name": {"value": "b"}}) is None


def test_the_oidc_subject_template_command_comes_before_the_variables() -> None:
    text = format_ci_variables(OUTPUTS)
    assert text is not None
    command = (
        """  echo '{"use_default":false,"include_claim_keys":["repo","context","ref"]}' """
        "| gh api --method PUT repos/my-org/ecs-learn/actions/oidc/customization/sub --input -"
    )
    lines = text.splitlines()
    assert command in lines
    assert "  gh api repos/my-org/ecs-learn/actions/oidc/customization/sub" in text
    assert lines.index(command) < lines.index("or with the GitHub CLI:")


def test_without_the_template_output_no_gh_api_command_is_printed() -> None:
    # A bootstrap applied before the template output existed: the variables alone.
    outputs = {k: v for k, v in OUTPUTS.items() if k != "ci_oidc_subject_customization"}
    text = format_ci_variables(outputs)
    assert text is not None and "gh api" not in text
