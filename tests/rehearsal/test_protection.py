"""The destroy guard against the emulator: real DescribeLoadBalancers and attributes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.rehearsal.conftest import Clients
from tools.deploy import protection


def _balancer(aws: Clients, *, protected: bool) -> str:
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/24")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.4.0.0/26", "ap-northeast-1a"), ("10.4.0.64/26", "ap-northeast-1c"))
    ]
    name = f"t{uuid.uuid4().hex[:10]}"
    arn = elbv2.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[{"Key": "deletion_protection.enabled", "Value": str(protected).lower()}],
    )
    return name


def _stack(tmp_path: Path, *names: str) -> Path:
    path = tmp_path / "cdk.tf.json"
    albs = {f"alb{i}": {"name": n} for i, n in enumerate(names)}
    path.write_text(json.dumps({"resource": {"aws_lb": albs}}))
    return path


def test_protected_balancer_in_the_emulator_refuses_the_destroy(aws: Clients, tmp_path: Path):
    protected = _balancer(aws, protected=True)
    unprotected = _balancer(aws, protected=False)
    stack = _stack(tmp_path, protected, unprotected, "not-deployed")
    with pytest.raises(protection.ProtectedResources, match=rf"load balancer\(s\) {protected},"):
        protection.check_destroy_allowed(aws("elbv2"), stack, "prod")


def test_unprotected_balancers_in_the_emulator_allow_the_destroy(aws: Clients, tmp_path: Path):
    stack = _stack(tmp_path, _balancer(aws, protected=False), "not-deployed")
    protection.check_destroy_allowed(aws("elbv2"), stack, "dev")
