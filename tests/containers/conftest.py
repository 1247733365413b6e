"""A Docker engine for the session (started and stopped here when none was running),
a browser, the dev task definitions (one synth), and checks that nothing of ours is left
behind.

Every test in this folder carries the ``containers`` marker: they need a Docker engine, a
registry (the pinned image or Debian's docker-registry; without one the push is a check
not run), a base image and Chrome or Chromium. When the machine lacks the engine or the
browser, the tests that need it are skipped and listed by scripts/check as not run; with
CI=true or REQUIRE_ALL=1 they fail with the same line (tools/not_run.py).
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tools import not_run
from tools.containers import balancer, browser, harness, run, taskdefs
from tools.containers import engine as engine_mod
from tools.containers.common import RUNTIME_DIR, MissingError, free_port
from tools.containers.engine import Engine, ensure_engine, stop_own_engine
from tools.containers.harness import Served
from tools.containers.taskdefs import TaskDefinition

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.containers)


def registries_running() -> list[int]:
    """docker-registry processes serving a config of ours."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"ecs-learn-registry-" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def assert_nothing_left(engine: Engine) -> None:
    assert run.leftovers(engine) == [], "containers or networks left behind"
    assert registries_running() == [], "a local registry is still running"


def not_run_here(exc: MissingError) -> NoReturn:
    """Skip (listed as not run) or, where every check is required, fail: one line."""
    line = not_run.record("containers", str(exc))
    if not_run.required():
        pytest.fail(line, pytrace=False)
    pytest.skip(line)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    try:
        found = ensure_engine()
    except MissingError as exc:
        not_run_here(exc)
    # What an earlier, interrupted run left on this engine would fail every cleanup check.
    stale = run.remove_labelled(found)
    if stale:
        print(f"containers: removed {len(stale)} containers/networks an earlier run left")
    yield found
    run.remove_labelled(found)
    if found.started_now:
        stop_own_engine()
        assert engine_mod._leftovers() == [], f"processes under {RUNTIME_DIR} still run"


@pytest.fixture(scope="session")
def browser_found() -> browser.Browser:
    try:
        return browser.ensure()
    except MissingError as exc:
        not_run_here(exc)


@pytest.fixture(scope="session")
def tasks() -> dict[str, taskdefs.TaskDefinition]:
    return taskdefs.read("dev")


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
    port: int  # the balancer's, where the app is served
    first: str  # the run id of release 1
    served: Served  # release 2's containers
    answers: list[int | str]  # what the poller saw through release 2


@pytest.fixture(scope="session")
def released(engine: Engine, tasks: dict[str, TaskDefinition]) -> Iterator[Released]:
    """Release 1 served by ``make deploy``'s last step, then release 2 (the frontend moved
    to 3001) served the same way while a poller runs. The tests of test_release.py, then
    those of test_served.py (which stop the containers last), run on release 2."""
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONTAINERS_PORT", str(port))
        patch.setenv("SERVE_APP", "1")
        patch.setattr(taskdefs, "read", lambda env_name: tasks)
        try:
            assert harness.serve_after_deploy("dev") == 0
            (first,) = run.other_runs(engine, keep="")
            poller = Poller(f"http://127.0.0.1:{port}/")
            poller.start()
            try:
                moved = {**tasks, "frontend": on_port(tasks["frontend"], 3001)}
                served = harness.release(engine, moved, port)
                time.sleep(0.5)
            finally:
                poller.done.set()
                poller.join()
            yield Released(engine, port, first, served, poller.seen)
        finally:
            balancer.stop()
            run.remove_labelled(engine)
            harness.SERVED.unlink(missing_ok=True)
            assert_nothing_left(engine)
