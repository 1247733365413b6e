"""CloudWatch alarms that roll an ECS deployment back when the new tasks misbehave."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm

from constructs import Construct

ALB_NAMESPACE = "AWS/ApplicationELB"


class DeploymentAlarms(Construct):
    """Two alarms on one service's target group, for ECS deployment alarms.

    The circuit breaker rolls back only tasks that fail to start or to pass health
    checks; these roll back tasks that start and then fail requests:

    * ``<alarm_name_prefix>-target-5xx``: the targets answered at least
      ``error_threshold`` (default 10) 5xx responses in one ``period_seconds``
      (default 60) period;
    * ``<alarm_name_prefix>-unhealthy-hosts``: a target was unhealthy for two
      periods in a row.

    Missing data (no traffic) counts as fine. ``alb_arn_suffix`` and
    ``target_group_arn_suffix`` are the metrics' ``LoadBalancer`` and
    ``TargetGroup`` dimensions.

    Attributes: ``alarm_names`` (for the service's ``alarms`` block).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        alarm_name_prefix: str,
        alb_arn_suffix: str,
        target_group_arn_suffix: str,
        error_threshold: int = 10,
        period_seconds: int = 60,
    ) -> None:
        super().__init__(scope, id_)
        if error_threshold < 1:
            raise ValueError(f"error_threshold={error_threshold} must be at least 1")
        dimensions = {"LoadBalancer": alb_arn_suffix, "TargetGroup": target_group_arn_suffix}
        errors = CloudwatchMetricAlarm(
            self,
            "target-5xx",
            alarm_name=f"{alarm_name_prefix}-target-5xx",
            alarm_description="5xx answers from the service's tasks (ECS deployment alarm)",
            namespace=ALB_NAMESPACE,
            metric_name="HTTPCode_Target_5XX_Count",
            dimensions=dimensions,
            statistic="Sum",
            period=period_seconds,
            evaluation_periods=1,
            threshold=error_threshold,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
        )
        unhealthy = CloudwatchMetricAlarm(
            self,
            "unhealthy-hosts",
            alarm_name=f"{alarm_name_prefix}-unhealthy-hosts",
            alarm_description="Unhealthy targets in the service's group (ECS deployment alarm)",
            namespace=ALB_NAMESPACE,
            metric_name="UnHealthyHostCount",
            dimensions=dimensions,
            statistic="Maximum",
            period=period_seconds,
            evaluation_periods=2,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
        )
        self.alarm_names: list[str] = [errors.alarm_name, unhealthy.alarm_name]
