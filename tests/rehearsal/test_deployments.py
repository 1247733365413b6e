"""The post-apply deployment check, against services in the emulator and against ECS's shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.rehearsal.conftest import Clients
from tests.rehearsal.fargate import fargate_service, task_definition, unique_name
from tools.deploy import cli, deployments
from tools.deploy.deployments import DeploymentCheckFailed, Expected

LOG_GROUP = "/ecs/ecs-learn-dev/backend"


CIRCUIT_BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}


def _service_on(aws: Clients, runs: str) -> tuple[str, str]:
    """A cluster and a two-task service running task definition ``runs``; their names."""
    cluster, service, _ = fargate_service(
        aws, runs, desiredCount=2, deploymentConfiguration=CIRCUIT_BREAKER
    )
    return cluster, service


def test_a_service_running_the_applied_revision_passes(aws: Clients) -> None:
    family = unique_name()
    task_definition(aws, family)
    applied = task_definition(aws, family)
    cluster, service = _service_on(aws, applied)
    expected = [Expected(service, cluster, applied, LOG_GROUP)]
    deployments.check(aws("ecs"), expected)


def test_a_rolled_back_service_fails_naming_service_rollback_and_logs(aws: Clients) -> None:
    # GIVEN the apply put the service on a new revision
    ecs, family = aws("ecs"), unique_name()
    previous = task_definition(aws, family)
    applied = task_definition(aws, family)
    cluster, service = _service_on(aws, applied)
    # WHEN the circuit breaker rolls it back to the previous revision (imitated)
    ecs.update_service(cluster=cluster, service=service, taskDefinition=previous)
    # THEN the check fails with one message: service, rollback, what runs, where the logs are
    expected = [Expected(service, cluster, applied, LOG_GROUP)]
    with pytest.raises(DeploymentCheckFailed) as caught:
        deployments.check(ecs, expected)
    message = str(caught.value)
    assert f"service {service}: rolled back" in message
    assert f"runs {previous}, not the task definition just applied ({applied})" in message
    assert f"Logs: CloudWatch log group {LOG_GROUP}" in message


def test_a_missing_service_fails(aws: Clients) -> None:
    family = unique_name()
    applied = task_definition(aws, family)
    cluster, _ = _service_on(aws, applied)
    with pytest.raises(DeploymentCheckFailed, match="service nope: not found in cluster"):
        deployments.check(aws("ecs"), [Expected("nope", cluster, applied, LOG_GROUP)])


class FakeEcs:
    def __init__(self, service: dict[str, Any]) -> None:
        self.service = service

    def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
        return {"services": [self.service], "failures": []}


def _described(*deployments_: dict[str, Any]) -> dict[str, Any]:
    return {"serviceName": "backend", "deployments": list(deployments_)}


APPLIED = "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/ecs-learn-dev-backend:7"
EXPECTED = [Expected("backend", "ecs-learn-dev", APPLIED, LOG_GROUP)]


def test_a_failed_rollout_on_the_applied_revision_fails() -> None:
    # ECS's own shape while the circuit breaker gives up on the new revision.
    failed = {
        "id": "ecs-svc/1",
        "status": "PRIMARY",
        "taskDefinition": APPLIED,
        "rolloutState": "FAILED",
        "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
    }
    with pytest.raises(DeploymentCheckFailed, match=r"deployment ecs-svc/1 \(PRIMARY\) is FAILED"):
        deployments.check(FakeEcs(_described(failed)), EXPECTED)


def test_a_completed_rollout_passes() -> None:
    done = {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": APPLIED}
    deployments.check(FakeEcs(_described({**done, "rolloutState": "COMPLETED"})), EXPECTED)


def test_expected_services_come_from_the_outputs_file(tmp_path: Path) -> None:
    outputs = {
        "dev-services": {
            "cluster_name": "ecs-learn-dev",
            "backend_service_name": "backend",
            "backend_task_definition_arn": APPLIED,
            "backend_log_group_name": LOG_GROUP,
            "frontend_url": "http://x",
        }
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    done = {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": APPLIED}
    assert deployments.check_outputs_file(FakeEcs(_described(done)), path, "dev-services") == (
        EXPECTED
    )


def test_an_unapplied_stack_is_reported() -> None:
    with pytest.raises(DeploymentCheckFailed, match="no outputs of dev-services"):
        deployments.expected_from_outputs({}, "dev-services")


def test_make_deploy_exits_1_when_an_alarm_rolled_the_release_back(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = "backend: rolled back to ...:2: ECS deployment alarms: alarm(s) x-backend-target-5xx"

    def rolled_back(*args: object, **kwargs: object) -> int:
        raise deployments.DeploymentCheckFailed(reason)

    monkeypatch.setenv("TARGET", "aws")
    monkeypatch.setattr(cli, "run_aws", rolled_back)
    monkeypatch.setattr(cli, "after_failure", lambda env_name: None)
    assert cli.main(["deploy", "--env", "dev"]) == 1
    assert capsys.readouterr().err == f"error: {reason}\n"
