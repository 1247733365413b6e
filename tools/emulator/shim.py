"""Small patches to moto 5.2 so hashicorp/aws 5.100.0 can apply, re-plan and destroy.

Each patch fixes one emulator gap (docs/emulator.md lists them with reasons),
only inside the emulator process (``tools.emulator.emulator``), never in the
stacks. ``apply()`` applies all of them once; each is unit-tested in
``tests/rehearsal/test_shim.py`` against a patched server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tools.emulator import shim_patches

PATCHES: tuple[Callable[[], None], ...] = shim_patches.ALL
_applied = False


def apply() -> None:
    """Apply every patch (idempotent)."""
    global _applied
    if _applied:
        return
    for patch in PATCHES:
        patch()
    _applied = True


def describe() -> list[dict[str, Any]]:
    """Name and first docstring line of every patch (``python -m tools.emulator.shim``)."""
    return [
        {"name": p.__name__, "fixes": (p.__doc__ or "").strip().splitlines()[0]} for p in PATCHES
    ]


if __name__ == "__main__":
    print(json.dumps(describe(), indent=2))
