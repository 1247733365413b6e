"""procs.run: output capture, timeouts, and no process left behind."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tools.deploy.procs import MARK, CommandTimeout, marked, run

# Starts a grandchild in a new session (as cdktf's pty does for terraform), prints its pid.
ESCAPE = (
    "import subprocess, sys;"
    "p = subprocess.Popen(['sleep', '300'], start_new_session=True);"
    "print(p.pid, flush=True);"
)


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_captures_output_and_exit_code(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    code = "import os,sys; print('hello', os.environ['" + MARK + "'] != ''); sys.exit(3)"
    result = run([sys.executable, "-c", code], env=os.environ, cwd=tmp_path, log=log)
    assert result.returncode == 3
    assert "hello True" in result.output
    assert log.read_text() == result.output


def test_orphan_in_new_session_is_killed_after_exit(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    result = run([sys.executable, "-c", ESCAPE], env=os.environ, cwd=tmp_path, log=log)
    assert result.returncode == 0
    assert _gone(int(result.output.split()[0]))


def test_timeout_kills_the_whole_tree(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    code = ESCAPE + "import time; time.sleep(300)"
    with pytest.raises(CommandTimeout, match="ran over 2 s"):
        run([sys.executable, "-c", code], env=os.environ, cwd=tmp_path, log=log, timeout=2)
    assert _gone(int(log.read_text().split()[0]))


def test_marked_finds_nothing_for_an_unknown_mark() -> None:
    assert marked("no-such-mark") == []


def test_after_the_command_exits_only_marked_processes_are_signalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a command that exits leaving an orphan behind, and a record of every signal sent
    import tools.deploy.procs as procs

    sent: list[tuple[str, int]] = []
    real_kill = os.kill
    monkeypatch.setattr(procs.os, "killpg", lambda pgid, sig: sent.append(("group", pgid)))

    def kill(pid: int, sig: int) -> None:
        if sig != 0:
            sent.append(("pid", pid))
        real_kill(pid, sig)

    monkeypatch.setattr(procs.os, "kill", kill)
    log = tmp_path / "out.log"
    result = run([sys.executable, "-c", ESCAPE], env=os.environ, cwd=tmp_path, log=log)
    orphan = int(result.output.split()[0])
    # THEN the orphan is gone, and no group or other pid got a signal: the command's own pid
    # is reaped by then and may already belong to an unrelated process (pids wrap around)
    assert _gone(orphan)
    assert sent and all(kind == "pid" and pid == orphan for kind, pid in sent)
