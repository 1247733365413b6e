"""ECS objects the emulator tests build: a task definition and a Fargate service to run it."""

from __future__ import annotations

import uuid
from typing import Any

from tests.rehearsal.conftest import Clients


def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def task_definition(aws: Clients, family: str) -> str:
    """A new revision of ``family`` (one nginx container); returns its ARN."""
    arn: str = aws("ecs").register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    return arn


def fargate_service(
    aws: Clients, runs: str | None = None, **create: Any
) -> tuple[str, str, dict[str, Any]]:
    """A cluster and a Fargate service in it running task definition ``runs`` (default: a new
    one), one task unless ``create`` says otherwise; returns (cluster, service, described)."""
    ecs, ec2 = aws("ecs"), aws("ec2")
    cluster = ecs.create_cluster(clusterName=unique_name())["cluster"]["clusterName"]
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/24")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/26")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName=unique_name(), Description="t", VpcId=vpc)["GroupId"]
    service = unique_name()
    ecs.create_service(
        cluster=cluster,
        serviceName=service,
        taskDefinition=runs or task_definition(aws, unique_name()),
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}},
        **{"desiredCount": 1, **create},
    )
    described = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    return cluster, service, described
