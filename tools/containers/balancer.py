"""The local stand-in for the public ALB: a TCP proxy on ``127.0.0.1:<port>``.

Each connection goes to one of the frontend containers named in the targets file (in
turn; the next when one refuses); a release points it at the new frontend once that is
healthy. It runs in a session of its own (its pid in ``balancer.json``), so it outlives
``make deploy``; ``make destroy`` and ``make down`` stop it.

    python -m tools.containers.balancer --port 3000 --targets FILE
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import selectors
import signal
import socket
import socketserver
import subprocess
import sys
import time
from pathlib import Path

from tools import processes
from tools.containers.common import LOCALHOST, STATE_DIR, ContainersError

TARGETS = STATE_DIR / "balancer-targets.json"
RECORD = STATE_DIR / "balancer.json"
LOG = STATE_DIR / "balancer.log"
MODULE = "tools.containers.balancer"


def read_targets(path: Path) -> list[tuple[str, int]]:
    """``[(host, port), ...]`` from ``["127.0.0.1:49153", ...]``; empty when unreadable."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return [(e.rsplit(":", 1)[0], int(e.rsplit(":", 1)[1])) for e in entries]


def point_at(upstreams: list[str], path: Path = TARGETS) -> None:
    """Send new connections to ``upstreams`` (``host:port``); in-flight ones finish."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(upstreams))
    os.replace(scratch, path)  # atomic: a connection reads the old list or the new one


def _pipe(a: socket.socket, b: socket.socket) -> None:
    with selectors.DefaultSelector() as sel:
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        while True:
            for key, _ in sel.select(timeout=60):
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    return
                key.data.sendall(data)


def make_server(port: int, targets: Path) -> socketserver.ThreadingTCPServer:
    turn = itertools.count()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            upstreams = read_targets(targets)
            start = next(turn)
            for i in range(len(upstreams)):
                try:
                    upstream = socket.create_connection(
                        upstreams[(start + i) % len(upstreams)], timeout=5
                    )
                except OSError:
                    continue
                with upstream:
                    upstream.settimeout(None)
                    _pipe(self.request, upstream)
                return

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    return socketserver.ThreadingTCPServer((LOCALHOST, port), Handler)


def running() -> dict[str, int] | None:
    """``{"pid", "port"}`` of our balancer when it runs, else None."""
    try:
        record = json.loads(RECORD.read_text())
    except (OSError, ValueError):
        return None
    args = processes.command_line(int(record.get("pid", 0))) or []
    return record if MODULE in args else None


def ensure(port: int, seconds: float = 10) -> None:
    """Have the balancer listen on ``port`` (started, or restarted from another port)."""
    found = running()
    if found and found["port"] == port:
        return
    stop()
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", MODULE, "--port", str(port), "--targets", str(TARGETS)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=Path(__file__).resolve().parents[2],
        )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ContainersError(f"the local balancer on {LOCALHOST}:{port} exited; see {LOG}")
        try:
            socket.create_connection((LOCALHOST, port), timeout=0.5).close()
        except OSError:
            time.sleep(0.1)
            continue
        RECORD.write_text(json.dumps({"pid": process.pid, "port": port}))
        return
    process.kill()
    raise ContainersError(f"the local balancer did not listen on {LOCALHOST}:{port} in {seconds} s")


def stop() -> int | None:
    """Stop the balancer if it runs; returns its pid."""
    found = running()
    RECORD.unlink(missing_ok=True)
    if not found:
        return None
    processes.terminate_group(found["pid"], grace=5)
    return found["pid"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--targets", type=Path, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with make_server(args.port, args.targets) as server:
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
