"""Going back to an earlier state file: the state bucket is versioned.

Every write of ``<env>/<stack>.tfstate`` (each apply, and every
``TF_STATE_PERSIST_INTERVAL`` during one) is kept as an S3 object version.
``state-versions`` lists them with Terraform's serial and resource count;
``state-restore`` copies one of them over the current object, which itself
stays as a version (so a restore can be undone the same way). It refuses
while the stack is locked.
"""

from __future__ import annotations

import json
from typing import Any

from tools.recovery.context import Context, RecoveryError, confirmed
from tools.recovery.locks import list_locks

SHOWN = 20


def _summary(body: bytes) -> str:
    try:
        state = json.loads(body)
        managed = [r for r in state.get("resources", []) if r.get("mode") == "managed"]
        return f"serial {state.get('serial')}, {len(managed)} resources"
    except ValueError:
        return "not a state file"


def state_versions(ctx: Context, stack: str) -> list[dict[str, Any]]:
    """The key's versions, newest first (delete markers left out)."""
    s3, key = ctx.client("s3"), ctx.state_key(stack)
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=ctx.bucket, Prefix=key):
        found += [v for v in page.get("Versions", []) if v["Key"] == key]
    return sorted(found, key=lambda v: v["LastModified"], reverse=True)


def show(ctx: Context, stack: str) -> int:
    s3 = ctx.client("s3")
    versions = state_versions(ctx, stack)
    if not versions:
        print(f"no versions of s3://{ctx.bucket}/{ctx.state_key(stack)}")
        return 1
    print(f"s3://{ctx.bucket}/{ctx.state_key(stack)}, newest first:")
    for v in versions[:SHOWN]:
        body = s3.get_object(Bucket=ctx.bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"]
        latest = "  (current)" if v.get("IsLatest") else ""
        stamp = v["LastModified"].isoformat(timespec="seconds")
        print(f"  {v['VersionId']}  {stamp}  {_summary(body.read())}{latest}")
    if len(versions) > SHOWN:
        print(f"  ... {len(versions) - SHOWN} older versions")
    print(f"restore one with: {ctx.make('state-restore', STACK=stack, VERSION_ID='<version id>')}")
    return 0


def restore(ctx: Context, stack: str, version_id: str, *, yes: bool) -> int:
    if not version_id:
        raise RecoveryError(
            f"state-restore needs VERSION_ID=<version id>; list them: "
            f"{ctx.make('state-versions', STACK=stack)}"
        )
    if list_locks(ctx, stack):
        raise RecoveryError(
            f"{stack} is locked; nothing may write its state now "
            f"(a stale lock: {ctx.make('unlock', STACK=stack)})"
        )
    s3, key = ctx.client("s3"), ctx.state_key(stack)
    if version_id not in {v["VersionId"] for v in state_versions(ctx, stack)}:
        raise RecoveryError(f"s3://{ctx.bucket}/{key} has no version {version_id}")
    if not confirmed(ctx, f"Make version {version_id} the current state of {stack}?", yes):
        return 1
    source = {"Bucket": ctx.bucket, "Key": key, "VersionId": version_id}
    new = s3.copy_object(
        Bucket=ctx.bucket, Key=key, CopySource=source, ServerSideEncryption="AES256"
    )
    print(
        f"s3://{ctx.bucket}/{key}: version {version_id} is current again "
        f"(new version {new.get('VersionId')}); the one it replaced is still listed by "
        f"{ctx.make('state-versions', STACK=stack)}.\n"
        f"Next: {ctx.make('diff')} shows what the restored state differs from"
    )
    return 0
