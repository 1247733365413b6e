"""What the ECS agent does with a task's execution role before the task can start.

``start_problem`` evaluates each call the agent makes (ECR pull, awslogs stream, secrets;
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html)
and returns the reason AWS would stop the task with, or None.
"""

from __future__ import annotations

import re
from typing import Any

from tools.emulator.iam_eval import Request, describe_denial, evaluate
from tools.emulator.iam_state import Backends

ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com[^/]*/([^:@]+)")


def secret_arn(value_from: str) -> str:
    """A secret's ARN from a ``valueFrom`` that may name a JSON key (``arn:...:secret:n:key::``)."""
    return ":".join(value_from.split(":")[:7])


def _checks(task_definition: Any, backends: Backends) -> list[tuple[str, Request]]:
    """(reason prefix, request) for every call the agent makes to start the task."""
    b = backends
    out: list[tuple[str, Request]] = []
    for container in task_definition.container_definitions:
        found = ECR_IMAGE.match(str(container.get("image", "")))
        if found:
            account, region, repository = found.groups()
            arn = f"arn:{b.partition}:ecr:{region}:{account}:repository/{repository}"
            out.append(("ResourceInitializationError", Request("ecr:GetAuthorizationToken")))
            for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
                out.append(("CannotPullContainerError", Request(action, (arn,))))
        logs = container.get("logConfiguration") or {}
        options = logs.get("options") or {}
        if logs.get("logDriver") == "awslogs" and options.get("awslogs-group"):
            stream = f"{options.get('awslogs-stream-prefix', 'ecs')}/{container['name']}/task"
            group = f"arn:{b.partition}:logs:{options.get('awslogs-region', b.region)}:{b.account}"
            arn = f"{group}:log-group:{options['awslogs-group']}:log-stream:{stream}"
            for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
                out.append(("ResourceInitializationError", Request(action, (arn,))))
        for secret in container.get("secrets") or []:
            arn = secret_arn(str(secret["valueFrom"]))
            tags = backends.secret_tags(arn)
            read = Request("secretsmanager:GetSecretValue", (arn,), tags)
            out.append(("ResourceInitializationError", read))
            key = backends.secret_key(arn)
            if key:
                via = {"kms:ViaService": [f"secretsmanager.{b.region}.amazonaws.com"]}
                out.append(("ResourceInitializationError", Request("kms:Decrypt", (key,), via)))
    return out


def start_problem(task_definition: Any, backends: Backends) -> str | None:
    """The stopped reason AWS would give the task, or None when the execution role allows
    every call the agent makes to start it."""
    checks = _checks(task_definition, backends)
    if not checks:
        return None
    arn = getattr(task_definition, "execution_role_arn", None)
    role = backends.role(str(arn).rsplit("/", 1)[-1]) if arn else None
    if role is None:
        return (
            "ResourceInitializationError: the task definition has no usable execution role "
            f"({arn!r}) to pull images, write logs or read secrets"
        )
    policies, boundary = backends.policies(role)
    for reason, request in checks:
        decision = evaluate(request, policies, boundary=boundary)
        if not decision.allowed:
            return f"{reason}: {describe_denial(str(role.arn), request, decision)}"
    return None
