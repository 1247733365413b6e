"""A local release through ``make deploy``'s last step: the app keeps answering on its port.

Two serves in a row, as two ``make deploy`` runs would do them; the second one moves the
frontend to port 3001, as a change in config/environments.py would. A thread polls the
app's URL through both.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.containers.conftest import assert_nothing_left
from tools.containers import balancer, harness, run, taskdefs
from tools.containers.common import free_port
from tools.containers.engine import Engine
from tools.containers.taskdefs import TaskDefinition
from tools.deploy import ops


def on_port(task: TaskDefinition, port: int) -> TaskDefinition:
    """``task`` with its container on ``port`` (its mapping and ``PORT``)."""
    container = copy.deepcopy(task.container)
    container["portMappings"] = [{"containerPort": port, "hostPort": port, "protocol": "tcp"}]
    container["environment"] = [
        {**e, "value": str(port)} if e["name"] == "PORT" else e for e in container["environment"]
    ]
    return dataclasses.replace(task, container=container)


class Poller(threading.Thread):
    """GETs ``url`` every 50 ms; ``seen`` holds each status, or the error's name."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.seen, self.done = url, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    self.seen.append(response.status)
            except Exception as exc:  # refused, reset, 5xx: all are outage here
                self.seen.append(type(exc).__name__)
            time.sleep(0.05)


@dataclasses.dataclass
class Released:
    engine: Engine
    first: list[str]  # the run ids served before the release
    second: str  # the run id served after it
    answers: list[int | str]  # what the poller saw through the release


@pytest.fixture(scope="module")
def released(engine: Engine, tasks: dict[str, TaskDefinition]) -> Iterator[Released]:
    """Release 1 served, then release 2 (the frontend on 3001) served while a poller runs."""
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONTAINERS_PORT", str(port))
        patch.setenv("SERVE_APP", "1")
        patch.setattr(taskdefs, "read", lambda env_name: tasks)
        assert harness.serve_after_deploy("dev") == 0
        first = run.other_runs(engine, keep="")
        poller = Poller(f"http://127.0.0.1:{port}/")
        poller.start()
        moved = {**tasks, "frontend": on_port(tasks["frontend"], 3001)}
        patch.setattr(taskdefs, "read", lambda env_name: moved)
        try:
            assert harness.serve_after_deploy("dev") == 0
            time.sleep(0.5)
        finally:
            poller.done.set()
            poller.join()
        (second,) = run.other_runs(engine, keep="")
        try:
            yield Released(engine, first, second, poller.seen)
        finally:
            balancer.stop()
            run.remove_labelled(engine)
            harness.SERVED.unlink(missing_ok=True)
            assert_nothing_left(engine)


def test_a_local_release_keeps_answering(released: Released) -> None:
    assert len(released.answers) > 20 and set(released.answers) == {200}, released.answers


def test_after_the_release_only_its_containers_run_the_frontend_on_3001(released: Released) -> None:
    assert [released.second] != released.first
    frontend = run.inspect(released.engine, f"ecs-learn-{released.second}-frontend-1")
    assert "PORT=3001" in frontend["Config"]["Env"]
    assert "3001/tcp" in frontend["NetworkSettings"]["Ports"]


def test_make_exec_runs_a_command_in_a_backend_container(
    released: Released, capfd: pytest.CaptureFixture[str]
) -> None:
    # make exec ENV=dev SERVICE=backend CMD="id -u"
    assert ops.local_exec(released.engine, released.second, "backend", "id -u") == 0
    assert capfd.readouterr().out.strip() == "10001"


def test_make_logs_shows_lines_the_app_wrote_with_time_and_task(released: Released) -> None:
    lines = list(
        ops.local_logs(released.engine, released.second, "backend", since="10m", follow=False)
    )
    assert lines, "no log line"
    assert {line.task for line in lines} <= {"backend-1", "backend-2"}
    assert any("listening" in line.message or "GET" in line.message for line in lines), lines
    assert [line.time for line in lines] == sorted(line.time for line in lines)
