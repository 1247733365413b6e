"""The CI roles in the rehearsal: Terraform runs with their session credentials.

The rehearsal's bootstrap creates the GitHub OIDC provider and the plan and
deploy roles (``REPOSITORY`` stands in for the GitHub repository). Once the
app stacks are deployed, ``check_roles`` assumes both roles in the emulator
and runs Terraform on a copy of ``<env>-foundation`` whose provider and S3
backend carry that session's credentials instead of the fake keys:

* plan role: ``terraform plan -lock=false`` reads the state and plans no change;
  ``terraform apply`` is refused at the lock, and a direct ``PutObject`` of the
  state is ``AccessDenied``;
* deploy role: ``terraform apply`` takes and releases the lock and applies (no
  change); a read of another environment's state is ``AccessDenied``;
* deploy role, a release: ``<env>-services`` applied with every task definition
  replaced, so ECS registers new revisions, passes the task roles, updates the
  services and deregisters the old revisions, as each release does.

The emulator authorizes every request of a role session as IAM does (shim patch
``role_session_authorization``); ``iam_report`` counts the decisions and names
any denial. It does not check the OIDC token or the trust policy on
``AssumeRoleWithWebIdentity``; ``tests/unit/test_ci_identity.py`` does.
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
from tools.deploy import commands
from tools.deploy.commands import Workspace
from tools.deploy.procs import run
from tools.deploy.target import LocalTarget
from tools.emulator.emulator import iam_decisions
from tools.terraform import terraform_binary

REPOSITORY = "example-org/ecs-learn"


class RoleCheckFailed(RuntimeError):
    """A CI role could do what it must not, or could not do what it must."""


@dataclass(frozen=True)
class Session:
    access_key: str
    secret_key: str
    token: str


def assume(target: LocalTarget, role_arn: str, name: str) -> Session:
    """Credentials of ``role_arn`` from the emulator's STS, as GitHub's OIDC exchange gives."""
    creds = target.client("sts").assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName=name, WebIdentityToken="rehearsal-token"
    )["Credentials"]
    return Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def _with_session(stack: dict[str, Any], session: Session) -> dict[str, Any]:
    """The stack with ``session`` in place of the fake keys (endpoints stay the emulator's)."""
    keys = {
        "access_key": session.access_key,
        "secret_key": session.secret_key,
        "token": session.token,
    }
    for provider in stack["provider"]["aws"]:
        provider.update(keys)
    stack["terraform"]["backend"]["s3"].update(keys)
    return stack


def session_copy(ws: Workspace, stack: str, session: Session, label: str) -> Path:
    """A copy of ``stack``'s synthesized directory whose credentials are ``session``'s."""
    source = ws.stack_dir(stack)
    copy = ws.root / "ci-roles" / f"{label}-{stack}"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    for name in ("cdk.tf.json", ".terraform.lock.hcl"):
        if (source / name).exists():
            shutil.copy2(source / name, copy / name)
    stack_json = json.loads((source / "cdk.tf.json").read_text())
    (copy / "cdk.tf.json").write_text(json.dumps(_with_session(stack_json, session), indent=2))
    return copy


def _terraform(directory: Path, args: list[str], env: Mapping[str, str], log: Path) -> Any:
    return run([terraform_binary(), *args], env=env, cwd=directory, log=log, timeout=600)


def _s3(target: LocalTarget, session: Session) -> Any:
    import boto3  # type: ignore[import-untyped]  # ships no type information

    return boto3.client(
        "s3",
        endpoint_url=target.endpoint,
        region_name=target.region,
        aws_access_key_id=session.access_key,
        aws_secret_access_key=session.secret_key,
        aws_session_token=session.token,
    )


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


def _steps(
    copy: Path, label: str, steps: list[list[str]], ws: Workspace, env: Mapping[str, str]
) -> None:
    """Run each Terraform command in ``copy``; each must succeed."""
    for args in steps:
        log = ws.log(f"ci-{label}-{args[0]}")
        before = len(iam_decisions(ws.root))
        result = _terraform(copy, [*args, "-input=false", "-no-color"], env, log)
        if result.returncode != 0:
            refused = "\n  ".join(denials(ws, before))
            raise RoleCheckFailed(
                f"{label} role: terraform {args[0]} failed; log {log}"
                + (f"\n  IAM denied:\n  {refused}" if refused else "")
            )


def task_definition_addresses(copy: Path) -> list[str]:
    """The Terraform addresses of the task definitions in the stack at ``copy``."""
    stack = json.loads((copy / "cdk.tf.json").read_text())
    found = stack.get("resource", {}).get("aws_ecs_task_definition", {})
    return [f"aws_ecs_task_definition.{name}" for name in sorted(found)]


def check_roles(target: LocalTarget, ws: Workspace, env: Mapping[str, str]) -> list[str]:
    """Run the checks of the module docstring; returns one line per check that held."""
    boot = target.bootstrap_stack
    outputs = commands.stack_outputs(ws, boot, env) or {}
    arns = {k: v["value"] for k, v in outputs.items() if isinstance(v, dict) and "role_arn" in k}
    if set(arns) != {"ci_plan_role_arn", "ci_deploy_role_arn"}:
        raise RoleCheckFailed(f"{boot} has no CI role outputs: {sorted(outputs)}")
    foundation = stack_name(target.env_name, "foundation")
    state, key = target.state_bucket, f"{target.env_name}/{foundation}.tfstate"

    plan = assume(target, arns["ci_plan_role_arn"], "rehearsal-plan")
    copy = session_copy(ws, foundation, plan, "plan")
    _steps(copy, "plan", [["init"], ["plan", "-lock=false", "-detailed-exitcode"]], ws, env)
    refusals_from = len(iam_decisions(ws.root))
    log = ws.log("ci-plan-apply")
    refused = _terraform(
        copy, ["apply", "-auto-approve", "-lock-timeout=0s", "-input=false", "-no-color"], env, log
    )
    locked_out = (
        "Error acquiring the state lock" in refused.output and "AccessDenied" in refused.output
    )
    if refused.returncode == 0 or not locked_out:
        raise RoleCheckFailed(f"plan role: terraform apply was not refused at the lock; log {log}")
    if not _denied(_s3(target, plan).put_object, Bucket=state, Key=key, Body=b"{}"):
        raise RoleCheckFailed(f"plan role: PutObject of s3://{state}/{key} was not denied")
    expected = len(denials(ws, refusals_from))

    deploy = assume(target, arns["ci_deploy_role_arn"], "rehearsal-deploy")
    copy = session_copy(ws, foundation, deploy, "deploy")
    _steps(copy, "deploy", [["init"], ["apply", "-auto-approve"]], ws, env)
    services = stack_name(target.env_name, "services")
    copy = session_copy(ws, services, deploy, "deploy")
    replaced = task_definition_addresses(copy)
    if not replaced:
        raise RoleCheckFailed(f"{services} declares no aws_ecs_task_definition")
    release = ["apply", "-auto-approve", *(f"-replace={a}" for a in replaced)]
    _steps(copy, "deploy-release", [["init"], release], ws, env)
    other = "prod" if target.env_name != "prod" else "dev"
    other_key = f"{other}/{other}-foundation.tfstate"
    refusals_from = len(iam_decisions(ws.root))
    if not _denied(_s3(target, deploy).get_object, Bucket=state, Key=other_key):
        raise RoleCheckFailed(f"deploy role: reading s3://{state}/{other_key} was not denied")
    expected += len(denials(ws, refusals_from))
    report, unexpected = iam_report(ws, expected=expected)
    if unexpected:
        raise RoleCheckFailed(f"{report}:\n  " + "\n  ".join(denials(ws)))
    return [
        f"plan role: terraform plan of {foundation} read the state and planned no change",
        "plan role: terraform apply refused at the lock; PutObject of the state AccessDenied",
        f"deploy role: terraform apply of {foundation} locked, applied and unlocked the state",
        f"deploy role: reading {other}'s state AccessDenied",
        f"deploy role: {services} released new revisions of {len(replaced)} task definitions",
        report,
    ]
