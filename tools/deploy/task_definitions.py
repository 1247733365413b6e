"""After a destroy: deregister the task-definition revisions that no state holds.

A ``RegisterTaskDefinition`` the AWS SDK retries (its first answer lost) registers two
revisions: state records the second, and the first stays ACTIVE after every destroy (ECS has
no idempotency token for it). So a destroy sweeps the families the services stack declares.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def declared_families(stack_file: Path) -> list[str]:
    """The ``family`` of every ``aws_ecs_task_definition`` in a synthesized stack."""
    doc = json.loads(stack_file.read_text())
    blocks = doc.get("resource", {}).get("aws_ecs_task_definition", {})
    return sorted({str(block["family"]) for block in blocks.values()})


def deregister_strays(ecs: Any, families: Iterable[str]) -> list[str]:
    """Deregister every ACTIVE revision of ``families``; returns their ARNs.

    Only for after the stack that declares the families was destroyed.
    """
    swept: list[str] = []
    for family in families:  # familyPrefix takes the full family name
        pages = ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=family, status="ACTIVE"
        )
        for arn in [arn for page in pages for arn in page["taskDefinitionArns"]]:
            ecs.deregister_task_definition(taskDefinition=arn)
            swept.append(arn)
    return swept


def sweep_after_destroy(ecs: Any, stack_file: Path) -> list[str]:
    """Deregister what the destroyed stack's families left ACTIVE; one line per revision."""
    return [
        f"deregistered task definition {arn.rsplit('/', 1)[-1]}: still ACTIVE after the "
        "destroy and in no state (a retried RegisterTaskDefinition registers twice)"
        for arn in deregister_strays(ecs, declared_families(stack_file))
    ]
