"""What the emulator still holds, through boto3, and emptying the state bucket.

The emulator is private to one rehearsal, so after ``destroy`` it must hold
nothing but what moto creates by itself (the default VPC with its subnets,
security group and route table). AWS semantics are kept: a deleted ECS
cluster or service stays visible as ``INACTIVE``, a deleted VPC endpoint as
``deleted``, and deregistered task definitions as ``INACTIVE``; none of
those count as left over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3  # type: ignore[import-untyped]  # ships no type information

from tools.deploy.awsenv import FAKE_KEY_ID, FAKE_SECRET


def client(
    service: str, endpoint: str, region: str, session: Mapping[str, str] | None = None
) -> Any:
    """A boto3 client for the emulator: with its fake admin keys, or with the keys of
    ``session`` (STS ``Credentials``), whose calls the emulator authorizes as IAM would."""
    keys = {"aws_access_key_id": FAKE_KEY_ID, "aws_secret_access_key": FAKE_SECRET}
    if session is not None:
        keys = {
            "aws_access_key_id": session["AccessKeyId"],
            "aws_secret_access_key": session["SecretAccessKey"],
            "aws_session_token": session["SessionToken"],
        }
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **keys)


def _ec2(c: Callable[[str], Any]) -> Iterator[str]:
    ec2 = c("ec2")
    default = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")}
    for vpc in ec2.describe_vpcs()["Vpcs"]:
        if vpc["VpcId"] not in default:
            yield f"ec2 vpc {vpc['VpcId']} ({vpc['CidrBlock']})"
    for subnet in ec2.describe_subnets()["Subnets"]:
        if subnet["VpcId"] not in default:
            yield f"ec2 subnet {subnet['SubnetId']}"
    for sg in ec2.describe_security_groups()["SecurityGroups"]:
        if sg.get("VpcId") not in default:
            yield f"ec2 security group {sg['GroupId']} ({sg['GroupName']})"
    for table in ec2.describe_route_tables()["RouteTables"]:
        if table["VpcId"] not in default:
            yield f"ec2 route table {table['RouteTableId']}"
    for igw in ec2.describe_internet_gateways()["InternetGateways"]:
        if not {a["VpcId"] for a in igw.get("Attachments", [])} & default:
            yield f"ec2 internet gateway {igw['InternetGatewayId']}"
    for endpoint in ec2.describe_vpc_endpoints()["VpcEndpoints"]:
        if endpoint["State"].lower() != "deleted":
            yield f"ec2 vpc endpoint {endpoint['VpcEndpointId']} ({endpoint['ServiceName']})"
    for eni in ec2.describe_network_interfaces()["NetworkInterfaces"]:
        if eni["VpcId"] not in default:
            yield f"ec2 network interface {eni['NetworkInterfaceId']}"


def _elbv2(c: Callable[[str], Any]) -> Iterator[str]:
    elbv2 = c("elbv2")
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        yield f"elbv2 load balancer {lb['LoadBalancerName']}"
    for tg in elbv2.describe_target_groups()["TargetGroups"]:
        yield f"elbv2 target group {tg['TargetGroupName']}"


def _ecs(c: Callable[[str], Any]) -> Iterator[str]:
    ecs = c("ecs")
    arns = ecs.list_clusters()["clusterArns"]
    clusters = ecs.describe_clusters(clusters=arns)["clusters"] if arns else []
    for cluster in clusters:
        if cluster["status"] != "INACTIVE":
            yield f"ecs cluster {cluster['clusterName']}"
        services = ecs.list_services(cluster=cluster["clusterArn"])["serviceArns"]
        if services:
            described = ecs.describe_services(cluster=cluster["clusterArn"], services=services)
            for service in described["services"]:
                if service["status"] != "INACTIVE":
                    yield f"ecs service {cluster['clusterName']}/{service['serviceName']}"
    for arn in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]:
        yield f"ecs task definition {arn.rsplit('/', 1)[-1]}"


def _others(c: Callable[[str], Any]) -> Iterator[str]:
    for repo in c("ecr").describe_repositories()["repositories"]:
        yield f"ecr repository {repo['repositoryName']}"
    iam = c("iam")
    for role in iam.list_roles()["Roles"]:
        yield f"iam role {role['RoleName']}"
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        yield f"iam policy {policy['PolicyName']}"
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        yield f"iam oidc provider {provider['Arn']}"
    for group in c("logs").describe_log_groups()["logGroups"]:
        yield f"logs group {group['logGroupName']}"
    scaling = c("application-autoscaling")
    for target in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]:
        yield f"application-autoscaling target {target['ResourceId']}"
    for policy in scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]:
        yield f"application-autoscaling policy {policy['PolicyName']}"
    for bucket in c("s3").list_buckets()["Buckets"]:
        yield f"s3 bucket {bucket['Name']}"


def leftovers(endpoint: str, region: str) -> list[str]:
    """Everything in the emulator beyond moto's own defaults, one line each."""

    def c(service: str) -> Any:
        return client(service, endpoint, region)

    return [item for check in (_ec2, _elbv2, _ecs, _others) for item in check(c)]


def empty_bucket(endpoint: str, region: str, bucket: str) -> int:
    """Delete every object version and delete marker in ``bucket``; returns how many."""
    s3 = client("s3", endpoint, region)
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        items = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        if items:
            objects = [{"Key": i["Key"], "VersionId": i["VersionId"]} for i in items]
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
            deleted += len(objects)
    return deleted
