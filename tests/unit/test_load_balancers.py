"""Public ALB for the frontend, internal ALB for the backend, IP target groups."""

import re

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy

from constructs.load_balancer import AppLoadBalancer, replacement_safe_name
from tests.synth import ref_name
from tests.unit.test_construct_inputs import ALB

STACK = "dev-foundation"


def lb(synthed, which, stack=STACK):
    return synthed.resource_by_path(stack, Lb.TF_RESOURCE_TYPE, f"{which}-alb/alb")


def test_external_alb_is_internet_facing_in_public_subnets(synthed):
    alb = lb(synthed, "external")
    assert alb["internal"] is False and alb["load_balancer_type"] == "application"
    assert [ref_name(s) for s in alb["subnets"]] == ["public-subnet-az1", "public-subnet-az2"]


def test_internal_alb_is_internal_in_private_subnets(synthed):
    alb = lb(synthed, "internal")
    assert alb["internal"] is True
    assert [ref_name(s) for s in alb["subnets"]] == ["private-subnet-az1", "private-subnet-az2"]


def test_albs_drop_invalid_headers(synthed):
    assert lb(synthed, "external")["drop_invalid_header_fields"] is True
    assert lb(synthed, "internal")["drop_invalid_header_fields"] is True


def test_deletion_protection_on_in_prod_only(synthed):
    assert lb(synthed, "external")["enable_deletion_protection"] is False
    assert lb(synthed, "external", "prod-foundation")["enable_deletion_protection"] is True


def test_target_groups_are_ip_type_with_health_checks_on_the_task_port(synthed):
    # The suffix is sha256("HTTP|ip|10.0.0.0/24")[:6], written out. The group's port is a
    # fixed default: ECS registers each task at its container port, where checks go.
    for name in ("ecs-learn-dev-frontend-5fc6c8", "ecs-learn-dev-backend-5fc6c8"):
        assert Testing.to_have_resource_with_properties(
            synthed.stacks[STACK],
            LbTargetGroup.TF_RESOURCE_TYPE,
            {
                "name": name,
                "target_type": "ip",
                "protocol": "HTTP",
                "port": 80,
                "health_check": {
                    "path": "/healthz",
                    "matcher": "200",
                    "enabled": True,
                    "port": "traffic-port",
                },
            },
        )


def test_a_port_change_leaves_the_foundation_as_it_is(synthed, synthed_ports):
    # GIVEN dev with both services on new ports WHEN synthesized
    # THEN the foundation is byte for byte the same: no target group is replaced, and
    # the services stack alone moves the tasks (and the rules that open their port).
    assert synthed_ports.stacks[STACK] == synthed.stacks[STACK]


def test_http_listeners_forward_to_target_groups_without_certificate(synthed):
    listeners = synthed.resources(STACK, LbListener.TF_RESOURCE_TYPE)
    assert sorted((x["port"], x["default_action"][0]["type"]) for x in listeners) == [
        (80, "forward"),
        (80, "forward"),
    ]


def test_certificate_adds_tls12_https_listener_and_redirects_http(synthed_tag_https):
    external = synthed_tag_https.resource_by_path(STACK, Lb.TF_RESOURCE_TYPE, "external-alb/alb")
    listeners = {
        x["port"]: x
        for x in synthed_tag_https.resources(STACK, LbListener.TF_RESOURCE_TYPE)
        if x["load_balancer_arn"].startswith("${aws_lb.external-alb_")
    }
    https = listeners[443]
    assert https["protocol"] == "HTTPS" and external["internal"] is False
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["certificate_arn"].startswith("arn:aws:acm:")
    assert https["default_action"][0]["type"] == "forward"
    redirect = listeners[80]["default_action"][0]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}


def test_matcher_rejects_a_wrong_property(synthed):
    # Guard: the cdktf matcher really fails on a mismatch.
    assert not Testing.to_have_resource_with_properties(
        synthed.stacks[STACK], LbTargetGroup.TF_RESOURCE_TYPE, {"target_type": "instance"}
    )


def test_target_groups_are_created_before_the_old_ones_are_destroyed(synthed):
    # GIVEN a change that forces a new target group (protocol, type, VPC)
    # THEN the new group gets a new name and exists before the listener leaves the old one.
    groups = synthed.resources(STACK, LbTargetGroup.TF_RESOURCE_TYPE)
    assert len(groups) == 2
    for group in groups:
        assert re.fullmatch(r"ecs-learn-dev-(frontend|backend)-[0-9a-f]{6}", group["name"])
        assert group["lifecycle"] == {"create_before_destroy": True}
        assert group["tags"]["Name"] == group["name"]


def test_target_group_name_changes_with_each_replacing_input():
    base = {"base": "b", "protocol": "HTTP", "target_type": "ip"}
    names = {
        replacement_safe_name(**{**base, "vpc_cidr": "10.0.0.0/24"}),
        replacement_safe_name(**{**base, "vpc_cidr": "10.1.0.0/24"}),
        replacement_safe_name(**{**base, "protocol": "HTTPS", "vpc_cidr": "10.0.0.0/24"}),
        replacement_safe_name(**{**base, "target_type": "instance", "vpc_cidr": "10.0.0.0/24"}),
    }
    assert len(names) == 4
    # Stable: the same inputs give the same name, written out (not computed again).
    assert replacement_safe_name(**{**base, "vpc_cidr": "10.0.0.0/24"}) == "b-5fc6c8"


def test_prod_target_group_names_fit_32_characters(synthed):
    for group in synthed.resources("prod-foundation", LbTargetGroup.TF_RESOURCE_TYPE):
        assert len(group["name"]) <= 32, group["name"]


def _bucket_policy_address(synthed, stack):
    """``aws_s3_bucket_policy.<id>`` of the access-log bucket's policy, found by its path."""
    policies = synthed.json(stack)["resource"]["aws_s3_bucket_policy"]
    (key,) = [
        k
        for k, r in policies.items()
        if r["//"]["metadata"]["path"].endswith("alb-access-logs/policy")
    ]
    return f"aws_s3_bucket_policy.{key}"


@pytest.mark.parametrize("which", ["external", "internal"])
def test_albs_logging_to_a_bucket_wait_for_its_policy(synthed, which):
    # ModifyLoadBalancerAttributes test-writes to the bucket when access logs go on.
    alb = lb(synthed, which, "prod-foundation")
    assert alb["access_logs"]["enabled"] is True
    assert alb["depends_on"] == [_bucket_policy_address(synthed, "prod-foundation")]


def test_albs_without_access_logs_wait_for_nothing(synthed):
    for which in ("external", "internal"):
        assert "depends_on" not in lb(synthed, which), which


def test_a_bucket_policy_to_wait_for_without_a_bucket_is_refused():
    stack = TerraformStack(Testing.app(), "refused")
    policy = S3BucketPolicy(stack, "policy", bucket="logs", policy="{}")
    with pytest.raises(ValueError, match=r"access_logs_policy with access_logs_bucket=None"):
        AppLoadBalancer(stack, "alb", **ALB, access_logs_policy=policy)
