"""Act as the CI deploy role in the emulator: ``make deploy CI_ROLE=deploy``.

After the bootstrap, the role is assumed through the emulator's STS as GitHub's OIDC exchange
does on AWS, and ``EMULATOR_SESSION`` names the file with its credentials: the app stacks'
provider and backend then use them, and the emulator authorizes each call as IAM would.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from tools.deploy import commands
from tools.deploy.commands import Workspace
from tools.deploy.target import LocalTarget, TargetError
from tools.emulator.inventory import client

# The plan role cannot take the state lock that cdktf's diff and deploy take; the
# rehearsal plans with it as the pull-request workflow does (tools.rehearsal.ci_roles).
ROLES = ("deploy",)
VARIABLE = "CI_ROLE"
# Stands in for the GitHub repository whose workflows may assume the roles.
PLACEHOLDER_REPOSITORY = "example-org/ecs-learn"


def ci_role(environ: Mapping[str, str]) -> str | None:
    """``CI_ROLE`` (``deploy``), or None when unset."""
    role = environ.get(VARIABLE) or None
    if role is not None and role not in ROLES:
        raise TargetError(f"{VARIABLE}={role!r}: must be one of {', '.join(ROLES)}")
    return role


def role_arns(
    ws: Workspace, target: LocalTarget, roles: Sequence[str], env: Mapping[str, str]
) -> dict[str, str]:
    """The ARN of each of the bootstrap's CI ``roles``, from its outputs (read once)."""
    outputs = commands.stack_outputs(ws, target.bootstrap_stack, env) or {}
    arns: dict[str, str] = {}
    for role in roles:
        found = outputs.get(f"ci_{role}_role_arn")
        if not isinstance(found, dict) or not isinstance(found.get("value"), str):
            raise TargetError(
                f"{target.bootstrap_stack} has no ci_{role}_role_arn output: "
                "set GITHUB_REPOSITORY=owner/repo so the bootstrap creates the CI roles"
            )
        arns[role] = str(found["value"])
    return arns


def assume(target: LocalTarget, arn: str, session_name: str) -> dict[str, str]:
    """The ``Credentials`` of ``arn`` from the emulator's STS."""
    creds = target.client("sts").assume_role_with_web_identity(
        RoleArn=arn, RoleSessionName=session_name, WebIdentityToken="emulator-oidc-token"
    )["Credentials"]
    return {k: str(creds[k]) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}


def _still_valid(target: LocalTarget, path: Path, arn: str) -> bool:
    """True when the session in ``path`` is one of ``arn`` that this emulator accepts."""
    import botocore.exceptions  # type: ignore[import-untyped]  # ships no type information

    try:
        sts = client("sts", target.endpoint, target.region, json.loads(path.read_text()))
        caller = str(sts.get_caller_identity()["Arn"])
    except (
        OSError,
        ValueError,
        KeyError,
        botocore.exceptions.BotoCoreError,
        botocore.exceptions.ClientError,
    ):
        return False
    role_name = arn.rsplit("/", 1)[-1]
    return f":assumed-role/{role_name}/" in caller


def session_file(ws: Workspace, target: LocalTarget, role: str, arn: str) -> Path:
    """Assume the ``role`` CI role (``arn``) and write its session for ``EMULATOR_SESSION``.

    A session already written by this emulator is kept: the stacks' S3 backend
    carries its keys, and new keys would make Terraform ask to re-initialise it.
    """
    path = ws.root / f"ci-{role}-session.json"
    if _still_valid(target, path, arn):
        return path
    creds = assume(target, arn, f"{target.env_name}-{role}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        json.dump(creds, out)
    return path
