"""Which environment a recovery command acts on: its state bucket, stacks and Terraform env.

``TARGET=local`` (default) reaches the emulator ``make deploy`` left running in
``tools.deploy.target.LOCAL_DIR``; ``TARGET=aws`` uses the caller's AWS credentials
and ``TF_STATE_BUCKET``, exactly like ``make deploy TARGET=aws``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.naming import stack_name
from tools.deploy import commands
from tools.deploy.commands import Workspace
from tools.deploy.target import (
    LOCAL_DIR,
    LocalTarget,
    aws_target,
    aws_workspace,
    environment_config,
    local_target,
)
from tools.emulator import inventory
from tools.emulator.emulator import Emulator


class RecoveryError(RuntimeError):
    """A recovery command cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Context:
    """One environment on one target, as the recovery commands see it."""

    env_name: str
    aws: bool
    bucket: str
    region: str
    ws: Workspace
    env: dict[str, str]
    endpoint: str | None = None

    def client(self, service: str) -> Any:
        """A boto3 client: the emulator's (fake keys) or the caller's AWS credentials."""
        import boto3  # type: ignore[import-untyped]  # ships no type information

        if self.endpoint:
            return inventory.client(service, self.endpoint, self.region)
        return boto3.client(service, region_name=self.region)

    def state_key(self, stack: str) -> str:
        return f"{self.env_name}/{stack}.tfstate"

    def make(self, target: str, **settings: str) -> str:
        """The ``make`` command line for ``target`` on this environment and target."""
        prefix = "TARGET=aws " if self.aws else ""
        extra = "".join(f" {k}={v}" for k, v in settings.items() if v)
        return f"{prefix}make {target} ENV={self.env_name}{extra}"

    def app_stacks(self) -> list[str]:
        """The environment's synthesized stacks but the bootstrap, in deploy order."""
        deps = commands.manifest_stacks(self.ws)
        boot = stack_name(self.env_name, "bootstrap")
        mine = [n for n in deps if n.startswith(f"{self.env_name}-") and n != boot]
        return commands.in_dependency_order(deps, mine)


def local_context(target: LocalTarget, workdir: Path) -> Context:
    """The context of ``target`` at its emulator's endpoint, synthesized into ``workdir``."""
    return Context(
        env_name=target.env_name,
        aws=False,
        bucket=target.state_bucket,
        region=target.region,
        ws=Workspace(workdir),
        env=target.child_env(),
        endpoint=target.endpoint,
    )


def resolve(env_name: str, environ: Mapping[str, str] | None = None) -> Context:
    """The context for ``env_name`` on ``TARGET`` (default local); validates the settings."""
    environ = dict(os.environ if environ is None else environ)
    if environ.get("TARGET", "local") == "local":
        target = local_target(env_name, environ)
        emulator = Emulator.find(LOCAL_DIR)
        if emulator is None:
            raise RecoveryError(
                "no local emulator is running: its state went with it, so there is nothing "
                "to recover; `make deploy` starts a fresh one"
            )
        return local_context(target.at(emulator.endpoint), LOCAL_DIR)
    aws = aws_target(env_name, environ)
    cfg = environment_config(env_name, environ)  # valid: aws_target checked it
    assert cfg.state.bucket and cfg.state.region
    return Context(
        env_name=env_name,
        aws=True,
        bucket=cfg.state.bucket,
        region=cfg.state.region,
        ws=aws_workspace(env_name),
        env=aws.child_env(environ),
    )


def ensure_synth(ctx: Context) -> None:
    """Synthesize the stacks for this target unless they already are."""
    if (ctx.ws.outdir / "manifest.json").is_file():
        return
    result = commands.synth(ctx.ws, ctx.env)
    if result.returncode != 0:
        raise RecoveryError(f"synth failed with exit code {result.returncode}")


_INITIALISED: set[tuple[str, str]] = set()


def ensure_init(ctx: Context, stack: str) -> None:
    """``terraform init`` in the stack's directory (our backend and CLI config), once per
    directory and environment in this process: a command may unlock, import and plan."""
    ensure_synth(ctx)
    key = (str(ctx.ws.stack_dir(stack)), repr(sorted(ctx.env.items())))
    if key in _INITIALISED:
        return
    args = ["init", "-input=false", "-no-color"]
    log = ctx.ws.log(f"init-{stack}")
    result = commands.terraform(ctx.ws, stack, args, ctx.env, log=log, timeout=300)
    if result.returncode != 0:
        raise RecoveryError(
            f"terraform init failed in {ctx.ws.stack_dir(stack)}:\n"
            f"{commands.terraform_errors(result.output)}\n(full log: {log})"
        )
    _INITIALISED.add(key)


def confirmed(ctx: Context, question: str, yes: bool) -> bool:
    """On AWS, ask before a change (``yes``: AUTO_APPROVE=1); the emulator never asks."""
    if yes or not ctx.aws:
        return True
    if not sys.stdin.isatty():
        print("not confirmed: pass AUTO_APPROVE=1 to run it without a prompt")
        return False
    return input(f"{question} Type 'yes': ").strip() == "yes"
