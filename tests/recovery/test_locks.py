"""Stale locks: reading the .tflock objects, when unlock may release one, the hint."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

from tools.recovery import locks
from tools.recovery.context import Context

LOCK_ID = "4e3c9a61-7d3b-2a8e-1f2c-0b9d8e7f6a5b"


def _put_lock(ctx: Context, stack: str, who: str, created: datetime) -> None:
    body = {
        "ID": LOCK_ID,
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": who,
        "Version": "1.11.4",
        "Created": created.strftime("%Y-%m-%dT%H:%M:%S.123456789Z"),
        "Path": f"{ctx.bucket}/dev/{stack}.tfstate",
    }
    key = f"dev/{stack}.tfstate.tflock"
    ctx.client("s3").put_object(Bucket=ctx.bucket, Key=key, Body=json.dumps(body).encode())


def test_parse_created_reads_terraforms_nanoseconds() -> None:
    created = locks.parse_created("2025-06-01T10:00:00.123456789Z")
    assert created == datetime(2025, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert locks.parse_created("garbage") is None


def test_parse_created_without_a_zone_is_utc() -> None:
    # A time without a zone must still compare with now (aware): UTC, as Terraform writes.
    created = locks.parse_created("2025-06-01T10:00:00")
    assert created == datetime(2025, 6, 1, 10, 0, 0, tzinfo=UTC)


def test_lists_the_lock_objects_of_the_environment(ctx: Context) -> None:
    created = datetime.now(UTC) - timedelta(minutes=3, seconds=30)  # mid-minute: no rounding edge
    _put_lock(ctx, "dev-foundation", "alice@laptop", created)
    ctx.client("s3").put_object(Bucket=ctx.bucket, Key="dev/dev-services.tfstate", Body=b"{}")
    (lock,) = locks.list_locks(ctx)
    assert (lock.stack, lock.id, lock.who) == ("dev-foundation", LOCK_ID, "alice@laptop")
    assert "dev-foundation: lock " + LOCK_ID in lock.describe()
    assert "apply" in lock.describe() and "3 min ago" in lock.describe()
    assert locks.list_locks(ctx, "dev-services") == []


def test_a_young_lock_from_elsewhere_is_refused_unless_forced(ctx: Context) -> None:
    _put_lock(ctx, "dev-foundation", "ci@runner-42", datetime.now(UTC) - timedelta(minutes=2))
    (lock,) = locks.list_locks(ctx)
    ok, why = locks.may_unlock(ctx, lock, force=False, min_age_s=900)
    assert not ok
    assert "TARGET=aws make unlock ENV=dev STACK=dev-foundation FORCE=1" in why
    assert locks.may_unlock(ctx, lock, force=True, min_age_s=900)[0]
    assert locks.may_unlock(ctx, lock, force=False, min_age_s=60)[0]  # old enough


def test_a_lock_taken_here_with_no_terraform_running_is_stale(ctx: Context) -> None:
    me = f"someone@{socket.gethostname()}"
    _put_lock(ctx, "dev-foundation", me, datetime.now(UTC))
    (lock,) = locks.list_locks(ctx)
    ok, why = locks.may_unlock(ctx, lock, force=False, min_age_s=900)
    assert ok and "no Terraform process here" in why


def test_unlock_refuses_a_young_lock_and_says_how(ctx: Context, capsys) -> None:  # type: ignore[no-untyped-def]
    _put_lock(ctx, "dev-foundation", "ci@runner-42", datetime.now(UTC))
    assert locks.unlock(ctx, None, force=False) == 1
    out = capsys.readouterr().out
    assert "refused" in out and LOCK_ID in out
    assert locks.list_locks(ctx)  # untouched


def test_hint_names_the_stack_the_lock_and_the_exact_command(ctx: Context) -> None:
    _put_lock(ctx, "dev-foundation", "alice@laptop", datetime.now(UTC))
    hint = locks.lock_hint(ctx)
    assert f"dev-foundation: lock {LOCK_ID} held by alice@laptop" in hint
    assert "TARGET=aws make recover ENV=dev" in hint and "make unlock" not in hint


def test_no_lock_no_hint(ctx: Context) -> None:
    assert locks.lock_hint(ctx) == ""
