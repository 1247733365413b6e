"""How the CI-roles stage reads the emulator's IAM decisions (``iam.jsonl``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.deploy.commands import Workspace
from tools.rehearsal.ci_roles import denials, iam_report

ROLE = "arn:aws:sts::123456789012:assumed-role/ecs-learn-dev-ci-deploy/rehearsal"


def _log(root: Path, *decisions: dict[str, Any]) -> Workspace:
    (root / "iam.jsonl").write_text("".join(json.dumps(d) + "\n" for d in decisions))
    return Workspace(root)


def _decision(action: str, allowed: bool, modelled: bool = True) -> dict[str, Any]:
    return {
        "principal": ROLE,
        "action": action,
        "resources": ["*"],
        "modelled": modelled,
        "allowed": allowed,
        "reason": "" if allowed else "no statement allows it on *",
        "message": "" if allowed else f"{ROLE} is not authorized to perform {action} on *",
    }


def test_a_denial_is_named_with_the_emulators_message(tmp_path: Path) -> None:
    ws = _log(tmp_path, _decision("ecs:ListClusters", True), _decision("ecs:Deregister", False))
    assert denials(ws) == [f"{ROLE} is not authorized to perform ecs:Deregister on *"]
    assert denials(ws, since=2) == []


def test_the_report_counts_expected_denials_apart(tmp_path: Path) -> None:
    # GIVEN three decisions, one denial the checks required and one they did not
    ws = _log(
        tmp_path,
        _decision("s3:GetObject", True),
        _decision("s3:PutObject", False),
        _decision("ec2:CreateSubnet", False, modelled=False),
    )
    line, unexpected = iam_report(ws, expected=1)
    # THEN one denial is unexpected, and the action checked by name alone is listed
    assert unexpected == 1
    assert "3 role-session requests evaluated; 1 denied as the checks above require" in line
    assert "1 denied otherwise" in line
    assert line.endswith("for ec2:CreateSubnet")
