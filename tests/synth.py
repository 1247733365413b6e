"""Synthesize stacks in-process for tests; the provider import is paid once per session."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import EnvironmentConfig, load_environment, settings_from_env
from tools.synthesize import synth_settings

ROOT = Path(__file__).resolve().parent.parent

# What the shared session synth uses: real-AWS S3 state, images built by the images stack.
DEFAULT_SETTINGS = synth_settings(TF_STATE_BUCKET="test-state-bucket", APP_VERSION="1.2.3")

# A secret and the customer-managed key it is encrypted with (the ``synthed_secrets`` run).
SECRET_ARN = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db-AbCdEf"
SECRETS_KEY_ARN = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@dataclass(frozen=True)
class Synth:
    """Synthesized stacks of one run: ``outdir`` plus each stack's JSON text."""

    outdir: Path
    stacks: Mapping[str, str]

    def json(self, stack: str) -> dict[str, Any]:
        return json.loads(self.stacks[stack])

    def resources(self, stack: str, tf_type: str) -> list[dict[str, Any]]:
        """Every resource of ``tf_type`` in ``stack``, without cdktf's metadata."""
        found = self.json(stack).get("resource", {}).get(tf_type, {})
        return [{k: v for k, v in r.items() if k != "//"} for r in found.values()]

    def resource_by_path(self, stack: str, tf_type: str, path_suffix: str) -> dict[str, Any]:
        """The one ``tf_type`` resource whose construct path ends with ``path_suffix``."""
        found = self.json(stack).get("resource", {}).get(tf_type, {})
        matches = [r for r in found.values() if r["//"]["metadata"]["path"].endswith(path_suffix)]
        assert len(matches) == 1, f"{len(matches)} {tf_type} at */{path_suffix} in {stack}"
        return {k: v for k, v in matches[0].items() if k != "//"}


def environments(settings_env: Mapping[str, str]) -> list[EnvironmentConfig]:
    settings = settings_from_env(settings_env, {})
    return [load_environment(name, settings) for name in settings.envs]


def synth(envs: list[EnvironmentConfig], outdir: Path, *, bootstrap: bool = False) -> Synth:
    """Build and synthesize ``envs`` into ``outdir`` like main.py does.

    ``bootstrap`` (default off) adds the ``<env>-bootstrap`` stacks, which have
    their own tests (tests/rehearsal/test_bootstrap_stack.py).
    """
    from cdktf import App

    from modules.environment import build_environment

    app = App(outdir=str(outdir))
    for env in envs:
        build_environment(app, env, apps_dir=ROOT / "apps", bootstrap=bootstrap)
    app.synth()
    stacks = {p.parent.name: p.read_text() for p in sorted(outdir.glob("stacks/*/cdk.tf.json"))}
    return Synth(outdir=outdir, stacks=stacks)


def ref_name(ref: str) -> str:
    """The construct id a Terraform reference points at, without cdktf's hash suffix.

    ``${aws_subnet.network_private-subnet-az1_6DEABA4C.id}`` -> ``private-subnet-az1``.
    """
    match = re.fullmatch(r"\$\{[a-z0-9_]+\.([A-Za-z0-9_-]+)\.[a-z0-9_]+\}", ref)
    assert match, f"not a plain resource reference: {ref!r}"
    return match[1].split("_")[-2]


# cdktf's logical ids end with an 8-hex hash of the construct path: ``_6DEABA4C``
# (in a cross-stack output name the attribute follows it directly: ``_AF6628FFarn``).
_REFERENCE = re.compile(r"\$\{[^{}]*\}")
_HASH = re.compile(r"_[0-9A-F]{8}(?![0-9A-F])")


def mask(value: Any) -> Any:
    """``value`` with its JSON strings parsed and its Terraform references made stable.

    Policies and container definitions are JSON inside a string: they come back as
    data, so a test compares documents, not text. Each ``${...}`` keeps what it
    points at (type, construct path, attribute) without cdktf's hash suffix:
    ``${aws_ecr_repository.registry_repository_5B0A2C1D.arn}`` ->
    ``${aws_ecr_repository.registry_repository_#.arn}``: a reference to the wrong
    resource still differs, and the assertion never names a hashed logical id.
    """
    if isinstance(value, dict):
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    if isinstance(value, str):
        if value[:1] in ("{", "["):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict | list):
                return mask(parsed)
        return _REFERENCE.sub(lambda ref: _HASH.sub("_#", ref[0]), value)
    return value
