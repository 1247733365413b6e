"""``make recover|unlock|doctor|adopt|purge|state-versions|state-restore``; docs/recovery.md.

    python -m tools.recovery recover --env ENV [--yes]
    python -m tools.recovery unlock --env ENV [--stack STACK] [--force]
    python -m tools.recovery doctor --env ENV
    python -m tools.recovery adopt  --env ENV [--yes]
    python -m tools.recovery purge  --env ENV [--yes]
    python -m tools.recovery state-versions --env ENV --stack STACK
    python -m tools.recovery state-restore  --env ENV --stack STACK --version-id ID [--yes]

``TARGET=local`` (default) acts on the emulator ``make deploy`` left running;
``TARGET=aws`` on real AWS with your credentials and ``TF_STATE_BUCKET``.
"""

from __future__ import annotations

import argparse
import sys

from tools.deploy.target import TargetError
from tools.emulator.emulator import EmulatorError
from tools.recovery import orphans, versions
from tools.recovery.context import RecoveryError, resolve
from tools.recovery.locks import unlock
from tools.recovery.recover import recover
from tools.terraform import TerraformSetupError

ACTIONS = ("recover", "unlock", "doctor", "adopt", "purge", "state-versions", "state-restore")


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.recovery", description=__doc__)
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("--env", required=True, help="environment, e.g. dev")
    parser.add_argument("--stack", default="", help="one stack, e.g. dev-foundation")
    parser.add_argument("--force", default="", help="unlock: 1 releases even a young lock")
    parser.add_argument(
        "--yes", default="", help="recover/adopt/purge/state-restore: 1 skips the prompt"
    )
    parser.add_argument("--version-id", default="", help="state-restore: the version to restore")
    # The fault rehearsal skips recover's closing plan where the next deploy follows at once.
    parser.add_argument("--no-plan", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        ctx = resolve(args.env)
        if args.action == "unlock":
            return unlock(ctx, args.stack or None, force=_flag(args.force))
        if args.action == "recover":
            return recover(ctx, yes=_flag(args.yes), plan=not args.no_plan)
        if args.action in ("doctor", "adopt", "purge"):
            return orphans.main(ctx, args.action, yes=_flag(args.yes))
        if not args.stack:
            raise RecoveryError(
                f"{args.action} needs STACK=<stack>, e.g. STACK={args.env}-foundation"
            )
        if args.action == "state-versions":
            return versions.show(ctx, args.stack)
        return versions.restore(ctx, args.stack, args.version_id, yes=_flag(args.yes))
    except (RecoveryError, TargetError, TerraformSetupError, EmulatorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
