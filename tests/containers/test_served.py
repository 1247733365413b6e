"""Both real images, built, pushed, pinned by digest and run under the dev task definitions.

The tests run in file order on the containers of the session's local release (release 2,
the frontend on 3001): settings, health, the alias, the browser (which stops the backends
last), then the frontend's own shutdown.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.containers.conftest import Released
from tools.containers import run
from tools.containers.browser import chromium
from tools.containers.check import MESSAGE, backend_down, backend_hostnames, browse, shown_host
from tools.containers.harness import BACKEND_ALIAS, Served, fetch

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served(released: Released) -> Served:
    """Release 2 of the session's local release (tests/containers/conftest.py)."""
    return released.served


def all_containers(served: Served) -> list[str]:
    return [name for names in served.containers.values() for name in names]


def test_images_are_tagged_pushed_and_run_by_digest(served: Served) -> None:
    for service, image in served.images.items():
        task = served.tasks[service]
        tag = f"{task.repository}:{service}-0.1.0"
        assert image.reference.endswith(f"/{tag}") if image.pushed else image.reference == tag
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", image.digest)
        assert image.base.pinned == "python:3.12.8-slim-bookworm"
        for name in served.containers[service]:
            assert run.inspect(served.engine, name)["Config"]["Image"] == image.pinned


def test_containers_run_with_the_task_definition_settings(served: Served) -> None:
    for name in all_containers(served):
        task = served.task_of(name)
        info = run.inspect(served.engine, name)
        config, host = info["Config"], info["HostConfig"]
        env = dict(item.split("=", 1) for item in config["Env"])

        assert config["User"] == task.user == "10001"
        assert host["ReadonlyRootfs"] is task.read_only is True
        assert not host.get("Tmpfs") and not info["Mounts"]  # nothing writable, as on Fargate
        for key, value in task.environment.items():
            assert env[key] == value or key == "BACKEND_URL"
        assert f"{task.port}/tcp" in config["ExposedPorts"]
        health = config["Healthcheck"]
        assert (
            health["Test"] == task.health.command == ["CMD", "python", "/app/common/healthcheck.py"]
        )
        seconds = 1_000_000_000
        assert health["Interval"] == task.health.interval * seconds
        assert health["Timeout"] == task.health.timeout * seconds
        assert health["StartPeriod"] == task.health.start_period * seconds
        assert health["Retries"] == task.health.retries
        assert config["StopTimeout"] == task.stop_timeout
        assert host["NanoCpus"] == task.cpu * seconds // 1024
        assert host["Memory"] == task.memory * 1024 * 1024


def test_both_images_run_the_one_shared_runtime_from_app_common(served: Served) -> None:
    # /app mirrors apps/: the app's own folder and common/, imported through PYTHONPATH=/app
    probe = "import common.runtime, os; print(common.runtime.__file__, sorted(os.listdir('/app')))"
    for service, names in served.containers.items():
        result = served.engine.docker("exec", names[0], "python", "-c", probe)

        assert result.returncode == 0, result.stdout
        assert result.stdout.strip() == f"/app/common/runtime.py {sorted(['common', service])}"


def test_every_container_is_healthy_under_dockers_health_check(served: Served) -> None:
    for name in all_containers(served):
        assert run.inspect(served.engine, name)["State"]["Health"]["Status"] == "healthy"


def test_frontend_reaches_two_backends_through_one_network_alias(served: Served) -> None:
    (frontend,) = served.containers["frontend"]
    env = dict(i.split("=", 1) for i in run.inspect(served.engine, frontend)["Config"]["Env"])
    assert env["BACKEND_URL"] == f"http://{BACKEND_ALIAS}:8080"
    for name in served.containers["backend"]:
        networks = run.inspect(served.engine, name)["NetworkSettings"]["Networks"]
        assert BACKEND_ALIAS in networks[served.network]["Aliases"]

    hosts = backend_hostnames(served)
    seen = set()
    for _ in range(30):
        status, body = fetch(served.frontend_url)
        assert status == 200
        seen.add(shown_host(re.sub(r"<[^>]+>", " ", body)))
        if seen == set(hosts):
            break
    assert seen == set(hosts) and len(seen) == 2


def test_browser_shows_the_backend_then_the_502_page(
    browser_found: object, served: Served, tmp_path: Path
) -> None:
    shot = tmp_path / "page.png"
    with chromium() as driver:
        seen = browse(served, driver, screenshot=shot)
        assert MESSAGE in seen.text and "0.1.0" in seen.text
        assert seen.backend_hosts == set(backend_hostnames(served))
        assert shot.read_bytes().startswith(b"\x89PNG")

        text = backend_down(served, driver)  # stops both replicas, each gracefully
    assert "Backend unavailable" in text or "Backend timed out" in text
    for name in served.containers["backend"]:
        logs = run.logs(served.engine, name)
        assert '"shutting down", "signal": "SIGTERM"' in logs and '"stopped"' in logs


def test_frontend_stops_gracefully_within_its_stop_timeout(served: Served) -> None:
    (frontend,) = served.containers["frontend"]
    task = served.tasks["frontend"]
    stopped = run.stop(served.engine, frontend, task.stop_timeout)

    assert stopped.exit_code == 0
    assert stopped.seconds < task.stop_timeout
    assert '"shutting down", "signal": "SIGTERM"' in stopped.logs
    assert stopped.logs.strip().splitlines()[-1].endswith('"stopped"}')
