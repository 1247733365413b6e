"""What every step shares: paths, the label on everything we create, errors, ports."""

from __future__ import annotations

import hashlib
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = ROOT / ".rehearsal" / "containers"  # git-ignored; caches and pid files
# Sockets need short paths; one directory per checkout.
RUNTIME_DIR = Path("/run") / f"ecs-learn-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}"
LABEL = "ecs-learn.harness"  # on every container and network the harness creates
LOCALHOST = "127.0.0.1"


class ContainersError(RuntimeError):
    """A step failed; the message says which and why, in one or a few lines."""


class MissingError(ContainersError):
    """This machine lacks a piece (engine, browser, a package) and may not install it here."""


class EngineError(MissingError):
    """No Docker engine answers and none can be installed or started."""


class PortTakenError(ContainersError):
    """The host port the frontend should be published on is already in use."""


def port_is_free(port: int) -> bool:
    """True when ``127.0.0.1:port`` can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOCALHOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def run(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` with output captured (stdout and stderr together); never raises on exit."""
    try:
        return subprocess.run(
            list(cmd),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ContainersError(f"{' '.join(cmd[:3])} ... took longer than {timeout:.0f} s") from exc


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
