"""A moto-backed recovery ``Context`` for dev: versioned state bucket, a fake manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.deploy.commands import Workspace
from tools.recovery.context import Context

REGION = "ap-northeast-1"
BUCKET = "state-bucket-test"
STACKS = {"dev-bootstrap": [], "dev-foundation": [], "dev-services": ["dev-foundation"]}


@pytest.fixture
def ctx(tmp_path: Path, moto_aws: None) -> Context:
    ws = Workspace(tmp_path)
    ws.outdir.mkdir(parents=True)
    manifest = {"stacks": {n: {"dependencies": d} for n, d in STACKS.items()}}
    (ws.outdir / "manifest.json").write_text(json.dumps(manifest))
    context = Context(
        env_name="dev", aws=True, bucket=BUCKET, region=REGION, ws=ws, env={}, endpoint=None
    )
    s3 = context.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return context
