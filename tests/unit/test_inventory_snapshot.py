"""Reviewable snapshots of every resource and its settings, beside the fine-grained asserts.

Any added, removed or renamed resource shows up as a diff of ``snapshots/inventory.txt``;
any changed setting (a port, a CIDR, a name, a flag, a reference to another
resource, a statement of a policy, a field of a container definition) as a diff of
``snapshots/settings.txt``. Policies and container definitions are JSON inside a
string: they are parsed, and every Terraform reference is kept without cdktf's hash
suffix (``tests.synth.mask``), so a policy opened to ``*`` or a task role swapped for
another shows up like any other setting. Regenerate both with
``UPDATE_SNAPSHOTS=1 pytest -k snapshot``: that run rewrites the files and then fails
on purpose, so an update can never pass unreviewed. Review
``git diff tests/unit/snapshots`` and run again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.synth import mask

SNAPSHOTS = Path(__file__).parent / "snapshots"


def _blocks(synthed: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, type, block) of every resource and data block that has a construct path."""
    found = []
    for stack in sorted(synthed.stacks):
        data = synthed.json(stack)
        for kind in ("resource", "data"):
            for tf_type, blocks in sorted(data.get(kind, {}).items()):
                for block in blocks.values():
                    if "//" in block:  # remote-state blocks carry no construct path
                        found.append((kind, tf_type, block))
    return found


def inventory(synthed: Any) -> str:
    lines = [
        f"{kind:8} {tf_type:45} {block['//']['metadata']['path']}"
        for kind, tf_type, block in _blocks(synthed)
    ]
    return "\n".join(sorted(lines)) + "\n"


def _literals(value: Any, prefix: str) -> list[str]:
    """``attr=value`` for every leaf of a masked block (``tags`` left out)."""
    if isinstance(value, dict):
        return [
            line
            for key, item in sorted(value.items())
            if key not in ("//", "tags", "tags_all")
            for line in _literals(item, f"{prefix}.{key}" if prefix else key)
        ]
    if isinstance(value, list):
        return [line for i, item in enumerate(value) for line in _literals(item, f"{prefix}[{i}]")]
    return [f"{prefix}={json.dumps(value, ensure_ascii=False)}"]


def settings(synthed: Any) -> str:
    lines = []
    for _, tf_type, block in _blocks(synthed):
        path = block["//"]["metadata"]["path"]
        lines += [f"{path} {tf_type} {line}" for line in _literals(mask(block), "")]
    return "\n".join(sorted(lines)) + "\n"


def _check(name: str, current: str) -> None:
    snapshot = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(current)
        pytest.fail(f"{snapshot} rewritten: review `git diff` and run again without UPDATE")
    assert snapshot.read_text() == current, f"{name} changed: UPDATE_SNAPSHOTS=1 to accept"


def test_resource_inventory_matches_snapshot(synthed):
    _check("inventory.txt", inventory(synthed))


def test_resource_settings_match_snapshot(synthed):
    _check("settings.txt", settings(synthed))


def test_update_mode_never_passes(synthed, monkeypatch, tmp_path):
    # GIVEN update mode pointed at a scratch copy of the snapshots
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")
    monkeypatch.setattr(f"{__name__}.SNAPSHOTS", tmp_path)
    # WHEN a snapshot is rewritten THEN the test fails, so the rewrite is reviewed first
    with pytest.raises(pytest.fail.Exception, match="rewritten: review"):
        _check("inventory.txt", inventory(synthed))
    assert (tmp_path / "inventory.txt").read_text() == inventory(synthed)
