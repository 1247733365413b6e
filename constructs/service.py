"""A Fargate task definition and the ECS service that runs it behind an ALB."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceAlarms,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
    EcsServiceTimeouts,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
)

from constructs import Construct

# Both images ship this one script (apps/common/healthcheck.py), which probes the app on
# $PORT; the images' HEALTHCHECK runs the same command.
CONTAINER_HEALTH_CHECK = ["CMD", "python", "/app/common/healthcheck.py"]
FARGATE_PLATFORM_VERSION = "1.4.0"
# ECS Exec's agent writes here; with a read-only root these are task volumes (writable,
# the task's own). AWS's ECS Exec considerations call a read-only root unsupported; this
# is the workaround reported in aws/containers-roadmap#1359, not tested on AWS here.
AGENT_PATHS = {
    "exec-managed-agents": "/managed-agents",
    "exec-ssm-lib": "/var/lib/amazon/ssm",
    "exec-ssm-log": "/var/log/amazon/ssm",
}
# Pulling an image, starting Fargate tasks and passing ALB health checks takes
# minutes; a circuit-breaker rollback adds the same again.
DEFAULT_DEPLOY_TIMEOUT = "20m"


def container_definitions(
    *,
    name: str,
    image: str,
    port: int,
    region: str,
    log_group_name: str,
    environment: Mapping[str, str],
    secrets: Mapping[str, str],
    agent_volumes: bool = False,
) -> str:
    """The task's single container, as the JSON string ECS expects.

    hostPort equals containerPort: ``awsvpc`` mode gives each task its own IP.
    ``agent_volumes`` (default off) mounts the ``AGENT_PATHS`` volumes writable.
    """
    container = {
        "name": name,
        "image": image,
        "essential": True,
        "portMappings": [{"containerPort": port, "hostPort": port, "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())],
        "readonlyRootFilesystem": True,
        "privileged": False,
        "user": "10001",
        "healthCheck": {
            "command": CONTAINER_HEALTH_CHECK,
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group_name,
                "awslogs-region": region,
                "awslogs-stream-prefix": name,
            },
        },
    }
    if agent_volumes:
        container["mountPoints"] = [
            {"sourceVolume": volume, "containerPath": path, "readOnly": False}
            for volume, path in AGENT_PATHS.items()
        ]
    return json.dumps([container], sort_keys=True)


class FargateService(Construct):
    """One service: its task definition and its ECS service in private subnets.

    Deployments roll back automatically when new tasks fail (circuit breaker) or
    when one of ``alarm_names`` (default none) goes off during the deployment (ECS
    deployment alarms), keep 100 % healthy capacity while replacing tasks, and wait
    ``health_check_grace_seconds`` before ALB health checks count.
    ``desired_count`` is only the initial size: afterwards the autoscaler owns
    it, so Terraform ignores changes to it.

    Terraform waits for a steady state (one deployment, all desired tasks
    running) before an apply succeeds, so a deploy whose tasks never become
    healthy fails instead of reporting success; ``deploy_timeout`` (default
    ``20m``) bounds the wait on create and update, and the drain on delete.
    ``exec_enabled`` (default off) turns ECS Exec on (``enable_execute_command``) and
    gives its agent writable task volumes (``AGENT_PATHS``); the root stays read-only.
    ``depends_on`` (default none) is what the service must wait for, such as the rules
    that open its port: on a port change they are replaced before the service rolls,
    and the old ones deleted after it settled.

    Attributes: ``service_name``, ``task_definition_arn``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        family: str,
        service_name: str,
        container_name: str,
        image: str,
        port: int,
        cpu: int,
        memory: int,
        region: str,
        cluster_arn: str,
        execution_role_arn: str,
        task_role_arn: str,
        log_group_name: str,
        subnet_ids: list[str],
        security_group_id: str,
        target_group_arn: str,
        desired_count: int,
        health_check_grace_seconds: int,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        deploy_timeout: str = DEFAULT_DEPLOY_TIMEOUT,
        alarm_names: list[str] | None = None,
        depends_on: Sequence[ITerraformDependable] = (),
        exec_enabled: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        clash = set(environment or {}) & set(secrets or {})
        if clash:
            raise ValueError(f"environment and secrets both set {sorted(clash)}")
        task = EcsTaskDefinition(
            self,
            "task-definition",
            family=family,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(cpu),
            memory=str(memory),
            execution_role_arn=execution_role_arn,
            task_role_arn=task_role_arn,
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            container_definitions=container_definitions(
                name=container_name,
                image=image,
                port=port,
                region=region,
                log_group_name=log_group_name,
                environment=environment or {},
                secrets=secrets or {},
                agent_volumes=exec_enabled,
            ),
            volume=[EcsTaskDefinitionVolume(name=v) for v in AGENT_PATHS] if exec_enabled else None,
        )
        service = EcsService(
            self,
            "service",
            name=service_name,
            cluster=cluster_arn,
            task_definition=task.arn,
            launch_type="FARGATE",
            platform_version=FARGATE_PLATFORM_VERSION,
            desired_count=desired_count,
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(
                enable=True, rollback=True
            ),
            alarms=(
                EcsServiceAlarms(alarm_names=alarm_names, enable=True, rollback=True)
                if alarm_names
                else None
            ),
            health_check_grace_period_seconds=health_check_grace_seconds,
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=subnet_ids, security_groups=[security_group_id], assign_public_ip=False
            ),
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=target_group_arn,
                    container_name=container_name,
                    container_port=port,
                )
            ],
            propagate_tags="SERVICE",
            enable_execute_command=exec_enabled,
            enable_ecs_managed_tags=True,
            wait_for_steady_state=True,
            timeouts=EcsServiceTimeouts(
                create=deploy_timeout, update=deploy_timeout, delete=deploy_timeout
            ),
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"]),
            depends_on=list(depends_on) or None,
        )
        self.service_name = service.name
        self.task_definition_arn = task.arn
