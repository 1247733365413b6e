"""``make diff|deploy|destroy|bootstrap|down``: one environment, emulator or real AWS.

    python -m tools.deploy {diff,deploy,destroy,bootstrap} --env ENV [--auto-approve]
    python -m tools.deploy destroy --env ENV --disable-protection
    python -m tools.deploy down

``TARGET=local`` (default) works against the emulator kept running in ``.rehearsal/local``
(its bootstrap stack first: the state bucket) and serves the app from the real images on a
local Docker engine; ``TARGET=aws`` runs the same cdktf commands with your credentials and
``TF_STATE_BUCKET``. The guards around an apply or a destroy are in docs/operations.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from config import ConfigError
from config.loader import DEFAULT_EMULATOR_ENDPOINT
from config.naming import stack_name
from tools.containers import harness as containers
from tools.containers.common import ContainersError
from tools.deploy import (
    ci_session,
    commands,
    deployments,
    downtime,
    ecr,
    image_guard,
    ops,
    protection,
    status,
    task_definitions,
)
from tools.deploy.ci_variables import format_ci_variables
from tools.deploy.commands import Workspace
from tools.deploy.procs import Result, take_interrupts
from tools.deploy.target import (
    LOCAL_DIR,
    AwsTarget,
    LocalTarget,
    TargetError,
    aws_target,
    aws_workspace,
    check_env_name,
    environment_config,
    local_target,
)
from tools.emulator.emulator import Emulator, EmulatorError, port_is_free
from tools.recovery.locks import after_failure
from tools.recovery.orphans import preflight
from tools.terraform import TerraformSetupError

ACTIONS = ("diff", "deploy", "destroy", "bootstrap")
# The setting config.loader reads to turn ALB deletion protection off everywhere.
DELETION_PROTECTION_VAR = "DELETION_PROTECTION"
NO_CI_ROLES = (
    "No CI roles: set GITHUB_REPOSITORY=owner/repo and run make bootstrap again to create "
    "the roles GitHub Actions assumes (README: CI identity)."
)


class DeployError(RuntimeError):
    """A cdktf command failed; it already printed Terraform's own error."""


def _ok(what: str, result: Result) -> None:
    if result.returncode != 0:
        raise DeployError(f"{what} failed with exit code {result.returncode}")


def _settings_env(env: dict[str, str], disable_protection: bool) -> dict[str, str]:
    """``env`` with ``DELETION_PROTECTION=off`` for a deliberate teardown, without it otherwise."""
    env = {k: v for k, v in env.items() if k != DELETION_PROTECTION_VAR}
    if disable_protection:
        env[DELETION_PROTECTION_VAR] = "off"
    return env


def _destroy(
    target: LocalTarget | AwsTarget,
    ws: Workspace,
    stacks: list[str],
    env: dict[str, str],
    approve: bool,
    disable_protection: bool,
) -> None:
    foundation = stack_name(target.env_name, "foundation")
    if disable_protection and foundation in stacks:
        print(f"turning deletion protection off: applying {foundation} first")
        _ok(f"deploy {foundation}", commands.deploy(ws, [foundation], env, auto_approve=approve))
    stack_file = ws.stack_dir(foundation) / "cdk.tf.json"
    protection.check_destroy_allowed(target.client("elbv2"), stack_file, target.env_name)
    _ok("cdktf destroy", commands.destroy(ws, stacks, env, auto_approve=approve))
    services = stack_name(target.env_name, "services")
    if services in stacks:
        services_file = ws.stack_dir(services) / "cdk.tf.json"
        for line in task_definitions.sweep_after_destroy(target.client("ecs"), services_file):
            print(line)


def _run(
    action: str,
    target: LocalTarget | AwsTarget,
    ws: Workspace,
    env: dict[str, str],
    approve: bool,
    *,
    disable_protection: bool = False,
    ci_role: str | None = None,
) -> None:
    env = _settings_env(env, disable_protection)
    _ok("synth", commands.synth(ws, env))
    if action in ("deploy", "destroy"):  # a crash's leftovers stop it before the bootstrap
        problem = preflight(target.env_name)
        if problem:
            raise DeployError(problem)
    boot = target.bootstrap_stack
    local = isinstance(target, LocalTarget)
    if action == "bootstrap" or (local and action in ("deploy", "diff")):
        # The emulator's state bucket must exist before any S3-backed stack initialises.
        _ok(f"deploy {boot}", commands.deploy(ws, [boot], env, auto_approve=approve))
    if isinstance(target, LocalTarget) and ci_role and action != "bootstrap":
        arn = ci_session.role_arns(ws, target, [ci_role], env)[ci_role]
        session = ci_session.session_file(ws, target, ci_role, arn)
        env = {**env, "EMULATOR_SESSION": str(session)}
        print(f"acting as the CI {ci_role} role (session in {session})")
        _ok("synth", commands.synth(ws, env))
    if action == "bootstrap":
        instructions = format_ci_variables(commands.stack_outputs(ws, boot, env) or {})
        print(instructions or NO_CI_ROLES)
        return
    stacks = target.app_stacks(ws)
    if action == "deploy" and isinstance(target, AwsTarget):
        # A pushed version is never rebuilt from new sources.
        image_guard.before_deploy(target, ws, env, stacks)
        # A change that stops traffic is said, with its window, and asked for first.
        downtime.before_deploy(target, ws, env, stacks, auto_approve=approve)
    env = _with_registry_login(target, stacks, env)
    if action == "deploy":
        ws.outputs_file.unlink(missing_ok=True)
        _ok("cdktf deploy", commands.deploy(ws, stacks, env, auto_approve=approve))
        print(commands.format_outputs(ws.outputs_file))
        services = stack_name(target.env_name, "services")
        if services in stacks:
            checked = deployments.check_outputs_file(
                target.client("ecs"), ws.outputs_file, services
            )
            print(f"every service runs its new task definition: {[e.service for e in checked]}")
    elif action == "destroy":
        _destroy(target, ws, stacks, env, approve, disable_protection)
    else:
        failed = diff_stacks(ws, stacks, env).failed
        if failed:
            raise DeployError(f"cdktf diff failed for {failed}")


def _with_registry_login(
    target: LocalTarget | AwsTarget, stacks: list[str], env: dict[str, str]
) -> dict[str, str]:
    """``env`` with the ECR login for ``<env>-images``'s docker provider (real AWS only),
    asked for just before Terraform runs: for this run only, never in a file or the state."""
    if not isinstance(target, AwsTarget) or stack_name(target.env_name, "images") not in stacks:
        return env
    return {**env, **ecr.registry_credentials(target.client("ecr"))}


def not_deployed_upstreams(
    ws: Workspace, stack: str, env: dict[str, str], deps: Mapping[str, Sequence[str]]
) -> list[str]:
    """The stacks ``stack`` reads outputs from that have none yet (never deployed)."""
    return [up for up in deps.get(stack, []) if not commands.stack_outputs(ws, up, env)]


@dataclass(frozen=True)
class DiffResult:
    """Stacks whose diff failed, and stacks skipped -> the undeployed stacks they read."""

    failed: list[str]
    skipped: dict[str, list[str]]


def diff_stacks(
    ws: Workspace, stacks: Sequence[str], env: dict[str, str], *, log_dir: Path | None = None
) -> DiffResult:
    """``cdktf diff`` each stack in order (logs in ``log_dir`` when given, else the terminal).

    A stack that reads the outputs of a stack not deployed yet cannot be
    planned (its remote state has no outputs). It is skipped with a message
    that says so, instead of failing with Terraform's "Unsupported attribute".
    """
    deps = commands.manifest_stacks(ws)
    result = DiffResult(failed=[], skipped={})
    for stack in stacks:
        missing = not_deployed_upstreams(ws, stack, env, deps)
        if missing:
            result.skipped[stack] = missing
            print(
                f"{stack}: not planned: it reads the outputs of {', '.join(missing)}, "
                "which has not been deployed yet; its plan is shown after that deploy"
            )
            continue
        log = log_dir / f"diff-{stack}.log" if log_dir else None
        if commands.diff(ws, stack, env, log=log).returncode != 0:
            result.failed.append(stack)
    return result


def _preferred_port() -> int:
    """The default emulator port when free (so a plain ``npx cdktf deploy`` finds it), else any."""
    port = urlsplit(DEFAULT_EMULATOR_ENDPOINT).port or 0
    return port if port_is_free(port) else 0


def run_local(
    action: str, env_name: str, disable_protection: bool = False, ci_role: str | None = None
) -> int:
    """``action`` against the emulator in ``.rehearsal/local`` (started when needed);
    with ``ci_role``, the app stacks act as that CI role (``tools.deploy.ci_session``)."""
    target = local_target(env_name)
    emulator = Emulator.find(LOCAL_DIR)
    if emulator is None and action == "destroy":
        containers.stop_serving()
        print("no local emulator is running, so there is nothing to destroy")
        return 0
    if emulator is None:
        # What a previous emulator left (state, Terraform's backend caches) is now stale.
        shutil.rmtree(Workspace(LOCAL_DIR).outdir, ignore_errors=True)
        emulator = Emulator.start(LOCAL_DIR, port=_preferred_port())
        print(f"started the emulator at {emulator.endpoint} (pid {emulator.pid})")
    target = target.at(emulator.endpoint)
    env = target.child_env()
    if ci_role:  # the bootstrap creates the CI roles only for a repository
        env.setdefault("GITHUB_REPOSITORY", ci_session.PLACEHOLDER_REPOSITORY)
    _run(
        action,
        target,
        Workspace(LOCAL_DIR),
        env,
        approve=True,
        disable_protection=disable_protection,
        ci_role=ci_role,
    )
    then = "`make down` stops it" if action == "destroy" else "`make destroy` / `make down`"
    print(f"emulator still running at {emulator.endpoint} (pid {emulator.pid}); {then}")
    # The app itself runs as containers on a local Docker engine (docs/containers.md).
    if action == "deploy":
        return containers.serve_after_deploy(env_name)
    if action == "destroy":
        containers.stop_serving()
    return 0


def run_aws(
    action: str, env_name: str, auto_approve: bool, disable_protection: bool = False
) -> int:
    """``action`` against real AWS, with the caller's credentials."""
    target = aws_target(env_name)
    ws = aws_workspace(env_name)
    ws.outputs_file.parent.mkdir(parents=True, exist_ok=True)
    _run(
        action,
        target,
        ws,
        target.child_env(),
        approve=auto_approve,
        disable_protection=disable_protection,
    )
    return 0


def down() -> int:
    """Stop the served containers and the local emulator, if they are running."""
    containers.stop_serving()
    emulator = Emulator.find(LOCAL_DIR)
    if emulator is None:
        print("no local emulator is running")
        return 0
    emulator.stop()
    print(f"stopped the emulator (pid {emulator.pid}); port {emulator.port} is free")
    return 0


def _served_locally() -> tuple[Any, str]:
    """(engine, run id) of the containers ``make deploy`` serves; else one clear error."""
    run_id, engine = containers.served_run_id(), containers.existing_engine()
    if not run_id or engine is None:
        raise ops.OpsError("the app is not served locally: `make deploy` serves it")
    return engine, run_id


def show_logs(env_name: str, service: str, *, since: str, follow: bool) -> int:
    """``make logs``: the service's lines, ``<time> <task> <line>`` (tools/deploy/ops.py)."""
    check_env_name(env_name)
    config = environment_config(env_name, os.environ)
    ops.check_service(config, service)
    ops.since_seconds(since)  # a bad SINCE is refused before anything is read
    if os.environ.get("TARGET", "local") == "local":
        engine, run_id = _served_locally()
        lines = ops.local_logs(engine, run_id, service, since=since, follow=follow)
    else:
        logs = aws_target(env_name).client("logs")
        lines = ops.aws_logs(logs, config, service, since=since, follow=follow)
    try:
        for line in lines:
            print(line, flush=True)
    except KeyboardInterrupt:
        pass
    return 0


def run_exec(env_name: str, service: str, command: str) -> int:
    """``make exec``: ``command`` in a task of the service; its exit status."""
    check_env_name(env_name)
    config = environment_config(env_name, os.environ)
    ops.check_service(config, service)
    if os.environ.get("TARGET", "local") == "local":
        engine, run_id = _served_locally()
        return ops.local_exec(engine, run_id, service, command)
    return ops.aws_exec(aws_target(env_name).client("ecs"), config, service, command)


def show_status(env_name: str, *, as_json: bool) -> int:
    """``make status``: each service of ``env_name`` on ``TARGET`` (tools/deploy/status.py)."""
    check_env_name(env_name)
    if os.environ.get("TARGET", "local") == "local":
        emulator = Emulator.find(LOCAL_DIR)
        if emulator is None:
            raise status.StatusError(
                f"no local emulator is running: `make deploy ENV={env_name}` starts one"
            )
        where: LocalTarget | AwsTarget = local_target(env_name).at(emulator.endpoint)
        served = containers.served_url()
    else:
        where, served = aws_target(env_name), ""
    config = environment_config(env_name, os.environ)
    report = status.collect(config, where.client("ecs"), where.client("elbv2"))
    print(status.as_json(report) if as_json else status.as_text(report, served))
    if isinstance(where, AwsTarget) and not as_json:
        print(f"dashboard  {status.dashboard_url(config)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy", description=__doc__)
    parser.add_argument("action", choices=(*ACTIONS, "down", "status", "logs", "exec"))
    parser.add_argument("--env", help="environment, e.g. dev (required except for down)")
    parser.add_argument(
        "--auto-approve", action="store_true", help="TARGET=aws: do not ask before applying"
    )
    parser.add_argument(
        "--disable-protection",
        action="store_true",
        help="destroy only: turn ALB deletion protection off first (deliberate teardown)",
    )
    parser.add_argument("--json", action="store_true", help="status only: print JSON")
    parser.add_argument("--service", default="", help="logs and exec: frontend or backend")
    parser.add_argument("--since", default="10m", help="logs: how far back (30s, 10m, 2h, 1d)")
    parser.add_argument("--follow", action="store_true", help="logs: keep printing new lines")
    parser.add_argument("--cmd", default="sh", help="exec: the command to run (default sh)")
    args = parser.parse_args(argv)
    take_interrupts()
    try:
        if args.action == "down":
            return down()
        if not args.env:
            raise TargetError(f"--env is required for {args.action}")
        if args.disable_protection and args.action != "destroy":
            raise TargetError(f"--disable-protection is for destroy only, not {args.action}")
        if args.action == "status":
            return show_status(args.env, as_json=args.json)
        if args.action == "logs":
            return show_logs(args.env, args.service, since=args.since, follow=args.follow)
        if args.action == "exec":
            return run_exec(args.env, args.service, args.cmd)
        target = os.environ.get("TARGET", "local")
        role = ci_session.ci_role(os.environ)
        if role and target != "local":
            raise TargetError(
                f"{ci_session.VARIABLE}={role} is for the emulator; on AWS, assume the role"
                " yourself"
            )
        if target == "local":
            return run_local(args.action, args.env, args.disable_protection, role)
        return run_aws(args.action, args.env, args.auto_approve, args.disable_protection)
    except (
        TargetError,
        TerraformSetupError,
        EmulatorError,
        status.StatusError,
        ops.OpsError,
        ContainersError,
        ConfigError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (
        DeployError,
        image_guard.RebuildRefused,
        downtime.DowntimeRefused,
        protection.ProtectedResources,
        deployments.DeploymentCheckFailed,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.env and "make recover" not in str(exc):
            after_failure(args.env)  # a lock that stopped the command, and `make recover`
        return 1
    except KeyboardInterrupt:
        print("interrupted: Terraform was asked to stop and save its state", file=sys.stderr)
        if args.env:
            after_failure(args.env)
        return 130


if __name__ == "__main__":
    sys.exit(main())
