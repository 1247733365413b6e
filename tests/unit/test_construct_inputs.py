"""Constructs refuse conflicting inputs in ``__init__``, naming both values."""

from pathlib import Path
from typing import Any

import pytest
from cdktf import TerraformStack, Testing

from constructs.autoscaling import ServiceAutoscaling
from constructs.endpoints import VpcEndpoints
from constructs.iam import TaskExecutionRole
from constructs.image import EcrImage
from constructs.load_balancer import AppLoadBalancer
from constructs.network import Network
from constructs.registry import Registry
from constructs.service import FargateService
from constructs.task_ingress import LoadBalancerToTasks

CERT = "arn:aws:acm:ap-northeast-1:123456789012:certificate/x"
SECRET = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:x"

# Inputs each construct accepts; a case below changes one or two of them.
ALB = {
    "name": "ecs-learn-dev-internal",
    "target_group_name": "ecs-learn-dev-backend",
    "internal": True,
    "vpc_id": "vpc-1",
    "vpc_cidr": "10.0.0.0/24",
    "subnet_ids": ["subnet-1", "subnet-2"],
    "security_group_id": "sg-1",
    "health_check_path": "/healthz",
}
TASK_INGRESS = {
    "lb_key": "external-alb",
    "tasks_key": "frontend-tasks",
    "load_balancer_sg_id": "sg-1",
    "tasks_sg_id": "sg-2",
    "port": 3000,
}
NETWORK = {
    "name_prefix": "p",
    "vpc_cidr": "10.0.0.0/24",
    "azs": ("a", "b"),
    "public_subnet_cidrs": ("10.0.0.0/26", "10.0.0.64/26"),
    "private_subnet_cidrs": ("10.0.0.128/26", "10.0.0.192/26"),
}
ENDPOINTS = {
    "name_prefix": "p",
    "region": "ap-northeast-1",
    "vpc_id": "vpc-1",
    "subnet_ids": ["s"],
    "route_table_ids": ["r"],
    "client_sg_ids": {"frontend-tasks": "sg-1"},
}
AUTOSCALING = {
    "cluster_name": "c",
    "service_name": "s",
    "policy_name_prefix": "p",
    "min_capacity": 2,
    "max_capacity": 4,
    "cpu_target_percent": 60,
    "requests_per_target": 500,
    "alb_arn_suffix": "a",
    "target_group_arn_suffix": "t",
}
REGISTRY = {"repository_name": "r", "tag_prefixes": ("web-", "api-"), "keep_images_per_prefix": 5}
EXECUTION_ROLE = {
    "role_name": "r",
    "repository_arn": "arn",
    "log_group_arns": ["l"],
    "region": "ap-northeast-1",
    "permissions_boundary": "arn:aws:iam::123456789012:policy/ecs-learn-dev-workload-boundary",
    "source_account": "123456789012",
}
SERVICE = {
    "family": "f",
    "service_name": "s",
    "container_name": "c",
    "image": "i",
    "port": 8080,
    "cpu": 256,
    "memory": 512,
    "region": "ap-northeast-1",
    "cluster_arn": "c",
    "execution_role_arn": "e",
    "task_role_arn": "t",
    "log_group_name": "l",
    "subnet_ids": ["s"],
    "security_group_id": "sg",
    "target_group_arn": "tg",
    "desired_count": 2,
    "health_check_grace_seconds": 60,
}


@pytest.fixture
def stack() -> TerraformStack:
    return TerraformStack(Testing.app(), "inputs")


@pytest.mark.parametrize(
    ("construct", "props", "changes", "match"),
    [
        pytest.param(
            AppLoadBalancer,
            ALB,
            {"certificate_arn": CERT},
            r"internal=True with certificate_arn='arn:aws:acm:",
            id="internal ALB with a certificate",
        ),
        pytest.param(
            AppLoadBalancer,
            ALB,
            {"waf_acl_arn": "arn:waf"},
            r"internal=True with waf_acl_arn='arn:waf'",
            id="internal ALB with a WAF",
        ),
        pytest.param(
            AppLoadBalancer,
            ALB,
            {"name": "x" * 33},
            r"name='x{33}' is longer than the 32 characters",
            id="ALB name longer than 32",
        ),
        pytest.param(
            AppLoadBalancer,
            ALB,
            # 26 characters fit ELB's 32 alone, but not with the "-<6 hex>" suffix.
            {"target_group_name": "x" * 26},
            r"target_group_name='x{26}' with its hash suffix is 'x{26}-[0-9a-f]{6}'",
            id="target group name too long with its hash",
        ),
        pytest.param(
            AppLoadBalancer,
            ALB,
            {"internal": False, "certificate_arn": CERT},
            r"certificate_arn='arn:aws:acm:.* with ssl_policy=None",
            id="certificate without an SSL policy",
        ),
        pytest.param(
            LoadBalancerToTasks,
            TASK_INGRESS,
            {"tasks_key": "external-alb"},
            r"lb_key='external-alb' and tasks_key='external-alb' must differ",
            id="a load balancer's rules to itself",
        ),
        pytest.param(
            Network,
            NETWORK,
            {"public_subnet_cidrs": ("10.0.0.0/26",)},
            r"azs=\('a', 'b'\) needs one subnet each",
            id="subnet count not matching the AZs",
        ),
        pytest.param(
            VpcEndpoints,
            ENDPOINTS,
            {"client_sg_ids": {}},
            r"client_sg_ids=\{\} leaves the endpoints unreachable",
            id="endpoints without clients",
        ),
        pytest.param(
            ServiceAutoscaling,
            AUTOSCALING,
            {"min_capacity": 5, "max_capacity": 2},
            r"min_capacity=5 is above max_capacity=2",
            id="scaling minimum above maximum",
        ),
        pytest.param(
            Registry,
            REGISTRY,
            {"tag_prefixes": ("web-", "web-")},
            r"tag_prefixes=\('web-', 'web-'\) must be distinct",
            id="duplicate tag prefixes",
        ),
        pytest.param(
            TaskExecutionRole,
            EXECUTION_ROLE,
            {"log_group_arns": []},
            r"log_group_arns=\[\] leaves the awslogs driver",
            id="execution role without log groups",
        ),
        pytest.param(
            TaskExecutionRole,
            EXECUTION_ROLE,
            {
                "secret_arns": [],
                "secrets_kms_key_arns": ["arn:aws:kms:ap-northeast-1:123456789012:key/k-1"],
            },
            r"secrets_kms_key_arns=\['arn:aws:kms:.*'\] with secret_arns=\[\]",
            id="secrets key without secrets",
        ),
        pytest.param(
            TaskExecutionRole,
            EXECUTION_ROLE,
            {
                "secret_arns": [SECRET],
                "secrets_kms_key_arns": ["arn:aws:kms:ap-northeast-1:123456789012:alias/secrets"],
            },
            r"secrets_kms_key_arns has '.*:alias/secrets', not a KMS",
            id="secrets key that is not a key ARN",
        ),
        pytest.param(
            TaskExecutionRole,
            EXECUTION_ROLE,
            {"permissions_boundary": ""},
            r"permissions_boundary='' leaves the role uncapped",
            id="execution role without a boundary",
        ),
        pytest.param(
            FargateService,
            SERVICE,
            {"environment": {"TOKEN": "plain"}, "secrets": {"TOKEN": SECRET}},
            r"environment and secrets both set \['TOKEN'\]",
            id="variable both plain and secret",
        ),
    ],
)
def test_conflicting_inputs_are_refused(
    stack: TerraformStack,
    construct: Any,
    props: dict[str, Any],
    changes: dict[str, Any],
    match: str,
) -> None:
    with pytest.raises(ValueError, match=match):
        construct(stack, "refused", **{**props, **changes})


def image(stack, context_dir: Path, **changes):
    props = {
        "context_dir": context_dir,
        "dockerfile": "web/Dockerfile",
        "sources": ("web", "common"),
        "repository_url": "r",
        "tag": "web-1.0.0",
    }
    return EcrImage(stack, "img", **{**props, **changes})


def test_image_dockerfile_missing_from_the_context_is_refused(stack, tmp_path: Path):
    with pytest.raises(
        ValueError, match=rf"dockerfile='web/Dockerfile' is not a file in '{tmp_path}'"
    ):
        image(stack, tmp_path)


def test_image_source_missing_from_the_context_is_refused(stack, tmp_path: Path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text("FROM scratch\n")

    with pytest.raises(ValueError, match=rf"\['common'\] not in '{tmp_path}'"):
        image(stack, tmp_path)


def test_image_sources_without_the_dockerfile_are_refused(stack, tmp_path: Path):
    # a Dockerfile change must rebuild the image, so its folder must be hashed
    for folder in ("web", "common"):
        (tmp_path / folder).mkdir()
    (tmp_path / "web" / "Dockerfile").write_text("FROM scratch\n")

    with pytest.raises(
        ValueError, match=r"sources=\['common'\] do not include dockerfile='web/Dockerfile'"
    ):
        image(stack, tmp_path, sources=("common",))
