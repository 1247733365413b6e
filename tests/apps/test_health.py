"""Health endpoints (used by the ALB) and the healthcheck.py script (used by Docker and ECS)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

APPS_DIR = Path(__file__).resolve().parents[2] / "apps"


def run_healthcheck(app: str, port: int) -> int:
    script = APPS_DIR / app / "healthcheck.py"
    env = {"PORT": str(port), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, str(script)], env=env, timeout=10, check=False
    ).returncode


def test_backend_healthz_returns_200_ok(backend) -> None:
    response = backend.get("/healthz")

    assert response.status == 200
    assert response.json() == {"status": "ok"}


def test_frontend_healthz_returns_200_ok(frontend) -> None:
    response = frontend.get("/healthz")

    assert response.status == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("app_name", ["backend", "frontend"])
def test_healthcheck_script_exits_0_for_a_healthy_app(request, app_name: str) -> None:
    # GIVEN the app is running (the frontend fixture also starts its backend)
    app = request.getfixturevalue(app_name)

    # WHEN / THEN the container health check command succeeds
    assert run_healthcheck(app_name, app.port) == 0


@pytest.mark.parametrize("app_name", ["backend", "frontend"])
def test_healthcheck_script_exits_1_when_nothing_listens(app_name: str, closed_port_url) -> None:
    port = int(closed_port_url.rsplit(":", 1)[1])

    assert run_healthcheck(app_name, port) == 1
