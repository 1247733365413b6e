"""A reviewable inventory of every resource, beside the fine-grained assertions.

Any added, removed or renamed resource shows up as a diff of
``snapshots/inventory.txt``. Regenerate it with ``UPDATE_SNAPSHOTS=1 pytest -k inventory``.
"""

import os
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "inventory.txt"


def inventory(synthed) -> str:
    lines = []
    for stack in sorted(synthed.stacks):
        data = synthed.json(stack)
        for kind in ("resource", "data"):
            for tf_type, blocks in sorted(data.get(kind, {}).items()):
                for block in blocks.values():
                    if "//" in block:  # remote-state blocks carry no construct path
                        path = block["//"]["metadata"]["path"]
                        lines.append(f"{kind:8} {tf_type:45} {path}")
    return "\n".join(sorted(lines)) + "\n"


def test_resource_inventory_matches_snapshot(synthed):
    current = inventory(synthed)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(current)
    assert SNAPSHOT.read_text() == current, "resources changed: UPDATE_SNAPSHOTS=1 to accept"
