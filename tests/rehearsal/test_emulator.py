"""The emulator launcher: start, find again, stop without leftovers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tools.emulator.emulator import HOST, Emulator, EmulatorError, answers, main, port_is_free


def test_start_find_stop(tmp_path: Path) -> None:
    started = Emulator.start(tmp_path)
    try:
        assert started.endpoint == f"http://{HOST}:{started.port}"
        assert answers(started.endpoint)
        assert os.getpgid(started.pid) == started.pid  # its own process group
        recorded = json.loads((tmp_path / "emulator.json").read_text())
        assert (recorded["pid"], recorded["port"]) == (started.pid, started.port)
        assert Emulator.find(tmp_path) == started
    finally:
        started.stop()
    assert port_is_free(started.port)
    assert not Path(f"/proc/{started.pid}").exists()
    assert not (tmp_path / "emulator.json").exists()
    assert Emulator.find(tmp_path) is None


def test_find_ignores_a_dead_or_foreign_pid(tmp_path: Path) -> None:
    record = tmp_path / "emulator.json"
    record.write_text(json.dumps({"pid": 2**22 + 1, "port": 1}))
    assert Emulator.find(tmp_path) is None
    assert not record.exists()  # a stale record is dropped
    # A live process that is not our launcher (this test) is never taken for it.
    record.write_text(json.dumps({"pid": os.getpid(), "port": 1}))
    assert Emulator.find(tmp_path) is None


def test_find_without_record(tmp_path: Path) -> None:
    assert Emulator.find(tmp_path) is None


def test_start_reports_a_server_that_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tools.emulator.emulator.MODULE", "tools.emulator.no_such_module")
    with pytest.raises(EmulatorError, match="exited with 1 before listening"):
        Emulator.start(tmp_path, timeout=30)


def test_bad_port_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--port", "70000"])
    assert exited.value.code == 2
    assert "--port=70000" in capsys.readouterr().err
