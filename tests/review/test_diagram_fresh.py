"""docs/architecture.md must equal a fresh ``make diagram`` of the current stacks.

Reuses the session synth from tests/conftest.py (``synth_dir``), so the only
cost here is reading JSON. The diagram shows nothing that differs between that
synth's settings and the ones ``make diagram`` uses (names, not versions).
"""

from __future__ import annotations

import difflib
from pathlib import Path

from tools.diagram import DOC, load_model, render


def test_committed_diagram_matches_fresh_generation(synth_dir: Path) -> None:
    fresh = render(load_model(synth_dir, "dev"))
    committed = DOC.read_text() if DOC.exists() else ""
    diff = "".join(
        list(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                fresh.splitlines(keepends=True),
                "docs/architecture.md (committed)",
                "fresh",
            )
        )[:40]
    )
    assert committed == fresh, f"docs/architecture.md is stale: run `make diagram`\n{diff}"
