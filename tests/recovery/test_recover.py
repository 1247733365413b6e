"""``make recover`` on what a crash leaves: locks first, then adoption, and a second run idles."""

from __future__ import annotations

import pytest

from tools.recovery import locks, orphans, recover
from tools.recovery.context import Context


def _fail(*args: object, **kwargs: object) -> None:
    raise AssertionError("recover changed something with nothing to recover")


def test_a_second_run_finds_nothing_and_changes_nothing(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN no lock and no orphan (what a first run leaves)
    for name in ("adopt", "purge"):
        monkeypatch.setattr(orphans, name, _fail)
    monkeypatch.setattr(locks, "force_unlock", _fail)
    monkeypatch.setattr(recover, "remaining", lambda ctx: ["  dev-foundation: no changes"])
    versions = ctx.client("s3").list_object_versions(Bucket=ctx.bucket).get("Versions", [])
    # WHEN it runs THEN it says so, imports, deletes and unlocks nothing, and writes no state
    assert recover.recover(ctx, yes=True) == 0
    assert recover.NOTHING in capsys.readouterr().out
    assert ctx.client("s3").list_object_versions(Bucket=ctx.bucket).get("Versions", []) == versions


def test_a_young_lock_from_elsewhere_stops_it_before_any_change(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(orphans, "find_orphans", _fail)
    body = b'{"ID": "abc", "Who": "bob@elsewhere", "Created": "2999-01-01T00:00:00Z"}'
    ctx.client("s3").put_object(
        Bucket=ctx.bucket, Key="dev/dev-foundation.tfstate.tflock", Body=body
    )
    assert recover.recover(ctx, yes=True) == 1
    out = capsys.readouterr().out
    assert "refused" in out and "may belong to a running deploy" in out


def test_on_aws_it_changes_nothing_without_approval(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an orphan on AWS (the fixture's target) and no terminal to ask on
    tags = {"Project": "ecs-learn", "Environment": "dev", "Stack": "dev-services"}
    ctx.client("logs").create_log_group(logGroupName="/left", tags=tags)
    monkeypatch.setattr(orphans, "adopt", _fail)
    # WHEN recover runs without AUTO_APPROVE THEN it lists, asks, and deletes nothing
    assert recover.recover(ctx, yes=False) == 1
    out = capsys.readouterr().out
    assert "delete (no ecs-learn:path tag)" in out and "AUTO_APPROVE=1" in out
    assert [o.resource_id for o in orphans.find_orphans(ctx)] == ["/left"]
