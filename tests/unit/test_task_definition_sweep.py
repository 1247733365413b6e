"""After a destroy, no revision of the destroyed stack's task-definition families stays ACTIVE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tools.deploy import task_definitions

REGION = "ap-northeast-1"
CONTAINER = [{"name": "app", "image": "img", "memory": 64}]


@pytest.fixture
def ecs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ecs", region_name=REGION)


def _register(ecs: Any, family: str) -> str:
    out = ecs.register_task_definition(family=family, containerDefinitions=CONTAINER)
    return str(out["taskDefinition"]["taskDefinitionArn"])


def _stack_file(tmp_path: Path, *families: str) -> Path:
    blocks = {
        f"td{i}": {"family": f, "container_definitions": "[]"} for i, f in enumerate(families)
    }
    path = tmp_path / "cdk.tf.json"
    path.write_text(json.dumps({"resource": {"aws_ecs_task_definition": blocks}}))
    return path


def test_declared_families_reads_the_synthesized_stack(tmp_path: Path) -> None:
    path = _stack_file(tmp_path, "ecs-learn-dev-frontend", "ecs-learn-dev-backend")
    assert task_definitions.declared_families(path) == [
        "ecs-learn-dev-backend",
        "ecs-learn-dev-frontend",
    ]


def test_sweep_deregisters_a_stray_revision_left_active(ecs: Any, tmp_path: Path) -> None:
    # GIVEN revision 1 registered by a request whose answer was lost, revision 2 by its retry,
    # and the destroy deregistered revision 2 (the one state held)
    stray, kept = _register(ecs, "ecs-learn-dev-frontend"), _register(ecs, "ecs-learn-dev-frontend")
    ecs.deregister_task_definition(taskDefinition=kept)
    # WHEN the destroy sweeps the stack's families
    lines = task_definitions.sweep_after_destroy(
        ecs, _stack_file(tmp_path, "ecs-learn-dev-frontend")
    )
    # THEN the stray is INACTIVE and named in the output
    assert lines and "ecs-learn-dev-frontend:1" in lines[0]
    assert ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"] == []
    assert ecs.describe_task_definition(taskDefinition=stray)["taskDefinition"]["status"] == (
        "INACTIVE"
    )


def test_sweep_leaves_families_with_the_same_prefix_alone(ecs: Any, tmp_path: Path) -> None:
    # GIVEN another family whose name starts with the swept one
    other = _register(ecs, "ecs-learn-dev-frontend-canary")
    declared = _register(ecs, "ecs-learn-dev-frontend")
    # WHEN the sweep runs THEN only the declared family is deregistered
    assert task_definitions.deregister_strays(ecs, ["ecs-learn-dev-frontend"]) == [declared]
    assert ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"] == [other]


def test_sweep_after_a_clean_destroy_says_nothing(ecs: Any, tmp_path: Path) -> None:
    ecs.deregister_task_definition(taskDefinition=_register(ecs, "ecs-learn-dev-backend"))
    assert (
        task_definitions.sweep_after_destroy(ecs, _stack_file(tmp_path, "ecs-learn-dev-backend"))
        == []
    )
