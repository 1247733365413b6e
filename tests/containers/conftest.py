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

from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tools import not_run
from tools.containers import browser, run, taskdefs
from tools.containers import engine as engine_mod
from tools.containers.common import RUNTIME_DIR, MissingError
from tools.containers.engine import Engine, ensure_engine, stop_own_engine

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
