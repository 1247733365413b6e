"""``python -m tools.containers {setup,up,down,check}``; see docs/containers.md."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tools import not_run
from tools.containers.check import check
from tools.containers.common import ContainersError
from tools.containers.harness import DEFAULT_PORT, serve_after_deploy, stop_serving
from tools.containers.setup import setup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.containers")
    parser.add_argument("action", choices=("setup", "up", "down", "check"))
    parser.add_argument("--env", default="dev")
    parser.add_argument("--screenshot", type=Path, help="check: save the page here")
    args = parser.parse_args(argv)
    try:
        if args.action == "setup":
            used, missing = setup()
            for line in used:
                print(f"containers: uses {line}")
            for line in missing:
                print(f"not available: {line}")
            return 1 if missing and not_run.required() else 0
        if args.action == "up":
            return serve_after_deploy(args.env)
        if args.action == "down":
            stop_serving()
            return 0
        port = int(os.environ.get("CONTAINERS_PORT", DEFAULT_PORT))
        for stage, seconds in check(args.env, port=port, screenshot=args.screenshot).items():
            print(f"{stage}: {seconds:.1f} s")
        return 0
    except ContainersError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
