"""Write the JSON schema of ``EnvironmentConfig`` to ``config/schema.json``.

Run ``python -m config.schema_export`` after changing a model; a test fails
while the committed file is stale. ``--check`` only compares, exiting 1 when stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from config.schema import EnvironmentConfig

SCHEMA_FILE = Path(__file__).resolve().parent / "schema.json"


def render() -> str:
    """The schema as committed: 2-space JSON with a trailing newline."""
    schema = EnvironmentConfig.model_json_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when stale")
    args = parser.parse_args(argv)
    fresh = render()
    if args.check:
        stale = not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != fresh
        if stale:
            print(f"{SCHEMA_FILE} is stale: run python -m config.schema_export", file=sys.stderr)
        return 1 if stale else 0
    SCHEMA_FILE.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
