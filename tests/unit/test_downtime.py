"""``make deploy`` on AWS asks before a change that stops traffic (tools/deploy/downtime.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tools.deploy import cli, downtime
from tools.deploy.commands import Workspace
from tools.deploy.procs import Result
from tools.deploy.target import AwsTarget
from tools.review.plan_stacks import StackPlan

GROUP_REPLACED = {
    "format_version": "1.2",
    "resource_changes": [
        {
            "address": "aws_lb_target_group.tg",
            "type": "aws_lb_target_group",
            "change": {
                "actions": ["create", "delete"],
                "before": {"name": "ecs-learn-dev-frontend-3dc802"},
            },
        }
    ],
}
TARGET = SimpleNamespace(env_name="dev")
STACKS = ["dev-foundation", "dev-services"]


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Workspace:
    """A workspace whose foundation plan replaces a target group; services: no changes."""

    def plan_stacks(
        ws: Workspace, plans: Path, env: dict[str, str], **_: Any
    ) -> dict[str, StackPlan]:
        plans.mkdir(parents=True)
        (plans / "dev-foundation.json").write_text(json.dumps(GROUP_REPLACED))
        return {"dev-foundation": StackPlan("changes"), "dev-services": StackPlan("no-changes")}

    monkeypatch.setattr(downtime, "plan_stacks", plan_stacks)
    return Workspace(tmp_path)


def test_a_break_not_accepted_applies_nothing(
    planned: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(downtime.DowntimeRefused, match="nothing was applied to dev"):
        downtime.before_deploy(TARGET, planned, {}, STACKS, auto_approve=False, ask=lambda _: "no")
    out = capsys.readouterr().out
    assert "dev-foundation: aws_lb_target_group.tg (ecs-learn-dev-frontend-3dc802)" in out
    assert "2-5 minutes" in out


def test_a_break_accepted_goes_on(planned: Workspace) -> None:
    downtime.before_deploy(TARGET, planned, {}, STACKS, auto_approve=False, ask=lambda _: "yes")


def test_auto_approve_says_it_and_goes_on(
    planned: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    def never(_: str) -> str:
        raise AssertionError("AUTO_APPROVE=1 must not ask")

    downtime.before_deploy(TARGET, planned, {}, STACKS, auto_approve=True, ask=never)
    assert "AUTO_APPROVE=1: applying it anyway" in capsys.readouterr().out


def test_no_break_asks_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(
        downtime, "plan_stacks", lambda *a, **k: {s: StackPlan("no-changes") for s in STACKS}
    )

    def never(_: str) -> str:
        raise AssertionError("nothing stops traffic: no question")

    downtime.before_deploy(TARGET, Workspace(tmp_path), {}, STACKS, auto_approve=False, ask=never)


def test_make_deploy_asks_before_cdktf_deploy_and_stops_on_no(
    monkeypatch: pytest.MonkeyPatch, planned: Workspace
) -> None:
    # GIVEN make deploy on AWS, past the rebuild guard, whose plan stops traffic
    calls: list[str] = []
    monkeypatch.setattr(
        cli.commands, "synth", lambda *a, **k: calls.append("synth") or Result(0, 0.0)
    )
    monkeypatch.setattr(
        cli.commands, "deploy", lambda *a, **k: calls.append("deploy") or Result(0, 0.0)
    )
    monkeypatch.setattr(cli.image_guard, "before_deploy", lambda *a: None)
    monkeypatch.setattr(cli, "preflight", lambda env_name: "")
    monkeypatch.setattr(AwsTarget, "app_stacks", lambda self, ws: STACKS)
    monkeypatch.setattr("builtins.input", lambda _: "no")
    # WHEN the person deploying answers no THEN nothing is deployed
    with pytest.raises(downtime.DowntimeRefused):
        cli._run(
            "deploy", AwsTarget(env_name="dev", region="ap-northeast-1"), planned, {}, approve=False
        )
    assert calls == ["synth"]
