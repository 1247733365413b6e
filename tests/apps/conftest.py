"""Fixtures that run the real apps as subprocesses on loopback, plus tiny fake HTTP servers.

Every process and server started here is stopped in fixture teardown, even when a test fails.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS_DIR = REPO_ROOT / "apps"
STARTUP_DEADLINE_SECONDS = 10.0  # generous for loaded CI runners; healthy apps start in ~0.2 s
STOP_GRACE_SECONDS = 3.0


def find_free_port() -> int:
    """Ask the OS for a free loopback port (bind port 0), then release it for the app."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


def http_get(url: str, timeout: float = 5.0) -> HttpResult:
    """Plain GET without proxies or redirects; any HTTP status is returned, not raised."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target or "/")
        response = connection.getresponse()
        return HttpResult(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


@dataclass
class AppProcess:
    """A running app subprocess whose stdout/stderr go to files (pipes could fill and block)."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, timeout: float = 5.0) -> HttpResult:
        return http_get(self.url + path, timeout)

    def stdout_lines(self) -> list[str]:
        return [line for line in self.stdout_path.read_text().splitlines() if line.strip()]

    def stderr_text(self) -> str:
        return self.stderr_path.read_text()

    def log_entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout_lines()]

    def wait_for_log(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 3.0
    ) -> dict[str, Any]:
        """Request log lines are written just after the response, so poll briefly."""
        deadline = time.monotonic() + timeout
        while True:
            matches = [entry for entry in self.log_entries() if predicate(entry)]
            if matches:
                return matches[0]
            if time.monotonic() > deadline:
                pytest.fail(f"no matching log line in {self.name} output:\n{self.output()}")
            time.sleep(0.02)

    def output(self) -> str:
        return f"--- stdout ---\n{self.stdout_path.read_text()}--- stderr ---\n{self.stderr_text()}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def app_env(port: int, overrides: Mapping[str, str]) -> dict[str, str]:
    """A minimal environment, so stray AWS/ECS variables on the host cannot leak in.

    ``PYTHONPATH`` is apps/, as it is /app in the images (whose /app mirrors apps/), so
    the apps import ``common.runtime`` the same way here as in their containers.
    """
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(APPS_DIR),
        "PYTHONDONTWRITEBYTECODE": "1",  # keep apps/ free of __pycache__
        "PYTHONUNBUFFERED": "1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    env.update(overrides)
    return env


class AppLauncher:
    """Starts apps/<name>/app.py with sys.executable and remembers it for cleanup."""

    def __init__(self, work_dir: Path) -> None:
        self._work_dir = work_dir
        self._started: list[AppProcess] = []

    def start(self, name: str, env: Mapping[str, str] | None = None) -> AppProcess:
        """Start the app and wait until /healthz answers 200 (retrying if the port was taken)."""
        for _attempt in range(3):
            app = self.spawn(name, app_env(find_free_port(), env or {}))
            if self._wait_healthy(app):
                return app
            if "cannot listen" not in app.stdout_path.read_text():
                pytest.fail(f"{name} did not become healthy:\n{app.output()}")
        pytest.fail(f"{name} could not bind a free port:\n{app.output()}")

    def spawn(self, name: str, env: Mapping[str, str]) -> AppProcess:
        index = len(self._started)
        stdout_path = self._work_dir / f"{name}-{index}.stdout"
        stderr_path = self._work_dir / f"{name}-{index}.stderr"
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, str(APPS_DIR / name / "app.py")],
                env=dict(env),
                cwd=self._work_dir,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,  # a Ctrl-C aimed at pytest must not hit the apps
            )
        app = AppProcess(name, int(env["PORT"]), process, stdout_path, stderr_path)
        self._started.append(app)
        return app

    def _wait_healthy(self, app: AppProcess) -> bool:
        deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
        while time.monotonic() < deadline:
            if app.process.poll() is not None:
                return False
            try:
                if app.get("/healthz", timeout=0.5).status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        app.stop()
        pytest.fail(f"{app.name} not healthy within {STARTUP_DEADLINE_SECONDS}s:\n{app.output()}")

    def stop_all(self) -> None:
        running = [app for app in self._started if app.process.poll() is None]
        for app in running:  # signal all first so they drain in parallel
            app.process.terminate()
        for app in running:
            app.stop()


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[AppLauncher]:
    """Per-test launcher: use it when a test needs its own config or will stop the app."""
    apps = AppLauncher(tmp_path)
    try:
        yield apps
    finally:
        apps.stop_all()


@pytest.fixture(scope="session")
def shared_launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppLauncher]:
    apps = AppLauncher(tmp_path_factory.mktemp("shared-apps"))
    try:
        yield apps
    finally:
        apps.stop_all()


@pytest.fixture
def run_app_to_exit(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run an app expected to exit on its own (bad config); the timeout kills it otherwise."""

    def run(name: str, env: Mapping[str, str], drop: tuple[str, ...] = ()) -> Any:
        full_env = app_env(find_free_port(), env)
        for variable in drop:
            full_env.pop(variable, None)
        return subprocess.run(
            [sys.executable, str(APPS_DIR / name / "app.py")],
            env=full_env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def backend(shared_launcher: AppLauncher) -> AppProcess:
    """A backend shared by read-only tests (AZ test-az-1a, version 1.2.3). Do not stop it."""
    env = {"AVAILABILITY_ZONE": "test-az-1a", "APP_VERSION": "1.2.3"}
    return shared_launcher.start("backend", env)


@pytest.fixture(scope="session")
def frontend(shared_launcher: AppLauncher, backend: AppProcess) -> AppProcess:
    """A frontend wired to the shared backend. Do not stop it."""
    return shared_launcher.start("frontend", {"BACKEND_URL": backend.url})


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens, so connecting is refused immediately."""
    return f"http://127.0.0.1:{find_free_port()}"


@dataclass
class FakeRoute:
    status: int = 200
    body: Any = field(default_factory=dict)  # dict -> JSON, str -> sent as is
    delay_seconds: float = 0.0


@dataclass
class FakeServer:
    """A real socket HTTP server in a thread, answering canned routes, optionally slowly."""

    routes: dict[str, FakeRoute]
    requested: list[str] = field(default_factory=list)  # raw request targets, in order
    request_started: threading.Event = field(default_factory=threading.Event)
    stopping: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def hits(self, path: str) -> int:
        return sum(1 for target in self.requested if urlsplit(target).path == path)


def _fake_handler(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requested.append(self.path)
            fake.request_started.set()
            route = fake.routes.get(urlsplit(self.path).path, FakeRoute(404, {"error": "nf"}))
            fake.stopping.wait(route.delay_seconds)  # "sleep", but end early at teardown
            is_text = isinstance(route.body, str)
            body = (route.body if is_text else json.dumps(route.body)).encode("utf-8")
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", "text/plain" if is_text else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client (frontend) gave up first: that is the point of slow routes

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


@pytest.fixture
def fake_server() -> Iterator[Callable[[dict[str, FakeRoute]], FakeServer]]:
    started: list[FakeServer] = []

    def start(routes: dict[str, FakeRoute]) -> FakeServer:
        fake = FakeServer(routes)
        fake.server = ThreadingHTTPServer(("127.0.0.1", 0), _fake_handler(fake))
        fake.server.daemon_threads = True
        threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(fake)
        return fake

    try:
        yield start
    finally:
        for fake in started:
            fake.stopping.set()
            assert fake.server is not None
            fake.server.shutdown()
            fake.server.server_close()


@pytest.fixture
def fake_route() -> type[FakeRoute]:
    """FakeRoute for test modules (they should not import from conftest)."""
    return FakeRoute
