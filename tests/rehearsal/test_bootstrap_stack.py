"""``<env>-bootstrap``: the state bucket, asserted on cdktf.Testing synth output.

Assertions name resource types and property subsets, never cdktf's hashed ids.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cdktf import Testing

from config import EnvironmentConfig, load_environment, settings_from_env
from config.loader import LOCAL_STATE_BUCKET
from modules.bootstrap import BootstrapStack, build_bootstrap

ROOT = Path(__file__).resolve().parents[2]
AWS_SETTINGS = {"ENVS": "dev", "TARGET": "aws", "TF_STATE_BUCKET": "acme-tfstate-dev"}


def _env(settings: dict[str, str]) -> EnvironmentConfig:
    return load_environment("dev", settings_from_env({"APP_VERSION": "1.2.3", **settings}))


@pytest.fixture(scope="module")
def synthesized() -> str:
    app = Testing.app()
    stack = build_bootstrap(app, _env(AWS_SETTINGS))
    return Testing.synth(stack)


def _resources(synth: str, tf_type: str) -> list[dict[str, Any]]:
    return list(json.loads(synth).get("resource", {}).get(tf_type, {}).values())


@pytest.mark.parametrize(
    ("tf_type", "properties"),
    [
        ("aws_s3_bucket", {"bucket": "acme-tfstate-dev", "force_destroy": False}),
        ("aws_s3_bucket_versioning", {"versioning_configuration": {"status": "Enabled"}}),
        (
            "aws_s3_bucket_server_side_encryption_configuration",
            {
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"},
                        "bucket_key_enabled": True,
                    }
                ]
            },
        ),
        (
            "aws_s3_bucket_public_access_block",
            {
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
        ),
        ("aws_s3_bucket_ownership_controls", {"rule": {"object_ownership": "BucketOwnerEnforced"}}),
    ],
)
def test_bucket_settings(synthesized: str, tf_type: str, properties: dict[str, Any]) -> None:
    assert Testing.to_have_resource_with_properties(synthesized, tf_type, properties)


def test_policy_denies_requests_without_tls(synthesized: str) -> None:
    (policy,) = _resources(synthesized, "aws_s3_bucket_policy")
    (statement,) = json.loads(policy["policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn, objects = statement["Resource"]
    assert bucket_arn.startswith("${aws_s3_bucket.") and bucket_arn.endswith(".arn}")
    assert objects == f"{bucket_arn}/*"
    # Put only once public access is blocked, as AWS may refuse it otherwise.
    assert policy["depends_on"][0].startswith("aws_s3_bucket_public_access_block.")


def test_old_state_versions_expire(synthesized: str) -> None:
    (lifecycle,) = _resources(synthesized, "aws_s3_bucket_lifecycle_configuration")
    (rule,) = lifecycle["rule"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 90}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]


def test_every_bucket_setting_targets_the_bucket(synthesized: str) -> None:
    assert len(_resources(synthesized, "aws_s3_bucket")) == 1
    settings = [
        r
        for t in json.loads(synthesized)["resource"]
        if t.startswith("aws_s3_bucket_")  # the bucket's own settings, not the IAM boundary
        for r in _resources(synthesized, t)
    ]
    assert len(settings) == 6
    (ref,) = {r["bucket"] for r in settings}
    assert re.fullmatch(r"\$\{aws_s3_bucket\.[A-Za-z0-9_-]+\.id\}", ref)


def test_state_is_local_and_region_is_the_environments(synthesized: str) -> None:
    doc = json.loads(synthesized)
    assert list(doc["terraform"]["backend"]) == ["local"]
    assert doc["terraform"]["backend"]["local"]["path"].endswith("terraform.dev-bootstrap.tfstate")
    assert Testing.to_have_provider_with_properties(
        synthesized, "aws", {"region": "ap-northeast-1"}
    )


def test_emulator_state_stays_beside_the_stack() -> None:
    app = Testing.app()
    stack = build_bootstrap(app, _env({"ENVS": "dev"}))
    synth = Testing.synth(stack)
    assert json.loads(synth)["terraform"]["backend"]["local"] == {
        "path": "terraform.dev-bootstrap.tfstate"
    }
    assert Testing.to_have_resource_with_properties(
        synth, "aws_s3_bucket", {"bucket": LOCAL_STATE_BUCKET}
    )
    assert Testing.to_have_provider_with_properties(synth, "aws", {"s3_use_path_style": True})


def test_local_state_backend_has_no_bucket_to_create() -> None:
    env = _env({"ENVS": "dev", "STATE_BACKEND": "local"})
    with pytest.raises(ValueError, match=re.escape("dev.state.backend='local'")):
        BootstrapStack(Testing.app(), "dev-bootstrap", env=env)


def test_main_synthesizes_bootstrap_only_for_s3_state(tmp_path: Path) -> None:
    def stacks(**settings: str) -> list[str]:
        outdir = tmp_path / "-".join(settings.values())
        env = {**os.environ, "ENVS": "dev", "CDKTF_OUTDIR": str(outdir), **settings}
        subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, check=True)
        return sorted(json.loads((outdir / "manifest.json").read_text())["stacks"])

    assert stacks(TARGET="local", STATE_BACKEND="s3") == [
        "dev-bootstrap",
        "dev-foundation",
        "dev-services",
    ]
    assert "dev-bootstrap" not in stacks(TARGET="local", STATE_BACKEND="local")
