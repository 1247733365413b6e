"""Names derived from an environment's name, defined once.

Tools that drive the stacks (deploy, rehearsal, containers, diagram) and the
stacks themselves all take stack names from ``stack_name``.
"""

from __future__ import annotations

from typing import Literal

StackKind = Literal["bootstrap", "foundation", "images", "services"]
STACK_KINDS: tuple[StackKind, ...] = ("bootstrap", "foundation", "images", "services")


def stack_name(env_name: str, kind: StackKind) -> str:
    """``("dev", "foundation")`` -> ``dev-foundation``."""
    if kind not in STACK_KINDS:
        raise ValueError(f"kind={kind!r}: not one of {STACK_KINDS}")
    return f"{env_name}-{kind}"


def is_bootstrap_stack(name: str) -> bool:
    """True for ``<env>-bootstrap`` stack names."""
    return name.endswith("-bootstrap")


def execution_role_name(name_prefix: str) -> str:
    """The ECS task execution role: ``ecs-learn-dev`` -> ``ecs-learn-dev-task-execution``."""
    return f"{name_prefix}-task-execution"


def task_role_name(name_prefix: str, service: str) -> str:
    """A service's task role: ``ecs-learn-dev``, ``frontend`` -> ``ecs-learn-dev-frontend-task``."""
    return f"{name_prefix}-{service}-task"


def flow_logs_role_name(name_prefix: str) -> str:
    """The role VPC flow logs write with (constructs/flow_logs.py names it this way)."""
    return f"{name_prefix}-flow-logs"


def workload_boundary_name(name_prefix: str) -> str:
    """The permissions boundary of every role the app stacks create (``<env>-bootstrap``
    makes it): ``ecs-learn-dev`` -> ``ecs-learn-dev-workload-boundary``."""
    return f"{name_prefix}-workload-boundary"
