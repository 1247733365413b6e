"""Application Auto Scaling for one ECS service: CPU and ALB request count."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
)
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration as TargetTracking,
)
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification as Metric,  # noqa: E501
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget

from constructs import Construct


class ServiceAutoscaling(Construct):
    """A scalable target between ``min_capacity`` and ``max_capacity`` tasks, with
    target tracking on average CPU (``cpu_target_percent``) and on requests per
    target (``requests_per_target``, per minute, from the ALB).

    Policies are named ``<policy_name_prefix>-cpu-tracking`` and ``-requests-tracking``.
    Cooldowns default to 60 s out and 300 s in: scale out fast, in slowly.

    Attributes: ``resource_id``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        cluster_name: str,
        service_name: str,
        policy_name_prefix: str,
        min_capacity: int,
        max_capacity: int,
        cpu_target_percent: int,
        requests_per_target: int,
        alb_arn_suffix: str,
        target_group_arn_suffix: str,
        scale_out_cooldown: int = 60,
        scale_in_cooldown: int = 300,
    ) -> None:
        super().__init__(scope, id_)
        if min_capacity > max_capacity:
            raise ValueError(f"min_capacity={min_capacity} is above max_capacity={max_capacity}")
        target = AppautoscalingTarget(
            self,
            "target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster_name}/{service_name}",
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )
        self.resource_id = target.resource_id

        def policy(key: str, metric: str, value: int, label: str | None = None) -> None:
            AppautoscalingPolicy(
                self,
                key,
                name=f"{policy_name_prefix}-{key}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=TargetTracking(
                    target_value=value,
                    scale_in_cooldown=scale_in_cooldown,
                    scale_out_cooldown=scale_out_cooldown,
                    predefined_metric_specification=Metric(
                        predefined_metric_type=metric, resource_label=label
                    ),
                ),
            )

        policy("cpu-tracking", "ECSServiceAverageCPUUtilization", cpu_target_percent)
        policy(
            "requests-tracking",
            "ALBRequestCountPerTarget",
            requests_per_target,
            label=f"{alb_arn_suffix}/{target_group_arn_suffix}",
        )
