"""The long runs of the e2e phase, started together the first time any of them is needed.

The dev and prod rehearsals and the fault rehearsal each drive their own emulators,
ports and workdirs, and they mostly wait on the AWS provider's fixed timers, so
running them at once keeps ``make test`` within its time budget on two cores.
``E2E_RUNS`` (tests/e2e/runs.py) selects a subset: CI gives each run a job of its own.
Every e2e test names its run with ``@pytest.mark.e2e_run(name)`` (tests/conftest.py skips
it when that run is not selected).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from tests.e2e import runs
from tools.deploy.commands import ROOT
from tools.deploy.procs import kill_tree

# Everything at once on a loaded 2-core machine; day 2 makes a rehearsal ~3 applies long.
TIMEOUT_S = 3600


@dataclass
class Run:
    """One background command: its process, output file and workdir."""

    proc: subprocess.Popen[str]
    log: IO[str]
    workdir: Path
    started: float

    def result(self) -> tuple[subprocess.CompletedProcess[str], float, Path]:
        """Wait for it: (completed process with its output, seconds since start, workdir)."""
        left = TIMEOUT_S - (time.monotonic() - self.started)
        self.proc.wait(timeout=max(left, 1))
        self.log.seek(0)
        done = subprocess.CompletedProcess(self.proc.args, self.proc.returncode, self.log.read())
        return done, time.monotonic() - self.started, self.workdir

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # both harnesses stop their emulators and children on SIGTERM
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                kill_tree(self.proc.pid)
                self.proc.wait()
        self.log.close()


# Tests that do not wait for a long run go first, beside them; then the tests of each run
# in the order the runs usually finish, so that the checks on the dev rehearsal's plans
# (checkov, the plan summary) run while prod still rehearses.
BESIDE_THE_LONG_RUNS = ("test_second_apply_is_refused_while_the_first_holds_the_lock",)
FINISH_ORDER = ("faults", "rehearse-dev", "rehearse-prod")
HERE = Path(__file__).parent


def order(item: pytest.Item) -> int:
    beside = getattr(item, "originalname", item.name) in BESIDE_THE_LONG_RUNS
    mark = item.get_closest_marker("e2e_run")
    if beside or mark is None or HERE not in Path(item.fspath).parents:
        return 0
    return 1 + FINISH_ORDER.index(mark.args[0])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=order)


@pytest.fixture(scope="session")
def background_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every selected long run (E2E_RUNS), started at once; each test waits for its own."""
    base = tmp_path_factory.mktemp("e2e")
    started: dict[str, Run] = {}
    try:
        for name in runs.selected():
            args = runs.COMMANDS[name]
            workdir = base / name
            log = (base / f"{name}.out").open("w+")
            proc = subprocess.Popen(
                [sys.executable, *args, "--workdir", str(workdir)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
            started[name] = Run(proc, log, workdir, time.monotonic())
        yield started
    finally:
        for run in started.values():
            run.stop()
