"""A local release through ``make deploy``'s last step (``harness.release``): the app keeps
answering on its port, the new port serves, and ``make exec`` / ``make logs`` reach the
new containers. The release is the session's ``released`` (tests/containers/conftest.py).
"""

from __future__ import annotations

import pytest

from tests.containers.conftest import Released
from tools.containers import run
from tools.deploy import ops


def test_a_local_release_keeps_answering(released: Released) -> None:
    assert len(released.answers) > 20 and set(released.answers) == {200}, released.answers


def test_after_the_release_only_its_containers_run_the_frontend_on_3001(released: Released) -> None:
    assert run.other_runs(released.engine, keep="") == [released.served.run_id]
    assert released.served.run_id != released.first
    frontend = run.inspect(released.engine, f"ecs-learn-{released.served.run_id}-frontend-1")
    assert "PORT=3001" in frontend["Config"]["Env"]
    assert "3001/tcp" in frontend["NetworkSettings"]["Ports"]


def test_make_exec_runs_a_command_in_a_backend_container(
    released: Released, capfd: pytest.CaptureFixture[str]
) -> None:
    # make exec ENV=dev SERVICE=backend CMD="id -u"
    assert ops.local_exec(released.engine, released.served.run_id, "backend", "id -u") == 0
    assert capfd.readouterr().out.strip() == "10001"


def test_make_logs_shows_lines_the_app_wrote_with_time_and_task(released: Released) -> None:
    lines = list(
        ops.local_logs(
            released.engine, released.served.run_id, "backend", since="10m", follow=False
        )
    )
    assert lines, "no log line"
    assert {line.task for line in lines} <= {"backend-1", "backend-2"}
    assert any("listening" in line.message or "GET" in line.message for line in lines), lines
    assert [line.time for line in lines] == sorted(line.time for line in lines)
