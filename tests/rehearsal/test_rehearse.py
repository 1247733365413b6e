"""The rehearsal's failure path: failing stage and error shown, emulator always stopped."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tools.deploy.procs import Result
from tools.emulator.emulator import Emulator, port_is_free
from tools.rehearsal import rehearse as rehearsal

TERRAFORM_ERROR = "dev-foundation  Error: creating ELBv2 Load Balancer: ValidationError\n"


def _started_port(out: str) -> int:
    return int(re.search(r"http://127\.0\.0\.1:(\d+)", out)[1])  # type: ignore[index]


def test_failing_stage_shows_terraform_error_and_stops_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing_synth(ws: Any, env: Any, log: Path | None = None, timeout: float = 0) -> Result:
        assert log is not None
        log.write_text(f"noise\n{TERRAFORM_ERROR}more noise\n")
        return Result(returncode=1, seconds=0.1, output=log.read_text())

    monkeypatch.setattr(rehearsal.commands, "synth", failing_synth)
    assert rehearsal.rehearse("dev", tmp_path) == 1
    out, err = capsys.readouterr()
    assert "FAILED synth" in out
    assert "ok     emulator down" in out
    assert "REHEARSAL FAILED at stage: synth" in err
    assert TERRAFORM_ERROR.strip() in err
    assert str(tmp_path / "logs" / "synth.log") in err
    assert port_is_free(_started_port(out))
    assert Emulator.find(tmp_path) is None


def test_interrupt_still_stops_the_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Result:
        raise KeyboardInterrupt

    monkeypatch.setattr(rehearsal.commands, "synth", interrupted)
    with pytest.raises(KeyboardInterrupt):
        rehearsal.rehearse("dev", tmp_path)
    out = capsys.readouterr().out
    assert "ok     emulator down" in out
    assert port_is_free(_started_port(out))


def test_a_stale_emulator_is_stopped_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = Emulator.start(tmp_path)
    monkeypatch.setattr(
        rehearsal.commands, "synth", lambda *a, **k: Result(returncode=1, seconds=0, output="")
    )
    assert rehearsal.rehearse("dev", tmp_path) == 1
    assert f"stopping a stale emulator (pid {stale.pid})" in capsys.readouterr().out
    assert port_is_free(stale.port)


APPS = ["prod-foundation", "prod-services"]


class _Elbv2:
    """Two ALBs whose protection the foundation apply turns off."""

    def __init__(self) -> None:
        self.protected = True

    def describe_load_balancers(self, Names: list[str]) -> dict[str, Any]:
        return {"LoadBalancers": [{"LoadBalancerArn": f"arn:{Names[0]}"}]}

    def describe_load_balancer_attributes(self, LoadBalancerArn: str) -> dict[str, Any]:
        value = str(self.protected).lower()
        return {"Attributes": [{"Key": "deletion_protection.enabled", "Value": value}]}


def test_protected_albs_are_torn_down_deliberately(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN prod's foundation with protected ALBs in the emulator
    from tools.deploy.commands import Workspace
    from tools.deploy.target import LocalTarget

    ws = Workspace(tmp_path)
    stack = ws.stack_dir("prod-foundation")
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text('{"resource": {"aws_lb": {"a": {"name": "p-external"}}}}')
    elbv2 = _Elbv2()
    monkeypatch.setattr(LocalTarget, "client", lambda self, service: elbv2)
    calls: list[tuple[str, str | None]] = []

    def synth(ws: Any, env: dict[str, str], log: Path | None = None) -> Result:
        calls.append(("synth", env.get("DELETION_PROTECTION")))
        return Result(returncode=0, seconds=0)

    def deploy(ws: Any, stacks: list[str], env: dict[str, str], **kwargs: Any) -> Result:
        calls.append((f"deploy {' '.join(stacks)}", env.get("DELETION_PROTECTION")))
        elbv2.protected = False
        return Result(returncode=0, seconds=0)

    monkeypatch.setattr(rehearsal.commands, "synth", synth)
    monkeypatch.setattr(rehearsal.commands, "deploy", deploy)
    monkeypatch.setattr(LocalTarget, "app_stacks", lambda self, ws: APPS)
    monkeypatch.setattr(
        rehearsal.release,
        "missing_from_state",
        lambda t, ws, stack: calls.append((stack, "state")) or [],
    )
    target = LocalTarget(env_name="prod", region="ap-northeast-1", state_bucket="b")
    # WHEN the rehearsal reaches the destroy
    env = rehearsal._protection_off_if_refused(target, ws, {}, rehearsal.Clock())
    # THEN the guard refused, every state was whole, the foundation was re-applied
    # unprotected, and destroy runs so
    assert "the destroy guard refused" in capsys.readouterr().out
    assert calls == [
        ("prod-foundation", "state"),
        ("prod-services", "state"),
        ("synth", "off"),
        ("deploy prod-foundation", "off"),
    ]
    assert env == {"DELETION_PROTECTION": "off"}


def test_a_refused_destroy_that_lost_resources_fails_before_the_teardown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.deploy.commands import Workspace
    from tools.deploy.target import LocalTarget

    ws = Workspace(tmp_path)
    stack = ws.stack_dir("prod-foundation")
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text('{"resource": {"aws_lb": {"a": {"name": "p-external"}}}}')
    monkeypatch.setattr(LocalTarget, "client", lambda self, service: _Elbv2())
    monkeypatch.setattr(LocalTarget, "app_stacks", lambda self, ws: APPS)
    # GIVEN the foundation state lost its VPC while the guard refused
    lost = {"prod-foundation": ["aws_vpc.vpc"], "prod-services": []}
    monkeypatch.setattr(rehearsal.release, "missing_from_state", lambda t, ws, stack: lost[stack])
    deployed: list[str] = []
    monkeypatch.setattr(rehearsal.commands, "deploy", lambda *a, **k: deployed.append("x"))
    target = LocalTarget(env_name="prod", region="ap-northeast-1", state_bucket="b")
    # WHEN / THEN the stage fails naming what is missing, and nothing is torn down
    with pytest.raises(
        rehearsal.StageFailed, match=r"prod-foundation's state lacks \['aws_vpc.vpc'\]"
    ):
        rehearsal._protection_off_if_refused(target, ws, {}, rehearsal.Clock())
    assert deployed == []


def test_lean_reaches_the_rehearsal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # GIVEN the rehearsal's command line WHEN --lean is given THEN the run is lean
    seen: dict[str, object] = {}

    def fake(env_name: str, workdir: Path, *, lean: bool = False) -> int:
        seen.update(env=env_name, lean=lean)
        return 0

    monkeypatch.setattr(rehearsal, "rehearse", fake)
    assert rehearsal.main(["--env", "prod", "--workdir", str(tmp_path), "--lean"]) == 0
    assert seen == {"env": "prod", "lean": True}
    assert rehearsal.main(["--env", "dev", "--workdir", str(tmp_path)]) == 0
    assert seen == {"env": "dev", "lean": False}
