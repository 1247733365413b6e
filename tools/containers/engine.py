"""A Docker engine: the one that already answers, or Debian's dockerd started by us.

``ensure_engine`` tries them in the order of docs/containers.md (step 1). Our dockerd
uses no default bridge and its own address pool, so it cannot clash with another engine
on the machine; the containers use user-defined networks only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from tools import processes
from tools.containers import packages
from tools.containers.common import (
    RUNTIME_DIR,
    STATE_DIR,
    ContainersError,
    EngineError,
    MissingError,
    run,
    tail,
)

ENGINE_DIR = STATE_DIR / "engine"
RECORD = ENGINE_DIR / "engine.json"
SOCKET = RUNTIME_DIR / "docker.sock"
DRIVERS = ("overlay2", "vfs")
ADDRESS_POOL = "base=10.213.0.0/16,size=24"
START_SECONDS = 60


@dataclass
class Engine:
    """How to reach an engine; ``pid`` is set when it is our own dockerd."""

    host: str | None  # DOCKER_HOST for the CLI; None means the CLI's default
    pid: int | None = None
    driver: str = ""
    started_now: bool = False
    _buildx: bool | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.host:
            env["DOCKER_HOST"] = self.host
        if self._buildx is None:
            self._buildx = run(["docker", "buildx", "version"], env=env).returncode == 0
        if not self._buildx:
            env["DOCKER_BUILDKIT"] = "0"  # no buildx plugin: the classic builder
        return env

    def docker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run(["docker", *args], env=self.env(), timeout=timeout)

    def ok(self, *args: str, what: str, timeout: float = 120) -> str:
        """Output of a docker command that must succeed; else one error naming ``what``."""
        result = self.docker(*args, timeout=timeout)
        if result.returncode != 0:
            raise ContainersError(f"{what} failed:\n{tail(result.stdout)}")
        return result.stdout

    def describe(self) -> str:
        if self.pid is None:
            return f"the running Docker engine ({self.host or 'docker CLI default'})"
        return f"our dockerd (pid {self.pid}, {self.driver}) at {self.host}"


def answers(host: str | None) -> bool:
    env = dict(os.environ)
    env.pop("DOCKER_HOST", None)
    if host:
        env["DOCKER_HOST"] = host
    try:
        result = run(["docker", "version", "--format", "{{.Server.Version}}"], env=env, timeout=15)
    except (ContainersError, OSError):
        return False
    return result.returncode == 0


def _record() -> dict[str, Any] | None:
    try:
        return dict(json.loads(RECORD.read_text()))
    except (OSError, ValueError):
        return None


def own_engine() -> Engine | None:
    """The dockerd this checkout started (recorded in ``engine.json``), if it still answers."""
    record = _record()
    if record and processes.alive(record["pid"]) and answers(record["host"]):
        return Engine(host=record["host"], pid=record["pid"], driver=record["driver"])
    return None


def ensure_engine() -> Engine:
    """An engine that answers, started when needed; ``EngineError`` when none can be had."""
    explicit = os.environ.get("DOCKER_HOST")
    if explicit:
        if answers(explicit):
            return Engine(host=explicit)
        raise EngineError(
            f"no Docker engine answers at DOCKER_HOST={explicit}: start that engine or unset it"
        )
    if packages.which("docker") and answers(None):
        return Engine(host=None)
    ours = own_engine()
    if ours:
        return ours
    try:
        dockerd = packages.ensure("dockerd")
        packages.ensure("docker")
    except MissingError as exc:
        raise EngineError(f"no Docker engine answers, and {exc}") from exc
    return start_dockerd(dockerd)


def start_dockerd(binary: str) -> Engine:
    if os.geteuid() != 0:
        raise EngineError("no Docker engine answers, and dockerd can only be started as root")
    ENGINE_DIR.mkdir(parents=True, exist_ok=True)
    RUNTIME_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    host = f"unix://{SOCKET}"
    failures = []
    for driver in DRIVERS:
        log_path = ENGINE_DIR / f"dockerd-{driver}.log"
        cmd = [
            binary,
            f"--host={host}",
            f"--data-root={ENGINE_DIR / 'data'}",
            f"--exec-root={RUNTIME_DIR / 'exec'}",
            f"--pidfile={RUNTIME_DIR / 'dockerd.pid'}",
            f"--storage-driver={driver}",
            "--bridge=none",
            f"--default-address-pool={ADDRESS_POOL}",
        ]
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and proc.poll() is None and not answers(host):
            time.sleep(0.5)
        if proc.poll() is None and answers(host):
            RECORD.write_text(json.dumps({"pid": proc.pid, "host": host, "driver": driver}))
            print(f"containers: started dockerd (pid {proc.pid}, {driver}) at {host}", flush=True)
            return Engine(host=host, pid=proc.pid, driver=driver, started_now=True)
        _stop(proc.pid)
        failures.append(f"{driver}: {tail(log_path.read_text(), 3)}")
    raise EngineError("dockerd would not start:\n" + "\n".join(failures))


def _leftovers() -> list[int]:
    """Processes of ours still running: their command line names our runtime directory."""
    return processes.with_argument_containing(str(RUNTIME_DIR))


def _stop(pid: int) -> None:
    """End dockerd's process group, then what else of ours runs (containerd, its shims)."""
    processes.terminate_group(pid, 30)
    processes.signal_all(_leftovers(), signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(processes.alive(p) for p in _leftovers()):
        time.sleep(0.1)


def stop_own_engine() -> int | None:
    """Stop the dockerd this checkout started (and its containerd); returns its pid."""
    record = _record()
    if record is None:
        return None
    if processes.alive(record["pid"]):
        _stop(record["pid"])
    RECORD.unlink(missing_ok=True)
    SOCKET.unlink(missing_ok=True)
    shutil.rmtree(RUNTIME_DIR, ignore_errors=True)
    return int(record["pid"])
