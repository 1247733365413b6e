"""The ECS cluster and one CloudWatch log group per service."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting

from constructs import Construct


class Cluster(Construct):
    """A Fargate-only ECS cluster with Container Insights, plus service log groups.

    Inputs: ``service_names`` get a log group ``/ecs/<cluster_name>/<service>``
    each, kept ``log_retention_days``; ``kms_key_arn`` (default none) encrypts them.
    Container Insights' own group, ``/aws/ecs/containerinsights/<cluster_name>/performance``,
    is created here first, with the same retention and key: ECS writes to it if it
    exists, and would otherwise create it outside Terraform, kept forever.

    Attributes: ``cluster_arn``, ``cluster_name``, ``log_group_names`` and
    ``log_group_arns`` (both keyed by service name).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        cluster_name: str,
        service_names: tuple[str, ...],
        log_retention_days: int,
        kms_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        insights = CloudwatchLogGroup(
            self,
            "log-group-insights",
            name=f"/aws/ecs/containerinsights/{cluster_name}/performance",
            retention_in_days=log_retention_days,
            kms_key_id=kms_key_arn,
        )
        cluster = EcsCluster(
            self,
            "cluster",
            name=cluster_name,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled")],
            depends_on=[insights],
        )
        self.cluster_arn = cluster.arn
        self.cluster_name = cluster.name
        self.log_group_names: dict[str, str] = {}
        self.log_group_arns: dict[str, str] = {}
        for service in service_names:
            group = CloudwatchLogGroup(
                self,
                f"log-group-{service}",
                name=f"/ecs/{cluster_name}/{service}",
                retention_in_days=log_retention_days,
                kms_key_id=kms_key_arn,
            )
            self.log_group_names[service] = group.name
            self.log_group_arns[service] = group.arn
