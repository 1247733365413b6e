"""The PR plan tool's machine-readable results (its Terraform runs are in the e2e rehearsal)."""

import json

from tools.review.plan_stacks import StackPlan, _publish, main


def test_results_and_has_changes_reach_the_github_step_outputs(tmp_path, monkeypatch):
    # GIVEN one stack with changes and one skipped
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    results = {
        "dev-foundation": StackPlan("changes"),
        "dev-services": StackPlan("skipped", "not planned: it reads dev-foundation"),
    }
    # WHEN they are published
    _publish(results, tmp_path)
    # THEN results.json and the step outputs say so
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["dev-services"] == {
        "status": "skipped",
        "reason": "not planned: it reads dev-foundation",
    }
    lines = output.read_text().splitlines()
    assert "has_changes=true" in lines
    assert json.loads(lines[0].removeprefix("results=")) == saved


def test_no_changes_anywhere_means_has_changes_false(tmp_path, monkeypatch):
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    _publish({"dev-foundation": StackPlan("no-changes")}, tmp_path)
    assert "has_changes=false" in output.read_text().splitlines()


def test_without_synthesized_stacks_it_says_to_synthesize(tmp_path, capsys):
    assert main(["--outdir", str(tmp_path), "--plans", str(tmp_path / "plans")]) == 2
    assert "run `make synth`" in capsys.readouterr().err


def _manifest(tmp_path):
    stacks = {
        "dev-bootstrap": [],
        "dev-foundation": [],
        "dev-services": ["dev-foundation"],
        "prod-foundation": [],
        "prod-services": ["prod-foundation"],
    }
    manifest = {"stacks": {name: {"dependencies": deps} for name, deps in stacks.items()}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))


def test_one_environment_is_planned_alone_with_its_own_role(tmp_path, monkeypatch):
    # GIVEN dev and prod stacks, each environment planned with its own credentials
    from tools.deploy import commands
    from tools.deploy.commands import Workspace
    from tools.review import plan_stacks as tool

    _manifest(tmp_path)
    planned = []
    monkeypatch.setattr(commands, "stack_outputs", lambda ws, stack, env: {"vpc_id": "x"})
    monkeypatch.setattr(
        tool,
        "_plan_one",
        lambda ws, stack, plans, env: planned.append(stack) or StackPlan("changes"),
    )
    # WHEN only dev is planned
    results = tool.plan_stacks(
        Workspace(root=tmp_path, out=tmp_path), tmp_path / "plans", {}, env_name="dev"
    )
    # THEN no prod stack is touched, dependencies still come first
    assert planned == ["dev-foundation", "dev-services"]
    assert set(results) == {"dev-bootstrap", "dev-foundation", "dev-services"}


def test_an_unknown_environment_is_one_clear_error(tmp_path, capsys, monkeypatch):
    _manifest(tmp_path)
    monkeypatch.setattr("tools.review.plan_stacks.terraform_env", lambda: {})
    assert main(["--outdir", str(tmp_path), "--plans", str(tmp_path / "p"), "--env", "qa"]) == 2
    assert "--env qa: no such environment" in capsys.readouterr().err


def test_at_once_plans_every_stack_but_the_bootstrap_without_skips(tmp_path, monkeypatch):
    # GIVEN dev's stacks, and a caller that knows every one is deployed
    from tools.deploy import commands
    from tools.deploy.commands import Workspace
    from tools.review import plan_stacks as tool

    _manifest(tmp_path)
    planned = []
    monkeypatch.setattr(commands, "stack_outputs", lambda ws, stack, env: {})
    monkeypatch.setattr(
        tool,
        "_plan_one",
        lambda ws, stack, plans, env: planned.append(stack) or StackPlan("changes"),
    )
    # WHEN it plans them at once
    results = tool.plan_stacks(
        Workspace(root=tmp_path, out=tmp_path), tmp_path / "p", {}, env_name="dev", at_once=True
    )
    # THEN both app stacks are planned (no "not deployed yet" skip) and the bootstrap is not
    assert sorted(planned) == ["dev-foundation", "dev-services"]
    assert results["dev-bootstrap"].status == "skipped"
    assert results["dev-services"].status == "changes"


def test_a_planned_stack_keeps_its_plan_json_without_credentials(tmp_path, monkeypatch):
    # GIVEN Terraform that plans changes and shows a plan whose provider carries keys
    from tools.deploy import commands
    from tools.deploy.commands import Workspace
    from tools.deploy.procs import Result
    from tools.review import plan_stacks as tool

    shown = {
        "configuration": {
            "provider_config": {
                "aws": {"expressions": {"access_key": {"constant_value": "ASIAEXAMPLE"}}}
            }
        }
    }

    def terraform(ws, stack, args, env, log=None, **kwargs):
        code = 2 if args[0] == "plan" else 0
        return Result(code, 0.0, json.dumps(shown) if args[0] == "show" else "")

    monkeypatch.setattr(commands, "terraform", terraform)
    # WHEN one stack is planned
    result = tool._plan_one(Workspace(tmp_path), "dev-foundation", tmp_path, {})
    # THEN it has changes, and its kept JSON holds no key
    assert result == StackPlan("changes")
    kept = json.loads((tmp_path / "dev-foundation.json").read_text())
    assert kept["configuration"]["provider_config"]["aws"]["expressions"] == {}
