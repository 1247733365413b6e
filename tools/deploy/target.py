"""Where a deploy goes: the local emulator or real AWS, and which stacks it touches.

Both are validated up front with the project's own config loader, so a bad
``--env`` or setting fails with one line naming the field and the value
before anything starts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from config import ConfigError, EnvironmentConfig, load_environment, settings_from_env
from config.environments import ENVIRONMENTS
from config.naming import stack_name
from tools.deploy import commands
from tools.deploy.awsenv import emulator_env
from tools.deploy.commands import Workspace
from tools.emulator.inventory import client

# ECS_LEARN_LOCAL_DIR: another emulator home (the fault rehearsal runs several at once).
LOCAL_DIR = Path(os.environ.get("ECS_LEARN_LOCAL_DIR") or commands.ROOT / ".rehearsal" / "local")


class TargetError(ValueError):
    """Bad input (unknown --env, invalid settings); the message names field and value."""


def _context() -> dict[str, object]:
    context: dict[str, object] = json.loads((commands.ROOT / "cdktf.json").read_text())["context"]
    return context


def environment_config(env_name: str, environ: Mapping[str, str]) -> EnvironmentConfig:
    """The environment's validated config for these settings (``ConfigError`` otherwise)."""
    return load_environment(env_name, settings_from_env({**environ, "ENVS": env_name}, _context()))


def aws_workspace(env_name: str) -> Workspace:
    """Real AWS uses the usual ``cdktf.out``; outputs go to ``cdktf.out/<env>-deploy/``."""
    outdir = commands.ROOT / "cdktf.out"
    return Workspace(root=outdir / f"{env_name}-deploy", out=outdir)


def check_env_name(env_name: str) -> None:
    """Reject an unknown ``--env`` with the list of known environments."""
    if env_name not in ENVIRONMENTS:
        raise TargetError(
            f"invalid --env={env_name!r}: unknown environment; known: {sorted(ENVIRONMENTS)}"
        )


@dataclass(frozen=True)
class _Target:
    env_name: str

    @property
    def bootstrap_stack(self) -> str:
        return stack_name(self.env_name, "bootstrap")

    def app_stacks(self, ws: Workspace) -> list[str]:
        """The synthesized stacks of this environment except bootstrap, in deploy order."""
        stacks = commands.manifest_stacks(ws)
        prefix, boot = f"{self.env_name}-", self.bootstrap_stack
        mine = [n for n in stacks if n.startswith(prefix) and n != boot]
        if not mine:
            raise TargetError(f"no stacks of env={self.env_name!r} in {ws.outdir}/manifest.json")
        return commands.in_dependency_order(stacks, mine)


def _checked_config(
    env_name: str, environ: Mapping[str, str] | None, **settings: str
) -> EnvironmentConfig:
    """``environment_config`` of a known ``env_name``; bad settings raise ``TargetError``."""
    check_env_name(env_name)
    try:
        base = os.environ if environ is None else environ
        return environment_config(env_name, {**base, **settings})
    except ConfigError as exc:
        raise TargetError(str(exc)) from None


@dataclass(frozen=True)
class LocalTarget(_Target):
    """One environment deployed to the emulator at ``endpoint``, state in S3 there."""

    region: str
    state_bucket: str
    endpoint: str = ""

    def at(self, endpoint: str) -> LocalTarget:
        return replace(self, endpoint=endpoint)

    def settings(self) -> dict[str, str]:
        """What the synth needs: the stacks then carry ``endpoint`` and fake credentials."""
        settings = {"ENVS": self.env_name, "TARGET": "local", "STATE_BACKEND": "s3"}
        if self.endpoint:
            settings["EMULATOR_ENDPOINT"] = self.endpoint
        return settings

    def child_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Our environment pointed at the emulator, for cdktf and Terraform."""
        aws = emulator_env(self.endpoint, self.region, base)
        return commands.child_env({**aws, **self.settings()}, base={})

    def client(self, service: str) -> Any:
        """A boto3 client for the emulator."""
        return client(service, self.endpoint, self.region)


def local_target(env_name: str, environ: Mapping[str, str] | None = None) -> LocalTarget:
    """Validate ``env_name`` and the settings for the emulator target."""
    env = _checked_config(env_name, environ, TARGET="local", STATE_BACKEND="s3")
    assert env.state.bucket  # the s3 backend always names one
    return LocalTarget(env_name=env_name, region=env.region, state_bucket=env.state.bucket)


@dataclass(frozen=True)
class AwsTarget(_Target):
    """One environment deployed to real AWS with the caller's credentials.

    ``region`` (default none: the AWS SDK's own default) is where boto3 looks.
    """

    region: str | None = None

    def child_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        return commands.child_env({"ENVS": self.env_name}, base=base)

    def client(self, service: str) -> Any:
        """A boto3 client with the caller's credentials, in the environment's region."""
        import boto3  # type: ignore[import-untyped]  # ships no type information

        return boto3.client(service, region_name=self.region)


def aws_target(env_name: str, environ: Mapping[str, str] | None = None) -> AwsTarget:
    """Validate ``env_name`` and the settings (``TF_STATE_BUCKET`` ...) for real AWS."""
    return AwsTarget(env_name=env_name, region=_checked_config(env_name, environ).region)
