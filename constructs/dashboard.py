"""A CloudWatch dashboard of one environment: each service's tasks, targets and ALB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import Fn
from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard

from constructs import Construct

WIDTH, HEIGHT = 6, 6  # a row of four widgets per service (the grid is 24 wide)


@dataclass(frozen=True)
class DashboardService:
    """One service on the dashboard: its ECS name and its ALB metrics' dimensions."""

    name: str
    alb_arn_suffix: str
    target_group_arn_suffix: str


def _widget(title: str, metrics: list[list[Any]], region: str, x: int, y: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "metrics": metrics,
            "period": 60,
            "view": "timeSeries",
        },
    }


class EnvironmentDashboard(Construct):
    """``dashboard_name``: per service (a row each) CPU and memory, running tasks, target
    5xx and response time, and healthy/unhealthy hosts; then the ALBs' request counts.

    ``cluster_name`` is the ECS cluster (Container Insights gives ``RunningTaskCount``);
    the ALB dimensions are the arn suffixes CloudWatch uses. Nothing is optional.

    Attributes: ``dashboard_name``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        dashboard_name: str,
        region: str,
        cluster_name: str,
        services: Sequence[DashboardService],
    ) -> None:
        super().__init__(scope, id_)
        if not services:
            raise ValueError(f"dashboard_name={dashboard_name!r} with services=[]: nothing to show")
        widgets = []
        for row, svc in enumerate(services):
            ecs = ["ClusterName", cluster_name, "ServiceName", svc.name]
            alb = ["LoadBalancer", svc.alb_arn_suffix, "TargetGroup", svc.target_group_arn_suffix]
            y = row * HEIGHT
            widgets += [
                _widget(
                    f"{svc.name}: CPU and memory (%)",
                    [["AWS/ECS", "CPUUtilization", *ecs], ["AWS/ECS", "MemoryUtilization", *ecs]],
                    region,
                    0,
                    y,
                ),
                _widget(
                    f"{svc.name}: running tasks",
                    [["ECS/ContainerInsights", "RunningTaskCount", *ecs]],
                    region,
                    WIDTH,
                    y,
                ),
                _widget(
                    f"{svc.name}: target 5xx and response time",
                    [
                        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *alb, {"stat": "Sum"}],
                        ["AWS/ApplicationELB", "TargetResponseTime", *alb, {"stat": "p90"}],
                    ],
                    region,
                    2 * WIDTH,
                    y,
                ),
                _widget(
                    f"{svc.name}: healthy hosts",
                    [
                        ["AWS/ApplicationELB", "HealthyHostCount", *alb, {"stat": "Minimum"}],
                        ["AWS/ApplicationELB", "UnHealthyHostCount", *alb, {"stat": "Maximum"}],
                    ],
                    region,
                    3 * WIDTH,
                    y,
                ),
            ]
        requests = [
            [
                "AWS/ApplicationELB",
                "RequestCount",
                "LoadBalancer",
                svc.alb_arn_suffix,
                {"stat": "Sum"},
            ]
            for svc in services
        ]
        widgets.append(_widget("ALB requests", requests, region, 0, len(services) * HEIGHT))
        dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=dashboard_name,
            dashboard_body=Fn.jsonencode({"widgets": widgets}),
        )
        self.dashboard_name = dashboard.dashboard_name
