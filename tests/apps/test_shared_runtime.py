"""runtime.py is duplicated so each app builds from its own directory; keep the copies equal."""

from __future__ import annotations

from pathlib import Path

APPS_DIR = Path(__file__).resolve().parents[2] / "apps"


def test_runtime_copies_are_identical() -> None:
    backend_copy = (APPS_DIR / "backend" / "runtime.py").read_bytes()
    frontend_copy = (APPS_DIR / "frontend" / "runtime.py").read_bytes()

    assert backend_copy == frontend_copy, (
        "edit one, then: cp apps/backend/runtime.py apps/frontend/"
    )
