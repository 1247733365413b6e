"""``make rehearse-faults``: every fault point recovered with the documented commands.

Slow (minutes; its chains run at once, each against its own emulator); run with
``pytest -m e2e -s`` to see the table.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.recovery.faults import CHAINS
from tools.rehearsal.commands import ROOT
from tools.rehearsal.emulator import Emulator

BUDGET_S = 1200


@pytest.mark.e2e
def test_every_fault_point_recovers(tmp_path: Path) -> None:
    workdir = tmp_path / "faults"
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "tools.recovery.faults", "--workdir", str(workdir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUDGET_S + 300,
    )
    total = time.monotonic() - started
    print(proc.stdout[-6000:])
    print(f"fault rehearsal total: {total:.1f} s (budget {BUDGET_S} s)")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "FAULT REHEARSAL PASSED" in proc.stdout
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "PASS" in line]
    assert len(rows) == sum(len(faults) for faults in CHAINS.values())
    assert total < BUDGET_S
    for chain in CHAINS:  # every emulator was stopped
        assert Emulator.find(workdir / chain) is None
