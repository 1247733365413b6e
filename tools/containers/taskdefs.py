"""The task definitions' container settings, read from a fresh synth (never restated by hand).

``main.py`` runs with ``TARGET=local ENVS=<env>`` into a temporary directory; the
``container_definitions`` JSON of each ``aws_ecs_task_definition`` in ``<env>-services``
is parsed, and the ECR repository name comes from ``<env>-foundation``.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.naming import stack_name
from tools.containers.common import ContainersError
from tools.synthesize import SynthError, synthesize

# What ECS uses when a container definition names no stopTimeout (Fargate: 30 s).
ECS_DEFAULT_STOP_TIMEOUT = 30
TOKEN = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class HealthCheck:
    command: list[str]
    interval: int
    timeout: int
    retries: int
    start_period: int


@dataclass(frozen=True)
class TaskDefinition:
    """One service's single container, plus the task's cpu/memory."""

    service: str
    container: dict[str, Any]
    cpu: int
    memory: int
    repository: str

    @property
    def user(self) -> str:
        return str(self.container["user"])

    @property
    def read_only(self) -> bool:
        return bool(self.container.get("readonlyRootFilesystem"))

    @property
    def port(self) -> int:
        return int(self.container["portMappings"][0]["containerPort"])

    @property
    def environment(self) -> dict[str, str]:
        return {e["name"]: e["value"] for e in self.container.get("environment", [])}

    @property
    def health(self) -> HealthCheck:
        hc = self.container["healthCheck"]
        return HealthCheck(
            hc["command"], hc["interval"], hc["timeout"], hc["retries"], hc["startPeriod"]
        )

    @property
    def stop_timeout(self) -> int:
        return int(self.container.get("stopTimeout", ECS_DEFAULT_STOP_TIMEOUT))

    @property
    def tag(self) -> str:
        """``<service>-<version>``: the image tag the task definition names."""
        return str(self.container["image"]).rsplit(":", 1)[1]


def parse(outdir: Path, env_name: str) -> dict[str, TaskDefinition]:
    stacks = outdir / "stacks"
    services = json.loads((stacks / stack_name(env_name, "services") / "cdk.tf.json").read_text())
    foundation = json.loads(
        (stacks / stack_name(env_name, "foundation") / "cdk.tf.json").read_text()
    )
    (repo,) = foundation["resource"]["aws_ecr_repository"].values()
    tasks = {}
    for resource in services["resource"]["aws_ecs_task_definition"].values():
        (container,) = json.loads(resource["container_definitions"])
        tasks[container["name"]] = TaskDefinition(
            service=container["name"],
            container=container,
            cpu=int(resource["cpu"]),
            memory=int(resource["memory"]),
            repository=repo["name"],
        )
    return tasks


def read(env_name: str = "dev") -> dict[str, TaskDefinition]:
    """Synthesize ``env_name`` for the local target and return its task definitions."""
    with tempfile.TemporaryDirectory(prefix="containers-synth-") as outdir:
        try:
            synthesize(Path(outdir), {"TARGET": "local", "ENVS": env_name})
        except SynthError as exc:
            raise ContainersError(str(exc)) from exc
        return parse(Path(outdir), env_name)


def resolve_environment(task: TaskDefinition, references: dict[str, str]) -> dict[str, str]:
    """The container's environment with Terraform references replaced by local stand-ins.

    ``references`` maps a variable name to its local value (``BACKEND_URL`` -> the
    network alias). A reference the harness has no stand-in for is an error.
    """
    env = {}
    for name, value in task.environment.items():
        if TOKEN.search(value):
            if name not in references:
                raise ContainersError(
                    f"{task.service}: {name}={value!r} refers to infrastructure that has "
                    "no local stand-in"
                )
            value = references[name]
        env[name] = value
    return env
