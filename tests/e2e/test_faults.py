"""``make rehearse-faults``: every fault point recovered with the documented commands.

Slow (minutes; its chains run at once, each against its own emulator); run with
``pytest -m e2e -s`` to see the table.
"""

from __future__ import annotations

from typing import Any

import pytest

from tools.emulator.emulator import Emulator
from tools.recovery.faults import CHAINS


@pytest.mark.e2e
@pytest.mark.e2e_run("faults")
def test_every_fault_point_recovers(background_runs: dict[str, Any]) -> None:
    # Started with the other long runs (tests/e2e/conftest.py); its time is reported here.
    proc, total, workdir = background_runs["faults"].result()
    print(proc.stdout[-6000:])
    print(f"fault rehearsal total: {total:.1f} s")
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert "FAULT REHEARSAL PASSED" in proc.stdout
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "PASS" in line]
    assert len(rows) == sum(len(faults) for faults in CHAINS.values())
    for chain in CHAINS:  # every emulator was stopped
        assert Emulator.find(workdir / chain) is None
