"""docs/architecture.md and docs/architecture.ja.md must equal a fresh ``make diagram``.

Reuses the session synth from tests/conftest.py (``synth_dir``), so the only
cost here is reading JSON. The diagram shows nothing that differs between that
synth's settings and the ones ``make diagram`` uses (names, not versions).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tools.review.diagram import DOCS, load_model, render


@pytest.mark.parametrize("lang", sorted(DOCS))
def test_committed_diagram_matches_fresh_generation(synth_dir: Path, lang: str) -> None:
    doc = DOCS[lang]
    name = f"docs/{doc.name}"
    fresh = render(load_model(synth_dir, "dev"), lang)
    committed = doc.read_text() if doc.exists() else ""
    diff = "".join(
        list(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                fresh.splitlines(keepends=True),
                f"{name} (committed)",
                "fresh",
            )
        )[:40]
    )
    assert committed == fresh, f"{name} is stale: run `make diagram`\n{diff}"
