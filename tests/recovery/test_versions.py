"""Going back to an earlier state file through the bucket's object versions."""

from __future__ import annotations

import json

import pytest

from tools.recovery import versions
from tools.recovery.context import Context, RecoveryError

KEY = "dev/dev-foundation.tfstate"


def _state(serial: int, resources: int) -> bytes:
    managed = [{"mode": "managed", "type": "aws_vpc", "name": f"v{i}"} for i in range(resources)]
    return json.dumps({"version": 4, "serial": serial, "resources": managed}).encode()


def test_lists_versions_and_restores_the_previous_state(ctx: Context, capsys) -> None:  # type: ignore[no-untyped-def]
    s3 = ctx.client("s3")
    s3.put_object(Bucket=ctx.bucket, Key=KEY, Body=_state(1, 5))
    s3.put_object(Bucket=ctx.bucket, Key=KEY, Body=_state(2, 0))  # e.g. a bad write
    listed = versions.state_versions(ctx, "dev-foundation")
    assert len(listed) == 2
    assert versions.show(ctx, "dev-foundation") == 0
    out = capsys.readouterr().out
    assert "serial 2, 0 resources  (current)" in out and "serial 1, 5 resources" in out
    previous = listed[1]["VersionId"]

    assert versions.restore(ctx, "dev-foundation", previous, yes=True) == 0

    current = json.loads(s3.get_object(Bucket=ctx.bucket, Key=KEY)["Body"].read())
    assert (current["serial"], len(current["resources"])) == (1, 5)
    assert len(versions.state_versions(ctx, "dev-foundation")) == 3  # nothing lost


def test_restore_refuses_while_the_stack_is_locked(ctx: Context) -> None:
    s3 = ctx.client("s3")
    s3.put_object(Bucket=ctx.bucket, Key=KEY, Body=_state(1, 1))
    s3.put_object(Bucket=ctx.bucket, Key=KEY + ".tflock", Body=b'{"ID": "x"}')
    (version,) = versions.state_versions(ctx, "dev-foundation")
    with pytest.raises(RecoveryError, match="locked"):
        versions.restore(ctx, "dev-foundation", version["VersionId"], yes=True)


def test_restore_needs_a_known_version(ctx: Context) -> None:
    ctx.client("s3").put_object(Bucket=ctx.bucket, Key=KEY, Body=_state(1, 1))
    with pytest.raises(RecoveryError, match="VERSION_ID"):
        versions.restore(ctx, "dev-foundation", "", yes=True)
    with pytest.raises(RecoveryError, match="no version"):
        versions.restore(ctx, "dev-foundation", "nope", yes=True)
