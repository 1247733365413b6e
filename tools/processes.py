"""Process queries every tool shares, through psutil (Linux and macOS alike).

The harness must find what it started (to stop it) and must never mistake a
recycled pid or a zombie for a live process of ours.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil


def alive(pid: int) -> bool:
    """True when ``pid`` runs; an exited process not yet reaped (a zombie) counts as gone."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def signal_all(pids: Iterable[int], sig: int) -> list[int]:
    """Send ``sig`` to each of ``pids``; returns those it reached (one already gone, or not
    ours to signal, is passed over)."""
    reached = []
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
            reached.append(pid)
    return reached


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid``."""
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def _matching(test: Callable[[psutil.Process], bool]) -> list[int]:
    """Live processes (not this one) for which ``test`` holds; one that vanishes or may
    not be read meanwhile is passed over."""
    me = os.getpid()
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != me and test(proc) and alive(proc.pid):
                found.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def with_environment(key: str, value: str) -> list[int]:
    """Live processes (not this one) whose environment has ``key=value``."""
    return _matching(lambda proc: proc.environ().get(key) == value)


def name(pid: int) -> str:
    """The process's executable name (``terraform``), or ``""`` when it is gone."""
    try:
        return str(psutil.Process(pid).name())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return ""


def command_line(pid: int) -> list[str] | None:
    """The process's arguments, or ``None`` when they cannot be read."""
    try:
        return list(psutil.Process(pid).cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def with_argument_containing(text: str) -> list[int]:
    """Live processes (not this one) with an argument that contains ``text``."""
    return _matching(lambda proc: any(text in arg for arg in proc.cmdline()))


def named_in_directory(process_name: str, directory: Path) -> list[int]:
    """Live processes called ``process_name`` whose working directory is ``directory``."""
    want = directory.resolve()
    return _matching(
        lambda proc: proc.name() == process_name and Path(proc.cwd()).resolve() == want
    )


def terminate_group(pid: int, grace: float = 15.0) -> None:
    """End the process group ``pid`` leads: SIGTERM, then SIGKILL when ``pid`` still runs
    after ``grace`` seconds; reaps ``pid`` when it is our child."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        deadline = time.monotonic() + grace
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not alive(pid):
            break
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in bytes (0 when it is gone)."""
    total = 0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                total += int(proc.memory_info().rss)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
    except psutil.NoSuchProcess:
        return 0
    return total
