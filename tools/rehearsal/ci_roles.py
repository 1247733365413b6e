"""The CI roles in the rehearsal: every app-stack command runs as CI runs it.

The rehearsal's bootstrap (admin keys, as a person runs it) creates the GitHub OIDC
provider and the plan and deploy roles (``REPOSITORY`` stands in for the repository);
``start`` assumes both through the emulator's STS. What each role runs, and what it must
be refused, is in docs/ci-identity.md. The trust policy and the OIDC token are not checked
here; ``tests/unit/test_ci_identity.py`` does.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.exceptions  # type: ignore[import-untyped]  # ships no type information

from config.naming import stack_name
from modules.common import EMULATOR_ACCESS_KEY
from tools.deploy import ci_session
from tools.deploy.commands import Workspace
from tools.deploy.procs import run
from tools.deploy.target import LocalTarget
from tools.emulator.emulator import iam_decisions
from tools.emulator.inventory import client
from tools.rehearsal.stages import Clock, StageFailed
from tools.review.plan_stacks import plan_stacks
from tools.terraform import terraform_binary

REPOSITORY = ci_session.PLACEHOLDER_REPOSITORY


class RoleCheckFailed(RuntimeError):
    """A CI role could do what it must not, or could not do what it must."""


@dataclass(frozen=True)
class Roles:
    """The CI roles' sessions, once assumed: ``deploy_env`` runs the workspace's stacks as
    the deploy role; ``plan_ws``/``plan_env`` hold the plan role's copy of them."""

    deploy_env: dict[str, str]
    deploy: dict[str, str]
    plan_ws: Workspace
    plan_env: dict[str, str]
    plan: dict[str, str]


def swap_session_keys(stack: Any, old: str, new: Mapping[str, str]) -> Any:
    """``stack`` with every block that carries access key ``old`` (provider, backend,
    remote-state reads) given the keys of the session ``new`` instead."""
    if isinstance(stack, list):
        return [swap_session_keys(item, old, new) for item in stack]
    if not isinstance(stack, dict):
        return stack
    stack = {k: swap_session_keys(v, old, new) for k, v in stack.items()}
    if stack.get("access_key") == old:
        stack["access_key"] = new["AccessKeyId"]
        stack["secret_key"] = new["SecretAccessKey"]
        stack["token"] = new["SessionToken"]
    return stack


def _swap_stack_file(source: Path, target: Path, old: str, new: Mapping[str, str]) -> None:
    """Write ``source`` (a cdk.tf.json) to ``target`` with ``swap_session_keys``."""
    swapped = swap_session_keys(json.loads(source.read_text()), old, new)
    target.write_text(json.dumps(swapped, indent=2))


def act_as_deploy_role(ws: Workspace, stacks: list[str], roles: Roles) -> None:
    """Give the synthesized ``stacks`` of ``ws`` the deploy role's session in place of the
    fake admin keys: what a synth with ``roles.deploy_env`` writes, without a second synth."""
    for stack in stacks:
        path = ws.stack_dir(stack) / "cdk.tf.json"
        _swap_stack_file(path, path, EMULATOR_ACCESS_KEY, roles.deploy)


def plan_copy(ws: Workspace, roles: Roles) -> Workspace:
    """Copy the synthesized app stacks of ``ws`` (deploy role) to ``roles.plan_ws`` with the
    plan role's session; each stack's ``.terraform`` there is kept between copies."""
    source, copy = ws.outdir, roles.plan_ws.outdir
    copy.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "manifest.json", copy / "manifest.json")
    for stack_dir in sorted((source / "stacks").iterdir()):
        target = copy / "stacks" / stack_dir.name
        target.mkdir(parents=True, exist_ok=True)
        lock = stack_dir / ".terraform.lock.hcl"
        if lock.exists():
            shutil.copy2(lock, target / lock.name)
        old = roles.deploy["AccessKeyId"]
        _swap_stack_file(stack_dir / "cdk.tf.json", target / "cdk.tf.json", old, roles.plan)
    return roles.plan_ws


def start(target: LocalTarget, ws: Workspace, env: Mapping[str, str]) -> Roles:
    """Assume both CI roles (the bootstrap is applied); see the module docstring."""
    arns = ci_session.role_arns(ws, target, ["deploy", "plan"], env)
    deploy_file = ci_session.session_file(ws, target, "deploy", arns["deploy"])
    plan = ci_session.assume(target, arns["plan"], f"{target.env_name}-plan")
    deploy = json.loads(deploy_file.read_text())
    plan_ws = Workspace(ws.root / "plan-role")
    return Roles({**env, "EMULATOR_SESSION": str(deploy_file)}, deploy, plan_ws, dict(env), plan)


def plan_role_plans(
    name: str,
    ws: Workspace,
    roles: Roles,
    expected: dict[str, str],
    clock: Clock,
    *,
    at_once: bool = False,
) -> Path:
    """``tools.review.plan_stacks`` as the plan role, on its copy of the workspace's stacks
    (``plan_copy`` first); each app stack's status must be as ``expected``. Returns the
    plans' directory."""
    with clock.stage(name):
        plans = ws.root / "plan-role-plans"
        shutil.rmtree(plans, ignore_errors=True)
        planned = plan_stacks(roles.plan_ws, plans, roles.plan_env, at_once=at_once)
        statuses = {stack: planned[stack].status for stack in expected if stack in planned}
        if statuses != expected:
            raise StageFailed(name, f"expected {expected}, got {planned}")
    return plans


def _terraform(directory: Path, args: list[str], env: Mapping[str, str], log: Path) -> Any:
    return run([terraform_binary(), *args], env=env, cwd=directory, log=log, timeout=600)


def _denied(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as exc:
        return bool(exc.response["Error"]["Code"] == "AccessDenied")
    return False


def denials(ws: Workspace, since: int = 0) -> list[str]:
    """The emulator's IAM denials after the first ``since`` decisions, one line each."""
    return [
        d.get("message") or f"{d['principal']}: {d['action']}: {d['reason']}"
        for d in iam_decisions(ws.root)[since:]
        if not d["allowed"]
    ]


def iam_report(ws: Workspace, *, expected: int) -> tuple[str, int]:
    """One line: how many role-session requests the emulator evaluated, and how many it
    denied besides the ``expected`` denials of the checks that must be refused; and the
    number of those other denials."""
    decisions = iam_decisions(ws.root)
    denied = sum(1 for d in decisions if not d["allowed"]) - expected
    unmodelled = sorted({d["action"] for d in decisions if not d["modelled"]})
    line = (
        f"IAM: {len(decisions)} role-session requests evaluated; {expected} denied as the "
        f"checks above require, {denied} denied otherwise"
    )
    if unmodelled:
        line += f"; resources not modelled (action checked alone) for {', '.join(unmodelled)}"
    return line, denied


def check_refusals(target: LocalTarget, ws: Workspace, roles: Roles) -> tuple[list[str], int]:
    """What each role must not do is refused; returns one line per refusal that held
    and the number of IAM denials they caused (all expected)."""
    foundation = stack_name(target.env_name, "foundation")
    state, key = target.state_bucket, f"{target.env_name}/{foundation}.tfstate"
    copy = roles.plan_ws.stack_dir(foundation)  # initialised by the plan role's plans
    before = len(iam_decisions(ws.root))
    log = ws.log("ci-plan-apply")
    refused = _terraform(
        copy,
        ["apply", "-auto-approve", "-lock-timeout=0s", "-input=false", "-no-color"],
        roles.plan_env,
        log,
    )
    locked_out = (
        "Error acquiring the state lock" in refused.output and "AccessDenied" in refused.output
    )
    if refused.returncode == 0 or not locked_out:
        raise RoleCheckFailed(f"plan role: terraform apply was not refused at the lock; log {log}")
    put = client("s3", target.endpoint, target.region, roles.plan).put_object
    if not _denied(put, Bucket=state, Key=key, Body=b"{}"):
        raise RoleCheckFailed(f"plan role: PutObject of s3://{state}/{key} was not denied")
    other = "prod" if target.env_name != "prod" else "dev"
    other_key = f"{other}/{other}-foundation.tfstate"
    get = client("s3", target.endpoint, target.region, roles.deploy).get_object
    if not _denied(get, Bucket=state, Key=other_key):
        raise RoleCheckFailed(f"deploy role: reading s3://{state}/{other_key} was not denied")
    return [
        "plan role: terraform apply refused at the lock; PutObject of the state AccessDenied",
        f"deploy role: reading {other}'s state AccessDenied",
    ], len(denials(ws, before))
