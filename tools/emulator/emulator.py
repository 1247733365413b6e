"""moto's server with our shim, in a subprocess we control.

Server side (``python -m tools.emulator.emulator --port 0 --ready-file F``):
imports moto, applies ``tools.emulator.shim``, binds 127.0.0.1 only, writes
``{"pid", "port"}`` to ``--ready-file`` once listening, serves until SIGTERM.

Client side: ``Emulator.start(workdir)`` launches it in its own session (its
own process group), waits until it answers, and records pid/port in
``<workdir>/emulator.json`` so a later ``Emulator.find(workdir)`` (``make
destroy``/``make down``) reaches the same server. ``stop()`` ends the whole
process group and waits until the port is free.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tools import processes
from tools.emulator import replay
from tools.emulator.iam_eval import IAM_LOG_VARIABLE
from tools.emulator.replay import SDK_ATTEMPT

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
STATE_FILE = "emulator.json"
LOG_FILE = "emulator.log"
# One JSON line per request a role session made, with IAM's decision (shim_patches.IamLog).
IAM_LOG_FILE = "iam.jsonl"
MODULE = "tools.emulator.emulator"


class EmulatorError(RuntimeError):
    """The emulator did not start, answer or stop; the message says which."""


def port_is_free(port: int) -> bool:
    """True when nothing listens on ``127.0.0.1:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((HOST, port)) != 0


def answers(endpoint: str, timeout: float = 2.0) -> bool:
    """True when moto's management API at ``endpoint`` responds."""
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _is_our_server(pid: int) -> bool:
    """Guard against a recycled pid: the process must be our launcher."""
    args = processes.command_line(pid)
    if args is None:
        return processes.alive(pid)  # arguments unreadable: trust the recorded pid
    return MODULE in args


@dataclass(frozen=True)
class Emulator:
    """A running emulator: its pid (also its process group id) and port."""

    pid: int
    port: int
    workdir: Path

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @classmethod
    def start(cls, workdir: Path, *, port: int = 0, timeout: float = 60.0) -> Emulator:
        """Launch the server in a new session and wait until it answers.

        ``port`` 0 (default) picks a free port.
        """
        workdir.mkdir(parents=True, exist_ok=True)
        ready = workdir / "emulator.ready"
        ready.unlink(missing_ok=True)
        log = (workdir / LOG_FILE).open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", MODULE, "--port", str(port), "--ready-file", str(ready)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, IAM_LOG_VARIABLE: str(workdir / IAM_LOG_FILE)},
            start_new_session=True,  # own process group: killpg ends it all
        )
        log.close()
        deadline = time.monotonic() + timeout
        try:
            while not ready.exists():
                if proc.poll() is not None:
                    raise EmulatorError(
                        f"emulator exited with {proc.returncode} before listening; "
                        f"see {workdir / LOG_FILE}"
                    )
                if time.monotonic() > deadline:
                    raise EmulatorError(f"emulator did not listen within {timeout:.0f} s")
                time.sleep(0.1)
            emulator = cls(
                pid=proc.pid, port=int(json.loads(ready.read_text())["port"]), workdir=workdir
            )
            while not answers(emulator.endpoint):
                if time.monotonic() > deadline:
                    raise EmulatorError(f"emulator at {emulator.endpoint} does not answer")
                time.sleep(0.1)
        except BaseException:
            processes.terminate_group(proc.pid)
            proc.wait(timeout=10)  # already reaped: Popen reads that as exited
            raise
        emulator._record()
        return emulator

    @classmethod
    def find(cls, workdir: Path) -> Emulator | None:
        """The emulator recorded in ``workdir`` if it is still ours and alive."""
        path = workdir / STATE_FILE
        try:
            data = json.loads(path.read_text())
            emulator = cls(pid=int(data["pid"]), port=int(data["port"]), workdir=workdir)
        except (OSError, ValueError, KeyError):
            return None
        if processes.alive(emulator.pid) and _is_our_server(emulator.pid):
            return emulator
        path.unlink(missing_ok=True)  # stale record of a dead server
        return None

    def _record(self) -> None:
        data = {**asdict(self), "workdir": str(self.workdir), "endpoint": self.endpoint}
        tmp = self.workdir / f"{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(self.workdir / STATE_FILE)

    def stop(self, timeout: float = 15.0) -> None:
        """End the server's process group, wait for the port to be free, forget it."""
        processes.terminate_group(self.pid, timeout)
        deadline = time.monotonic() + timeout
        while not port_is_free(self.port):
            if time.monotonic() > deadline:
                raise EmulatorError(f"port {self.port} still in use after stopping the emulator")
            time.sleep(0.1)
        (self.workdir / STATE_FILE).unlink(missing_ok=True)
        (self.workdir / "emulator.ready").unlink(missing_ok=True)


def iam_decisions(workdir: Path) -> list[dict[str, Any]]:
    """Every IAM decision the emulator in ``workdir`` logged, oldest first."""
    path = workdir / IAM_LOG_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def retried_request(headers: Any) -> str:
    """``retried request attempt=N <Action>`` when an AWS SDK sent this request again
    (its ``amz-sdk-request`` header counts attempts), else ``""``. A retry of a call
    that is not idempotent, such as RegisterTaskDefinition, can create a second resource.
    """
    found = SDK_ATTEMPT.search(headers.get("amz-sdk-request", ""))
    if not found or int(found.group(1)) < 2:
        return ""
    action = headers.get("X-Amz-Target", "").rsplit(".", 1)[-1] or "(action in the body)"
    return f"retried request attempt={found.group(1)} {action}"


def _log_retries() -> None:
    """Mark SDK retries in the request log (emulator.log), after the request line, and
    log a response that never reached its client: werkzeug drops those silently, and
    the client's retry of a call that is not idempotent then fails as a duplicate."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    plain = MotoRequestHandler.log_request

    def log_request(self: Any, code: int | str = "-", size: int | str = "-") -> None:
        plain(self, code, size)
        note = retried_request(self.headers)
        if note:
            self.log("info", "  ^ %s", note)

    def connection_dropped(self: Any, error: BaseException, environ: Any = None) -> None:
        self.log(
            "info",
            "  ! %s %s: the client's connection broke before the response was sent (%r) %s",
            self.command,
            self.path,
            error,
            self.headers.get("amz-sdk-request", ""),
        )

    MotoRequestHandler.log_request = log_request  # type: ignore[method-assign]
    MotoRequestHandler.connection_dropped = connection_dropped  # type: ignore[method-assign]


def serve(port: int, ready_file: Path | None) -> None:
    """Apply the shim and serve moto on ``127.0.0.1:port`` until SIGTERM/SIGINT.

    The server is moto's own ``ThreadedMotoServer``; this process only adds the
    shim, the ready file and a clean exit on a signal.
    """
    # moto (and the shim, which imports it) loads in the server process only.
    from moto.server import ThreadedMotoServer

    from tools.emulator import shim

    shim.apply()
    _log_retries()
    replay.install()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    bound = server.get_host_and_port()[1]
    os.environ["MOTO_PORT"] = str(bound)  # moto builds some URLs from it
    stop = threading.Event()

    def _exit(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    if ready_file is not None:
        tmp = ready_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "port": bound}))
        tmp.replace(ready_file)
    print(f"emulator listening on http://{HOST}:{bound} (pid {os.getpid()})", flush=True)
    try:
        stop.wait()
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--ready-file", type=Path, help="write {pid, port} here once listening")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port={args.port}: must be 0-65535")
    serve(args.port, args.ready_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
