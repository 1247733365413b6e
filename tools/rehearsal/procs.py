"""Run a command so that nothing it starts can outlive it.

cdktf-cli runs Terraform in a pseudo-terminal, i.e. in a new session and
process group of its own, so killing cdktf's process group alone would leave
``terraform`` and its provider plugin behind; and once a parent exits, its
children are re-parented and no longer show up as descendants. ``run``
therefore marks the command's environment with a unique ``REHEARSAL_RUN``
value, which every process it starts inherits, and on timeout, interrupt or
exit ends every process that carries the mark (found through ``/proc``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MARK = "REHEARSAL_RUN"


class CommandTimeout(RuntimeError):
    """The command ran longer than allowed and was killed with its process tree."""


@dataclass(frozen=True)
class Result:
    """Exit code, wall time and (when captured) the combined output."""

    returncode: int
    seconds: float
    output: str = ""


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (empty where there is no ``/proc``)."""
    if not Path("/proc").is_dir():
        return []
    tree, found, todo = _children_map(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def marked(mark: str) -> list[int]:
    """Live processes whose environment carries ``REHEARSAL_RUN=<mark>``."""
    needle = f"{MARK}={mark}".encode()
    found = []
    proc_root = Path("/proc")
    if not proc_root.is_dir():
        return found
    for entry in proc_root.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in environ and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def kill_tree(pid: int, mark: str | None = None, grace: float = 5.0) -> None:
    """SIGTERM ``pid``, its group, its descendants and every process carrying ``mark``;
    SIGKILL whatever is still there after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        targets = {pid, *descendants(pid), *(marked(mark) if mark else [])}
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:  # only a group it leads (captured runs)
                os.killpg(pid, sig)
        for target in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(target, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not [t for t in targets if _alive(t)]:
                break
            time.sleep(0.1)
        else:
            continue
        if not (mark and marked(mark)):
            return


def kill_marked(mark: str, grace: float = 5.0) -> None:
    """SIGTERM every process carrying ``mark``, SIGKILL those left after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        targets = marked(mark)
        for target in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(target, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and [t for t in targets if _alive(t)]:
            time.sleep(0.1)
        if not marked(mark):
            return


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state != "Z"


def run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path | None = None,
    timeout: float | None = None,
    stdin_data: str | None = None,
) -> Result:
    """Run ``cmd`` with its output in ``log`` (also returned in ``Result.output``).

    Without ``log`` the command is interactive instead: it shares this
    terminal (stdin, output, Ctrl-C), so Terraform can prompt for approval and
    shut down cleanly, releasing its state lock. Raises ``CommandTimeout``
    after ``timeout`` seconds; on any exit nothing the command started is left.
    """
    started = time.monotonic()
    mark = uuid.uuid4().hex
    interactive = log is None
    out = None if interactive else log.open("w")  # type: ignore[union-attr]
    try:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env={**env, MARK: mark},
            stdin=None if interactive and stdin_data is None else subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            text=True,
            # Captured runs get their own session, so one kill reaches the whole tree;
            # interactive ones stay in the terminal's foreground group to read stdin.
            start_new_session=not interactive,
        )
        try:
            proc.communicate(stdin_data, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid, mark)
            proc.wait()
            raise CommandTimeout(f"{cmd[0]} ran over {timeout:.0f} s and was killed") from None
        except KeyboardInterrupt:
            if interactive:  # the terminal sent Ctrl-C to it too: let it finish cleanly
                with contextlib.suppress(subprocess.TimeoutExpired, KeyboardInterrupt):
                    proc.wait(timeout=60)
            kill_tree(proc.pid, mark)
            proc.wait()
            raise
        except BaseException:
            kill_tree(proc.pid, mark)
            proc.wait()
            raise
        # Nothing the command started may outlive it (e.g. an orphaned provider plugin).
        # Its pid is reaped by now and may already be another process's (pids wrap), so
        # only the marked processes are signalled, never that pid, its group or children.
        if marked(mark):
            kill_marked(mark)
    finally:
        if out:
            out.close()
    output = log.read_text(errors="replace") if log else ""
    return Result(proc.returncode, time.monotonic() - started, output)
