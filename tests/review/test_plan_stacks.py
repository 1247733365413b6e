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
