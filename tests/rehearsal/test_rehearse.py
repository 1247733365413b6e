"""The rehearsal's failure path: failing stage and error shown, emulator always stopped."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tools.rehearsal import rehearse as rehearsal
from tools.rehearsal.emulator import Emulator, port_is_free
from tools.rehearsal.procs import Result

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
