"""Run a command so that nothing it starts can outlive it.

cdktf-cli runs Terraform in a pseudo-terminal, i.e. in a new session and
process group of its own, so killing cdktf's process group alone would leave
``terraform`` and its provider plugin behind; and once a parent exits, its
children are re-parented and no longer show up as descendants. ``run``
therefore marks the command's environment with a unique ``REHEARSAL_RUN``
value, which every process it starts inherits, and on timeout, interrupt or
exit ends every process that carries the mark (found through ``/proc``).

An interrupt (Ctrl-C, or SIGTERM once ``take_interrupts`` made it
``KeyboardInterrupt``) is passed on gracefully: SIGINT goes to the ``terraform`` processes
alone, which stop after the operations in flight, save their state and
release the state lock; only then is the rest of the tree ended. cdktf is
not signalled: on SIGINT it aborts at once and its Terraform dies with it,
lock held. That is also why every command runs in a session of its own, out
of reach of the terminal's Ctrl-C. A second interrupt while Terraform stops
kills everything at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools import processes

MARK = "REHEARSAL_RUN"
# How long an interrupted Terraform may take to finish what is in flight (an ALB
# or a NAT gateway can take minutes on AWS) and save its state.
TERRAFORM_STOP_GRACE_S = 15 * 60


class CommandTimeout(RuntimeError):
    """The command ran longer than allowed and was killed with its process tree."""


@dataclass(frozen=True)
class Result:
    """Exit code, wall time and (when captured) the combined output."""

    returncode: int
    seconds: float
    output: str = ""


def marked(mark: str) -> list[int]:
    """Live processes whose environment carries ``REHEARSAL_RUN=<mark>``."""
    return processes.with_environment(MARK, mark)


def take_interrupts() -> None:
    """SIGINT and SIGTERM both raise ``KeyboardInterrupt``, however this process was started.

    A background job of a shell without job control starts with SIGINT ignored, and
    Python then never raises KeyboardInterrupt; a deploy must still stop cleanly on it.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops Terraform as gracefully as Ctrl-C does


def kill_tree(pid: int, mark: str | None = None, grace: float = 5.0) -> None:
    """SIGTERM ``pid``, its group, its descendants and every process carrying ``mark``;
    SIGKILL whatever is still there after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        targets = {pid, *processes.descendants(pid), *(marked(mark) if mark else [])}
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:  # only a group it leads (captured runs)
                os.killpg(pid, sig)
        if _signal_and_wait(targets, sig, grace) and not (mark and marked(mark)):
            return


def interrupt_terraform(mark: str) -> list[int]:
    """SIGINT to the ``terraform`` processes carrying ``mark`` (not its provider plugins)."""
    terraform = [pid for pid in marked(mark) if processes.name(pid) == "terraform"]
    return processes.signal_all(terraform, signal.SIGINT)


def stop_gracefully(
    proc: subprocess.Popen[str], mark: str, grace: float = TERRAFORM_STOP_GRACE_S
) -> None:
    """Let Terraform stop cleanly (state saved, lock released), then end the whole tree."""
    pids = interrupt_terraform(mark)
    if pids:
        print(
            f"interrupted: Terraform (pid {', '.join(map(str, pids))}) is finishing the "
            "operations in flight, saving its state and releasing the lock; "
            "interrupt again to kill it at once",
            file=sys.stderr,
            flush=True,
        )
        try:
            deadline = time.monotonic() + grace
            while any(_alive(p) for p in pids) and time.monotonic() < deadline:
                time.sleep(0.2)
            proc.wait(timeout=30)  # cdktf reports Terraform's exit, then ends
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            pass
    kill_tree(proc.pid, mark)
    proc.wait()


def kill_marked(mark: str, grace: float = 5.0) -> None:
    """SIGTERM every process carrying ``mark``, SIGKILL those left after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        _signal_and_wait(marked(mark), sig, grace)
        if not marked(mark):
            return


def _signal_and_wait(targets: Iterable[int], sig: int, grace: float) -> bool:
    """Send ``sig`` to ``targets``; True when all of them are gone within ``grace`` seconds."""
    pids = list(targets)
    processes.signal_all(pids, sig)
    deadline = time.monotonic() + grace
    while any(_alive(pid) for pid in pids):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
    return processes.alive(pid)


def run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path | None = None,
    timeout: float | None = None,
) -> Result:
    """Run ``cmd`` with its output in ``log`` (also returned in ``Result.output``).

    Without ``log`` the command is interactive instead: it reads this
    terminal and writes to it, so Terraform can prompt for approval. Either
    way it runs in a session of its own; an interrupt reaches Terraform
    through ``stop_gracefully``, so it shuts down cleanly, releasing its state
    lock. Raises ``CommandTimeout`` after ``timeout`` seconds; on any exit
    nothing the command started is left.
    """
    started = time.monotonic()
    mark = uuid.uuid4().hex
    interactive = log is None
    out = None if log is None else log.open("w")
    try:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env={**env, MARK: mark},
            stdin=None if interactive else subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            text=True,
            # A session of its own: one kill reaches the whole tree, and the terminal's
            # Ctrl-C reaches only us (a tty that is not its controlling one stays readable).
            start_new_session=True,
        )
        try:
            proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid, mark)
            proc.wait()
            raise CommandTimeout(f"{cmd[0]} ran over {timeout:.0f} s and was killed") from None
        except KeyboardInterrupt:
            stop_gracefully(proc, mark)
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
