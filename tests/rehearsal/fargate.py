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


def from_group(port: int, group: str) -> list[dict[str, Any]]:
    """``IpPermissions`` for TCP ``port`` to or from the security group ``group``."""
    return [
        {
            "IpProtocol": "tcp",
            "FromPort": port,
            "ToPort": port,
            "UserIdGroupPairs": [{"GroupId": group}],
        }
    ]


def balanced_service(
    aws: Clients, *, port: int = 3000, desired: int = 2, listener: bool = True
) -> dict[str, str]:
    """An ALB whose security group reaches a Fargate service's tasks on ``port``, its
    target group (used by a listener unless ``listener`` is off) and the service behind it.
    Returns the ids: vpc, alb_sg, task_sg, group, listener (or ""), cluster, service."""
    ecs, ec2, elbv2 = aws("ecs"), aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/24")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.2.0.0/26", "ap-northeast-1a"), ("10.2.0.64/26", "ap-northeast-1c"))
    ]
    alb_sg, task_sg = (
        ec2.create_security_group(GroupName=unique_name(), Description=d, VpcId=vpc)["GroupId"]
        for d in ("alb", "tasks")
    )
    ec2.revoke_security_group_egress(
        GroupId=alb_sg,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.authorize_security_group_egress(GroupId=alb_sg, IpPermissions=from_group(port, task_sg))
    ec2.authorize_security_group_ingress(GroupId=task_sg, IpPermissions=from_group(port, alb_sg))
    alb = elbv2.create_load_balancer(
        Name=unique_name(), Subnets=subnets, SecurityGroups=[alb_sg], Type="application"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(
        Name=unique_name(), Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    listener_arn = ""
    if listener:
        listener_arn = elbv2.create_listener(
            LoadBalancerArn=alb,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
        )["Listeners"][0]["ListenerArn"]
    cluster = ecs.create_cluster(clusterName=unique_name())["cluster"]["clusterName"]
    service = unique_name()
    ecs.create_service(
        cluster=cluster,
        serviceName=service,
        taskDefinition=task_definition(aws, unique_name()),
        launchType="FARGATE",
        desiredCount=desired,
        loadBalancers=[{"targetGroupArn": group, "containerName": "app", "containerPort": port}],
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [task_sg]}
        },
    )
    return {
        "vpc": vpc,
        "alb": alb,
        "alb_sg": alb_sg,
        "task_sg": task_sg,
        "group": group,
        "listener": listener_arn,
        "cluster": cluster,
        "service": service,
    }


def target_health(aws: Clients, group: str) -> list[tuple[str, int, str]]:
    """(ip, port, state) of every target in ``group``, sorted."""
    found = aws("elbv2").describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    return sorted(
        (t["Target"]["Id"], t["Target"]["Port"], t["TargetHealth"]["State"]) for t in found
    )
