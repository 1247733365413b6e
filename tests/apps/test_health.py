"""Health endpoints (used by the ALB) and the one healthcheck.py script (used by Docker and ECS)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

APPS_DIR = Path(__file__).resolve().parents[2] / "apps"
SCRIPT = APPS_DIR / "common" / "healthcheck.py"


def run_healthcheck(port: str | None) -> subprocess.CompletedProcess[str]:
    """The script as the containers run it: PORT from the environment (None: unset)."""
    env = {"PYTHONPATH": str(APPS_DIR), "PYTHONDONTWRITEBYTECODE": "1"}
    if port is not None:
        env["PORT"] = port
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


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

    # WHEN / THEN the container health check command succeeds on the app's PORT
    assert run_healthcheck(str(app.port)).returncode == 0


def test_healthcheck_script_exits_1_when_nothing_listens(closed_port_url) -> None:
    port = closed_port_url.rsplit(":", 1)[1]

    assert run_healthcheck(port).returncode == 1


@pytest.mark.parametrize(
    ("port", "shown"),
    [(None, "None"), ("", "''"), ("abc", "'abc'"), ("0", "'0'"), ("70000", "'70000'")],
)
def test_healthcheck_script_without_a_valid_port_is_unhealthy_and_says_why(
    port: str | None, shown: str
) -> None:
    # GIVEN no usable PORT (the Dockerfiles and task definitions always set one)
    result = run_healthcheck(port)

    # THEN it fails the check instead of guessing a port, and names the value
    assert result.returncode == 1
    assert result.stderr == f"healthcheck: PORT must be a port 1-65535, got {shown}\n"
