"""Which long runs of the e2e phase this session starts: ``E2E_RUNS``.

CI runs each long run in its own matrix job (``E2E_RUNS=faults scripts/check e2e``); a
test that needs a run that is not selected is skipped with a reason naming ``E2E_RUNS``.
Deselecting a run on purpose is not a missing check, so it is never listed as not run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# Arguments after ``python``; each run takes its own ``--workdir``.
COMMANDS = {
    "rehearse-dev": ["-m", "tools.rehearsal", "--env", "dev"],
    # The rollback changes only image tags, the same in both environments: dev rehearses it.
    "rehearse-prod": ["-m", "tools.rehearsal", "--env", "prod", "--lean"],
    "faults": ["-m", "tools.recovery.faults"],
}
RUNS = tuple(COMMANDS)
VARIABLE = "E2E_RUNS"


class InvalidSelection(ValueError):
    """``E2E_RUNS`` names a run that does not exist."""


def selected(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The selected runs in ``RUNS`` order: unset or empty means every run."""
    value = environ.get(VARIABLE, "")
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in RUNS]
    if unknown:
        raise InvalidSelection(
            f"invalid {VARIABLE}={value!r}: unknown run {unknown[0]!r};"
            f" choose a comma-separated subset of {','.join(RUNS)}"
        )
    return tuple(run for run in RUNS if run in names) if names else RUNS


def skip_reason(run: str, environ: Mapping[str, str] = os.environ) -> str:
    """Why a test of ``run`` is skipped: the variable and its value."""
    return f"belongs to {run}, which {VARIABLE}={environ.get(VARIABLE, '')!r} does not select"


def skips(
    marks: Mapping[str, str | None], environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """test id -> skip reason, for e2e tests (id -> run their ``e2e_run`` mark names, or
    None without one) whose run is not selected. A missing or unknown mark is an error:
    such a test would otherwise run in every job, or in none."""
    unmarked = sorted(test for test, run in marks.items() if run is None)
    if unmarked:
        raise InvalidSelection(f"e2e tests without an e2e_run mark: {', '.join(unmarked)}")
    wrong = sorted(f"{test} ({run!r})" for test, run in marks.items() if run not in RUNS)
    if wrong:
        raise InvalidSelection(
            f"e2e_run marks naming no run of {','.join(RUNS)}: {', '.join(wrong)}"
        )
    chosen = selected(environ)
    return {test: skip_reason(run, environ) for test, run in marks.items() if run not in chosen}
