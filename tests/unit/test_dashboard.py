"""The environment's CloudWatch dashboard, in the services stack."""

from __future__ import annotations

import re

import pytest
from cdktf import TerraformStack, Testing
from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard

from constructs.dashboard import DashboardService, EnvironmentDashboard

STACK = "dev-services"


def body(synthed) -> str:
    """The dashboard body as synthesized: ``${jsonencode({...})}`` with Terraform references
    (cross-stack outputs) inside, so it is read as text."""
    (dashboard,) = synthed.resources(STACK, CloudwatchDashboard.TF_RESOURCE_TYPE)
    return str(dashboard["dashboard_body"])


def test_one_dashboard_per_environment_named_after_it(synthed):
    assert Testing.to_have_resource_with_properties(
        synthed.stacks[STACK],
        CloudwatchDashboard.TF_RESOURCE_TYPE,
        {"dashboard_name": "ecs-learn-dev"},
    )
    assert "dashboard_name" in synthed.json(STACK)["output"]


@pytest.mark.parametrize("service", ["frontend", "backend"])
def test_each_service_has_cpu_memory_tasks_5xx_latency_and_hosts(synthed, service):
    text = body(synthed)
    for part in (
        "CPU and memory",
        "running tasks",
        "target 5xx and response time",
        "healthy hosts",
    ):
        assert f'"title" = "{service}: {part}' in text, part
    for metric in (
        "CPUUtilization",
        "MemoryUtilization",
        "RunningTaskCount",
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "HealthyHostCount",
        "UnHealthyHostCount",
        "RequestCount",
    ):
        assert f'"{metric}"' in text, metric


def test_the_alb_metrics_name_each_service_s_own_load_balancer_and_target_group(synthed):
    found = re.findall(
        r'"HTTPCode_Target_5XX_Count", "LoadBalancer", ([^,]+), "TargetGroup", ([^,]+),',
        body(synthed),
    )
    assert len(found) == 2
    (external, external_group), (internal, internal_group) = found  # frontend, then backend
    assert "aws_lbexternal-alb_" in external and "external-alb_target-group" in external_group
    assert "aws_lbinternal-alb_" in internal and "internal-alb_target-group" in internal_group


def test_a_dashboard_without_services_is_refused():
    stack = TerraformStack(Testing.app(), "s")
    with pytest.raises(ValueError, match=r"dashboard_name='d' with services=\[\]"):
        EnvironmentDashboard(
            stack, "d", dashboard_name="d", region="r", cluster_name="c", services=[]
        )


def test_dashboard_service_carries_the_alb_dimensions():
    svc = DashboardService("frontend", "app/x/1", "targetgroup/y/2")
    assert (svc.alb_arn_suffix, svc.target_group_arn_suffix) == ("app/x/1", "targetgroup/y/2")
