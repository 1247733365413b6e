"""Each service rolls back on its own target 5xx and unhealthy-host alarms (deployment alarms)."""

from __future__ import annotations

import pytest
from cdktf import TerraformStack, Testing

from constructs.deployment_alarms import DeploymentAlarms
from tests.synth import Synth

STACK = "dev-services"


def _alarms(synthed: Synth) -> dict[str, dict[str, object]]:
    return {a["alarm_name"]: a for a in synthed.resources(STACK, "aws_cloudwatch_metric_alarm")}


def test_each_service_has_a_5xx_and_an_unhealthy_hosts_alarm(synthed: Synth) -> None:
    assert sorted(_alarms(synthed)) == [
        "ecs-learn-dev-backend-target-5xx",
        "ecs-learn-dev-backend-unhealthy-hosts",
        "ecs-learn-dev-frontend-target-5xx",
        "ecs-learn-dev-frontend-unhealthy-hosts",
    ]


def test_the_5xx_alarm_counts_target_errors_per_minute(synthed: Synth) -> None:
    alarm = _alarms(synthed)["ecs-learn-dev-backend-target-5xx"]
    assert {k: alarm[k] for k in ("namespace", "metric_name", "statistic", "period")} == {
        "namespace": "AWS/ApplicationELB",
        "metric_name": "HTTPCode_Target_5XX_Count",
        "statistic": "Sum",
        "period": 60,
    }
    assert alarm["threshold"] == 10 and alarm["treat_missing_data"] == "notBreaching"
    dims = alarm["dimensions"]
    assert isinstance(dims, dict) and sorted(dims) == ["LoadBalancer", "TargetGroup"]
    # the backend's alarm watches the internal ALB's group, not the external one
    assert (
        "internal-alb" in dims["LoadBalancer"]
        and "internal-alb_target-group" in dims["TargetGroup"]
    )


def test_the_unhealthy_alarm_needs_two_bad_minutes(synthed: Synth) -> None:
    alarm = _alarms(synthed)["ecs-learn-dev-frontend-unhealthy-hosts"]
    assert (alarm["metric_name"], alarm["statistic"]) == ("UnHealthyHostCount", "Maximum")
    assert (alarm["evaluation_periods"], alarm["threshold"]) == (2, 1)
    assert "external-alb" in str(alarm["dimensions"])


def test_each_service_rolls_back_on_its_own_alarms(synthed: Synth) -> None:
    for service in synthed.resources(STACK, "aws_ecs_service"):
        alarms = service["alarms"]
        assert alarms["enable"] is True and alarms["rollback"] is True
        names = " ".join(alarms["alarm_names"])
        assert f"{service['name']}-deployment-alarms_target-5xx" in names
        assert f"{service['name']}-deployment-alarms_unhealthy-hosts" in names


def test_a_zero_error_threshold_is_refused() -> None:
    stack = TerraformStack(Testing.app(), "s")
    with pytest.raises(ValueError, match="error_threshold=0 must be at least 1"):
        DeploymentAlarms(
            stack,
            "alarms",
            alarm_name_prefix="p",
            alb_arn_suffix="app/x/1",
            target_group_arn_suffix="targetgroup/y/2",
            error_threshold=0,
        )
