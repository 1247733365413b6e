"""Constructs refuse conflicting inputs in ``__init__``, naming both values."""

from pathlib import Path

import pytest
from cdktf import TerraformStack, Testing

from constructs.autoscaling import ServiceAutoscaling
from constructs.endpoints import VpcEndpoints
from constructs.iam import TaskExecutionRole
from constructs.image import EcrImage
from constructs.load_balancer import AppLoadBalancer
from constructs.network import Network
from constructs.registry import Registry
from constructs.security_groups import SecurityGroups
from constructs.service import FargateService

CERT = "arn:aws:acm:ap-northeast-1:123456789012:certificate/x"


@pytest.fixture
def stack() -> TerraformStack:
    return TerraformStack(Testing.app(), "inputs")


def alb(stack, **changes):
    props = {
        "name": "ecs-learn-dev-internal",
        "target_group_name": "ecs-learn-dev-backend",
        "internal": True,
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.0.0.0/24",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "security_group_id": "sg-1",
        "target_port": 8080,
        "health_check_path": "/healthz",
    }
    return AppLoadBalancer(stack, "alb", **{**props, **changes})


def test_internal_alb_with_certificate_is_refused(stack):
    with pytest.raises(ValueError, match=r"internal=True with certificate_arn='arn:aws:acm:"):
        alb(stack, certificate_arn=CERT)


def test_internal_alb_with_waf_is_refused(stack):
    with pytest.raises(ValueError, match=r"internal=True with waf_acl_arn='arn:waf'"):
        alb(stack, waf_acl_arn="arn:waf")


def test_alb_name_longer_than_32_is_refused(stack):
    with pytest.raises(ValueError, match=r"name='x{33}' is longer than the 32 characters"):
        alb(stack, name="x" * 33)


def test_target_group_name_too_long_with_its_hash_is_refused(stack):
    # 26 characters fit ELB's 32 alone, but not with the "-<6 hex>" suffix.
    with pytest.raises(
        ValueError, match=r"target_group_name='x{26}' with its hash suffix is 'x{26}-[0-9a-f]{6}'"
    ):
        alb(stack, target_group_name="x" * 26)


def test_same_ports_for_both_services_are_refused(stack):
    with pytest.raises(ValueError, match=r"frontend_port=3000 and backend_port=3000 must differ"):
        SecurityGroups(
            stack,
            "sgs",
            name_prefix="p",
            vpc_id="vpc-1",
            frontend_port=3000,
            backend_port=3000,
            https_enabled=False,
        )


def test_subnet_counts_must_match_azs(stack):
    with pytest.raises(ValueError, match=r"azs=\('a', 'b'\) needs one subnet each"):
        Network(
            stack,
            "net",
            name_prefix="p",
            vpc_cidr="10.0.0.0/24",
            azs=("a", "b"),
            public_subnet_cidrs=("10.0.0.0/26",),
            private_subnet_cidrs=("10.0.0.128/26", "10.0.0.192/26"),
        )


def test_endpoints_without_clients_are_refused(stack):
    with pytest.raises(ValueError, match=r"client_sg_ids=\{\} leaves the endpoints unreachable"):
        VpcEndpoints(
            stack,
            "vpce",
            name_prefix="p",
            region="ap-northeast-1",
            vpc_id="vpc-1",
            subnet_ids=["s"],
            route_table_ids=["r"],
            client_sg_ids={},
        )


def test_scaling_minimum_above_maximum_is_refused(stack):
    with pytest.raises(ValueError, match=r"min_capacity=5 is above max_capacity=2"):
        ServiceAutoscaling(
            stack,
            "scaling",
            cluster_name="c",
            service_name="s",
            policy_name_prefix="p",
            min_capacity=5,
            max_capacity=2,
            cpu_target_percent=60,
            requests_per_target=500,
            alb_arn_suffix="a",
            target_group_arn_suffix="t",
        )


def test_duplicate_tag_prefixes_are_refused(stack):
    with pytest.raises(ValueError, match=r"tag_prefixes=\('web-', 'web-'\) must be distinct"):
        Registry(
            stack,
            "ecr",
            repository_name="r",
            tag_prefixes=("web-", "web-"),
            keep_images_per_prefix=5,
        )


def test_execution_role_without_log_groups_is_refused(stack):
    with pytest.raises(ValueError, match=r"log_group_arns=\[\] leaves the awslogs driver"):
        TaskExecutionRole(stack, "exec", role_name="r", repository_arn="arn", log_group_arns=[])


def test_secrets_key_without_secrets_is_refused(stack):
    key = "arn:aws:kms:ap-northeast-1:123456789012:key/k-1"
    with pytest.raises(
        ValueError, match=r"secrets_kms_key_arns=\['arn:aws:kms:.*'\] with secret_arns=\[\]"
    ):
        TaskExecutionRole(
            stack,
            "exec",
            role_name="r",
            repository_arn="arn",
            log_group_arns=["l"],
            secret_arns=[],
            secrets_kms_key_arns=[key],
            region="ap-northeast-1",
        )


def test_secrets_key_that_is_not_a_key_arn_is_refused(stack):
    alias = "arn:aws:kms:ap-northeast-1:123456789012:alias/secrets"
    with pytest.raises(ValueError, match=r"secrets_kms_key_arns has '.*:alias/secrets', not a KMS"):
        TaskExecutionRole(
            stack,
            "exec",
            role_name="r",
            repository_arn="arn",
            log_group_arns=["l"],
            secret_arns=["arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:x"],
            secrets_kms_key_arns=[alias],
            region="ap-northeast-1",
        )


def test_variable_both_plain_and_secret_is_refused(stack):
    secret = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:x"
    with pytest.raises(ValueError, match=r"environment and secrets both set \['TOKEN'\]"):
        FargateService(
            stack,
            "svc",
            family="f",
            service_name="s",
            container_name="c",
            image="i",
            port=8080,
            cpu=256,
            memory=512,
            region="ap-northeast-1",
            cluster_arn="c",
            execution_role_arn="e",
            task_role_arn="t",
            log_group_name="l",
            subnet_ids=["s"],
            security_group_id="sg",
            target_group_arn="tg",
            desired_count=2,
            health_check_grace_seconds=60,
            environment={"TOKEN": "plain"},
            secrets={"TOKEN": secret},
        )


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


def test_certificate_without_ssl_policy_is_refused(stack):
    with pytest.raises(ValueError, match=r"certificate_arn='arn:aws:acm:.* with ssl_policy=None"):
        alb(stack, internal=False, certificate_arn=CERT)
