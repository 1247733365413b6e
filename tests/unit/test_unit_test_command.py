"""`make unit`, `scripts/check` (what CI runs) and `make bench` run the unit tests the same way."""

from __future__ import annotations

import shlex
from pathlib import Path

from tools.perf.bench import UNIT_TEST_ARGS

ROOT = Path(__file__).resolve().parents[2]


def _pytest_args(text: str) -> list[tuple[str, ...]]:
    """The arguments after ``-m pytest`` of every pytest line that selects the unit tests."""
    found = []
    for line in text.splitlines():
        if "-m pytest" in line and "not e2e and not containers" in line:
            words = shlex.split(line.strip())
            found.append(tuple(words[words.index("pytest") + 1 :]))
    return found


def test_make_unit_and_the_check_script_run_what_the_benchmark_times() -> None:
    makefile = _pytest_args((ROOT / "Makefile").read_text())
    check = _pytest_args((ROOT / "scripts" / "check").read_text())
    assert makefile == check == [UNIT_TEST_ARGS]
