"""The built image against its task definition: what decides behaviour is compared, not EXPOSE."""

from __future__ import annotations

from typing import Any

from tools.containers.build import disagreements
from tools.containers.taskdefs import TaskDefinition

CHECK = ["CMD", "python", "/app/common/healthcheck.py"]


def task(port: int, port_env: str) -> TaskDefinition:
    container = {
        "name": "frontend",
        "image": "repo:frontend-0.1.0",
        "user": "10001",
        "portMappings": [{"containerPort": port, "hostPort": port}],
        "environment": [{"name": "PORT", "value": port_env}],
        "healthCheck": {
            "command": CHECK,
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
    }
    return TaskDefinition("frontend", container, 256, 512, "repo")


def image(**config: Any) -> dict[str, Any]:
    base = {"User": "10001", "Healthcheck": {"Test": CHECK}, "ExposedPorts": {"3000/tcp": {}}}
    return {"Config": {**base, "Env": ["PORT=3000"], **config}}


def test_a_port_change_in_the_config_agrees_with_the_image_built_for_3000() -> None:
    # GIVEN the frontend moved to 3001 in the config (task PORT and mapping both 3001)
    # THEN the image's EXPOSE 3000 and ENV PORT=3000, defaults the task overrides, are fine
    assert disagreements(image(), task(3001, "3001")) == []


def test_a_task_whose_port_variable_is_not_its_mapped_port_disagrees() -> None:
    (line,) = disagreements(image(), task(3001, "3000"))
    assert line == "PORT: the task definition sets PORT=3000, its port mapping 3001"


def test_an_image_running_as_root_still_disagrees() -> None:
    (line,) = disagreements(image(User=""), task(3000, "3000"))
    assert line.startswith("USER: the image runs as 'root (no USER)'")
