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


@pytest.fixture
def port(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    chosen = free_port()
    monkeypatch.setenv("CONTAINERS_PORT", str(chosen))
    monkeypatch.setenv("SERVE_APP", "1")
    yield chosen
    balancer.stop()
    run.remove_labelled(engine)
    harness.SERVED.unlink(missing_ok=True)
    assert_nothing_left(engine)


def test_a_local_release_keeps_answering_and_serves_the_new_port(
    engine: Engine, tasks: dict[str, TaskDefinition], port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN release 1 served on the port
    monkeypatch.setattr(taskdefs, "read", lambda env_name: tasks)
    assert harness.serve_after_deploy("dev") == 0
    first = run.other_runs(engine, keep="")
    poller = Poller(f"http://127.0.0.1:{port}/")
    poller.start()
    # WHEN release 2 moves the frontend to 3001 and is served the same way
    moved = {**tasks, "frontend": on_port(tasks["frontend"], 3001)}
    monkeypatch.setattr(taskdefs, "read", lambda env_name: moved)
    assert harness.serve_after_deploy("dev") == 0
    time.sleep(0.5)
    poller.done.set()
    poller.join()
    # THEN every request through both releases was answered 200
    assert len(poller.seen) > 20 and set(poller.seen) == {200}, poller.seen
    # AND only release 2's containers run, the frontend listening on 3001
    (second,) = run.other_runs(engine, keep="")
    assert [second] != first
    frontend = run.inspect(engine, f"ecs-learn-{second}-frontend-1")
    assert "PORT=3001" in frontend["Config"]["Env"]
    assert "3001/tcp" in frontend["NetworkSettings"]["Ports"]
