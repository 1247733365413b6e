"""Stale state locks: show them, refuse young ones, release them through Terraform.

A lock is ``<env>/<stack>.tfstate.tflock`` in the state bucket (Terraform's S3 backend,
``use_lockfile``). It is released only with ``terraform force-unlock`` in the stack's
directory, and not while it may still be in use (docs/recovery.md, ``make unlock``).
"""

from __future__ import annotations

import json
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from tools import processes
from tools.deploy import commands
from tools.recovery.context import Context, RecoveryError, ensure_init, resolve

LOCK_SUFFIX = ".tfstate.tflock"
DEFAULT_MIN_AGE_S = 15 * 60


@dataclass(frozen=True)
class Lock:
    """One ``.tflock`` object and what it says."""

    stack: str
    key: str
    id: str
    who: str
    operation: str
    created: datetime | None

    def age_s(self) -> float | None:
        if self.created is None:
            return None
        return (datetime.now(UTC) - self.created).total_seconds()

    def describe(self) -> str:
        age = self.age_s()
        when = self.created.isoformat(timespec="seconds") if self.created else "unknown"
        ago = f" ({_duration(age)} ago)" if age is not None else ""
        op = self.operation.removeprefix("OperationType").lower() or "unknown"
        return (
            f"{self.stack}: lock {self.id} held by {self.who or 'unknown'}, {op}, since {when}{ago}"
        )


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def parse_created(text: str) -> datetime | None:
    """Terraform writes ``Created`` as RFC 3339 with nanoseconds (Go's time.Time), which
    ``fromisoformat`` reads (Python >= 3.11) to the microsecond; no zone means UTC."""
    try:
        created = datetime.fromisoformat(text)
    except ValueError:
        return None
    return created if created.tzinfo else created.replace(tzinfo=UTC)


def lock_from_json(stack: str, key: str, body: str) -> Lock:
    try:
        info = json.loads(body)
    except ValueError:
        info = {}
    if not isinstance(info, dict):
        info = {}
    return Lock(
        stack=stack,
        key=key,
        id=str(info.get("ID", "")),
        who=str(info.get("Who", "")),
        operation=str(info.get("Operation", "")),
        created=parse_created(str(info.get("Created", ""))),
    )


def list_locks(ctx: Context, stack: str | None = None) -> list[Lock]:
    """Every lock object of the environment's stacks (or of ``stack``) in the state bucket."""
    s3 = ctx.client("s3")
    prefix = f"{ctx.env_name}/{stack}{LOCK_SUFFIX}" if stack else f"{ctx.env_name}/"
    locks = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=ctx.bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if not key.endswith(LOCK_SUFFIX):
                continue
            name = key[len(ctx.env_name) + 1 : -len(LOCK_SUFFIX)]
            body = s3.get_object(Bucket=ctx.bucket, Key=key)["Body"].read().decode(errors="replace")
            locks.append(lock_from_json(name, key, body))
    return locks


def holder_is_gone(ctx: Context, lock: Lock) -> bool:
    """True when the lock was taken on this machine and no Terraform here runs for its stack."""
    if not lock.who.endswith(f"@{socket.gethostname()}"):
        return False
    return not processes.named_in_directory("terraform", ctx.ws.stack_dir(lock.stack))


def may_unlock(ctx: Context, lock: Lock, *, force: bool, min_age_s: float) -> tuple[bool, str]:
    """Whether ``unlock`` may release ``lock``, and why (or why not)."""
    if force:
        return True, "FORCE=1"
    if holder_is_gone(ctx, lock):
        return True, "taken on this machine, and no Terraform process here holds it"
    age = lock.age_s()
    if age is not None and age >= min_age_s:
        return True, f"older than {_duration(min_age_s)}"
    return False, (
        f"it is only {_duration(age) if age is not None else 'of unknown age'} old and may belong "
        f"to a deploy that is still running ({lock.who or 'unknown holder'}). Wait, check that "
        f"nothing runs, then: {ctx.make('unlock', STACK=lock.stack, FORCE='1')}"
    )


def force_unlock(ctx: Context, lock: Lock) -> None:
    """``terraform force-unlock -force ID`` in the stack's directory; checks the lock is gone."""
    ensure_init(ctx, lock.stack)
    log = ctx.ws.log(f"force-unlock-{lock.stack}")
    args = ["force-unlock", "-force", "-no-color", lock.id]
    result = commands.terraform(ctx.ws, lock.stack, args, ctx.env, log=log, timeout=120)
    if result.returncode != 0:
        raise RecoveryError(
            f"terraform force-unlock failed for {lock.stack}:\n"
            f"{commands.terraform_errors(result.output)}\n(full log: {log})"
        )
    if list_locks(ctx, lock.stack):
        raise RecoveryError(f"{lock.key} is still there after terraform force-unlock")


def unlock(
    ctx: Context, stack: str | None, *, force: bool, min_age_s: float = DEFAULT_MIN_AGE_S
) -> int:
    """Show every lock of the environment (or ``stack``), release the stale ones.

    0 when no lock is left, 1 when one was refused.
    """
    locks = list_locks(ctx, stack)
    where = f"s3://{ctx.bucket}/{ctx.env_name}/"
    if not locks:
        print(f"no state locks in {where}{stack + LOCK_SUFFIX if stack else ''}")
        return 0
    refused = 0
    for lock in locks:
        print(lock.describe())
        ok, why = may_unlock(ctx, lock, force=force, min_age_s=min_age_s)
        if not ok:
            print(f"  refused: {why}")
            refused += 1
            continue
        force_unlock(ctx, lock)
        print(f"  released ({why}) with terraform force-unlock -force {lock.id}")
    return 1 if refused else 0


def lock_hint(ctx: Context) -> str:
    """What to do about the locks in the bucket, after a failed or interrupted command."""
    try:
        locks = list_locks(ctx)
    except Exception as exc:  # the hint must never hide the original error
        locks = []
        print(f"(could not list the state locks: {exc})")
    if not locks:
        return ""
    lines = [f"state lock: {lock.describe()}" for lock in locks]
    lines.append(
        "If no deploy, diff or destroy of this environment is still running anywhere, run:\n"
        f"  {ctx.make('recover')}\n"
        "(it releases stale locks and adopts what the run left; see docs/recovery.md)"
    )
    return "\n".join(lines)


def after_failure(env_name: str) -> None:
    """Print the lock hint for ``env_name`` (after a failed or interrupted command), if any.

    Never raises: it runs while another error is being reported.
    """
    try:
        hint = lock_hint(resolve(env_name))
    except Exception:  # no emulator, no credentials, ...: nothing more to say
        return
    if hint:
        print(hint, file=sys.stderr)
