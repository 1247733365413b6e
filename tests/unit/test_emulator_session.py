"""``EMULATOR_SESSION`` / ``CI_ROLE``: the app stacks act as a CI role in the emulator.

The session's keys replace the fake admin keys in every app stack's provider, S3
backend and remote-state reads; the bootstrap keeps the admin keys; bad input is
one error that names the variable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from config import ConfigError, settings_from_env
from tests.synth import environments, synth
from tools.deploy import ci_session
from tools.deploy.cli import main as deploy_main
from tools.deploy.target import TargetError
from tools.rehearsal.ci_roles import swap_session_keys

SESSION = {
    "AccessKeyId": "ASIAEMULATORDEPLOY01",
    "SecretAccessKey": "deploy-secret-key-0123456789",
    "SessionToken": "deploy-session-token-0123456789",
}


def _blocks_with_keys(node: Any) -> list[dict[str, Any]]:
    """Every JSON object of a stack that carries an ``access_key``."""
    if isinstance(node, list):
        return [b for item in node for b in _blocks_with_keys(item)]
    if not isinstance(node, dict):
        return []
    found = [node] if "access_key" in node else []
    return found + [b for value in node.values() for b in _blocks_with_keys(value)]


@pytest.fixture(scope="module")
def session_synth(tmp_path_factory: pytest.TempPathFactory) -> Any:
    session_file = tmp_path_factory.mktemp("session") / "deploy.json"
    session_file.write_text(json.dumps(SESSION))
    envs = environments(
        {"ENVS": "dev", "APP_VERSION": "1.2.3", "EMULATOR_SESSION": str(session_file)}
    )
    return synth(envs, tmp_path_factory.mktemp("synth-session"), bootstrap=True)


def test_every_app_stack_block_carries_the_session(session_synth: Any) -> None:
    # GIVEN dev synthesized with a deploy-role session
    for stack in ("dev-foundation", "dev-services"):
        blocks = _blocks_with_keys(session_synth.json(stack))
        # THEN the provider, the backend and the remote-state reads all carry its keys
        assert len(blocks) >= 2, stack
        for block in blocks:
            assert block["access_key"] == "ASIAEMULATORDEPLOY01"
            assert block["secret_key"] == "deploy-secret-key-0123456789"
            assert block["token"] == "deploy-session-token-0123456789"


def test_the_bootstrap_keeps_the_admin_keys(session_synth: Any) -> None:
    blocks = _blocks_with_keys(session_synth.json("dev-bootstrap"))
    assert blocks and all(b["access_key"] == "testing" and "token" not in b for b in blocks)


def test_a_session_file_that_cannot_be_read_is_one_error(tmp_path: Path) -> None:
    broken = tmp_path / "session.json"
    broken.write_text(json.dumps({"AccessKeyId": "ASIAEMULATORDEPLOY01"}))
    with pytest.raises(ConfigError, match=r"EMULATOR_SESSION=.*session\.json.*STS Credentials"):
        settings_from_env({"EMULATOR_SESSION": str(broken)}, {"appVersion": "1.2.3"})


def test_a_session_is_refused_for_real_aws(tmp_path: Path) -> None:
    settings = {"TARGET": "aws", "TF_STATE_BUCKET": "b", "EMULATOR_SESSION": "x.json"}
    with pytest.raises(ConfigError, match=r"EMULATOR_SESSION='x\.json': only with TARGET=local"):
        settings_from_env(settings, {"appVersion": "1.2.3"})


def test_an_unknown_ci_role_names_the_variable() -> None:
    with pytest.raises(TargetError, match=r"CI_ROLE='admin': must be one of deploy"):
        ci_session.ci_role({"CI_ROLE": "admin"})


def test_ci_role_with_real_aws_is_refused_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TARGET", "aws")
    monkeypatch.setenv("CI_ROLE", "deploy")
    assert deploy_main(["deploy", "--env", "dev"]) == 2
    assert "CI_ROLE=deploy is for the emulator" in capsys.readouterr().err


def test_the_plan_copy_swaps_every_block_of_the_deploy_session() -> None:
    # GIVEN a stack whose provider, backend and remote-state read carry the deploy session
    keys = {"access_key": "ASIAEMULATORDEPLOY01", "secret_key": "s", "token": "t"}
    stack = {
        "provider": {"aws": [{"region": "r", **keys}]},
        "terraform": {"backend": {"s3": {"bucket": "b", **keys}}},
        "data": {"terraform_remote_state": {"up": {"config": {"key": "k", **keys}}}},
        "resource": {"x": {"y": {"access_key": "unrelated"}}},
    }
    plan = {"AccessKeyId": "ASIAPLAN", "SecretAccessKey": "ps", "SessionToken": "pt"}
    # WHEN it is copied for the plan role
    swapped = swap_session_keys(stack, "ASIAEMULATORDEPLOY01", plan)
    # THEN each of the three carries the plan session, and nothing else changed
    blocks = _blocks_with_keys(swapped)
    assert sorted(b["access_key"] for b in blocks) == ["ASIAPLAN"] * 3 + ["unrelated"]
    assert swapped["terraform"]["backend"]["s3"]["token"] == "pt"
    assert swapped["provider"]["aws"][0]["region"] == "r"
