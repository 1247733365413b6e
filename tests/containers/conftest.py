"""A Docker engine for the session (started and stopped here when none was running),
the dev task definitions (one synth), and checks that nothing of ours is left behind.

Every test in this folder carries the ``containers`` marker: they need Docker, Debian's
docker-registry, debootstrap (only when the pinned base cannot be pulled) and Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.containers import engine as engine_mod
from tools.containers import run, taskdefs
from tools.containers.common import RUNTIME_DIR
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


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    found = ensure_engine()
    yield found
    run.remove_labelled(found)
    if found.started_now:
        stop_own_engine()
        assert engine_mod._leftovers() == [], f"processes under {RUNTIME_DIR} still run"


@pytest.fixture(scope="session")
def tasks() -> dict[str, taskdefs.TaskDefinition]:
    return taskdefs.read("dev")
