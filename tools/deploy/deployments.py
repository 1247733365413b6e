"""After an apply: does every service run the task definition that was just applied?

A deployment the circuit breaker rolled back is steady too, on the *previous* task
definition, and the apply still succeeds. So after each apply of ``<env>-services`` its
outputs are compared with each service's deployments (``describe_services``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ROLLBACK_WORDS = ("rolling back", "rolled back", "rollback", "circuit breaker")


class DeploymentCheckFailed(RuntimeError):
    """A service does not run what was applied, or its deployment failed or rolled back."""


@dataclass(frozen=True)
class Expected:
    """What one service should run after the apply, and where its logs go."""

    service: str
    cluster: str
    task_definition_arn: str
    log_group: str


def expected_from_outputs(outputs: Mapping[str, Any], stack: str) -> list[Expected]:
    """The services of ``stack`` from cdktf's ``--outputs-file`` content, sorted by name."""
    values = outputs.get(stack)
    if not values:
        raise DeploymentCheckFailed(f"no outputs of {stack}: was it applied?")
    suffix = "_task_definition_arn"
    names = sorted(key.removesuffix(suffix) for key in values if key.endswith(suffix))
    return [
        Expected(
            service=values[f"{name}_service_name"],
            cluster=values["cluster_name"],
            task_definition_arn=values[f"{name}{suffix}"],
            log_group=values[f"{name}_log_group_name"],
        )
        for name in names
    ]


def _problem(service: Mapping[str, Any], expected: Expected) -> str | None:
    deployments = service.get("deployments", [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    name = expected.service
    if primary is None:
        return f"service {name}: has no PRIMARY deployment"
    reason = primary.get("rolloutStateReason", "")
    running = primary.get("taskDefinition")
    if running != expected.task_definition_arn:
        return (
            f"service {name}: rolled back, its PRIMARY deployment {primary.get('id')} runs "
            f"{running}, not the task definition just applied ({expected.task_definition_arn})"
            + (f"; ECS says: {reason}" if reason else "")
        )
    for deployment in deployments:
        state = deployment.get("rolloutState")
        why = deployment.get("rolloutStateReason", "")
        if state == "FAILED" or any(word in why.lower() for word in _ROLLBACK_WORDS):
            return (
                f"service {name}: deployment {deployment.get('id')} ({deployment.get('status')}) "
                f"is {state}" + (f": {why}" if why else "")
            )
    return None


def problems(ecs: Any, expected: list[Expected]) -> list[str]:
    """One line per service that does not run what was applied; empty when all do."""
    found: list[str] = []
    clusters = sorted({e.cluster for e in expected})
    for cluster in clusters:
        wanted = [e for e in expected if e.cluster == cluster]
        described = ecs.describe_services(cluster=cluster, services=[e.service for e in wanted])
        by_name = {s["serviceName"]: s for s in described.get("services", [])}
        for exp in wanted:
            service = by_name.get(exp.service)
            problem = (
                f"service {exp.service}: not found in cluster {cluster}"
                if service is None
                else _problem(service, exp)
            )
            if problem:
                found.append(f"{problem}. Logs: CloudWatch log group {exp.log_group}")
    return found


def check(ecs: Any, expected: list[Expected]) -> None:
    """Raise ``DeploymentCheckFailed`` with every problem, one per line."""
    found = problems(ecs, expected)
    if found:
        raise DeploymentCheckFailed("the deploy did not take effect:\n  " + "\n  ".join(found))


def check_outputs_file(ecs: Any, outputs_file: Path, stack: str) -> list[Expected]:
    """``check`` the services of ``stack`` listed in cdktf's outputs file; returns them."""
    try:
        outputs = json.loads(outputs_file.read_text())
    except (OSError, ValueError) as exc:
        raise DeploymentCheckFailed(f"cannot read the outputs of {stack} ({exc})") from None
    expected = expected_from_outputs(outputs, stack)
    check(ecs, expected)
    return expected
