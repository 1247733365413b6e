"""What the emulator rehearses is what AWS gets: the two targets differ only where listed.

Both targets are synthesized for dev with existing image tags (the emulator
never builds images). Every difference must be one of ``ALLOWED``, each with
its reason; anything else (a resource, a setting, a name) fails the test.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.synth import Synth, environments, synth

EMULATOR = "http://127.0.0.1:4566"
AWS_BUCKET = "my-org-ecs-learn-tfstate"

# Where the emulator target may differ from the AWS target, and why.
ALLOWED = {
    "provider endpoints, fake keys, no metadata lookups": "the fail-safe: local stacks can "
    "only ever reach the emulator",
    "provider s3_use_path_style": "the emulator serves S3 at one host",
    "state bucket name": "the emulator's fixed bucket, created by its bootstrap stack",
    "state backend endpoints, fake keys, path style, skips": "the same fail-safe for state "
    "and for remote-state reads",
    "bootstrap state path": "the emulator's bucket lives as long as the emulator, so its "
    "bootstrap state sits beside the synthesized stack",
}
_PROVIDER_KEYS = ("endpoints", "access_key", "secret_key", "skip_metadata_api_check")
_BACKEND_KEYS = (
    "endpoints",
    "access_key",
    "secret_key",
    "use_path_style",
    "skip_credentials_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
)


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Synth, Synth]:
    common = {"ENVS": "dev", "APP_VERSION": "1.2.3", "IMAGE_SOURCE": "tag"}
    local = environments({**common, "EMULATOR_ENDPOINT": EMULATOR})
    aws = environments({**common, "TARGET": "aws", "TF_STATE_BUCKET": AWS_BUCKET})
    return (
        synth(local, tmp_path_factory.mktemp("parity-local"), bootstrap=True),
        synth(aws, tmp_path_factory.mktemp("parity-aws"), bootstrap=True),
    )


def _without_allowed(stack: dict[str, Any], bucket: str) -> dict[str, Any]:
    """``stack`` with every allowed difference taken out (the rest must be equal)."""
    stack = copy.deepcopy(stack)
    for provider in stack.get("provider", {}).get("aws", []):
        for key in (*_PROVIDER_KEYS, "s3_use_path_style"):
            provider.pop(key, None)
    backend = stack.get("terraform", {}).get("backend", {})
    configs = [backend.get("s3", {})]
    configs += [
        r["config"] for r in stack.get("data", {}).get("terraform_remote_state", {}).values()
    ]
    for config in configs:
        for key in _BACKEND_KEYS:
            config.pop(key, None)
        if config.get("bucket") == bucket:
            config["bucket"] = "<state bucket>"
    backend.get("local", {}).pop("path", None)
    return stack


def _bucket_resources_renamed(stack: dict[str, Any], bucket: str) -> dict[str, Any]:
    for resource in stack.get("resource", {}).get("aws_s3_bucket", {}).values():
        if resource.get("bucket") == bucket:
            resource["bucket"] = "<state bucket>"
    return stack


def test_both_targets_build_the_same_stacks(targets):
    local, aws = targets
    assert (
        sorted(local.stacks)
        == sorted(aws.stacks)
        == [
            "dev-bootstrap",
            "dev-foundation",
            "dev-services",
        ]
    )


@pytest.mark.parametrize("stack", ["dev-bootstrap", "dev-foundation", "dev-services"])
def test_targets_differ_only_where_allowed(targets, stack):
    # GIVEN the same stack synthesized for the emulator and for AWS
    local, aws = targets
    # WHEN the allowed differences are taken out of both
    local_rest = _without_allowed(local.json(stack), "ecs-learn-tfstate-local")
    aws_rest = _without_allowed(aws.json(stack), AWS_BUCKET)
    local_rest = _bucket_resources_renamed(local_rest, "ecs-learn-tfstate-local")
    aws_rest = _bucket_resources_renamed(aws_rest, AWS_BUCKET)
    # THEN nothing else differs
    assert local_rest == aws_rest


def test_the_allowed_differences_are_really_there(targets):
    # Guard: the normalisation must remove something, or the equality above proves nothing.
    local, aws = targets
    assert local.json("dev-foundation") != aws.json("dev-foundation")
    (provider,) = local.json("dev-foundation")["provider"]["aws"]
    assert set(_PROVIDER_KEYS) <= set(provider)
    assert "path" in local.json("dev-bootstrap")["terraform"]["backend"]["local"]
