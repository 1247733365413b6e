"""``<env>-foundation``: the seed's "ECSの土台" (network, ALBs, ECR, cluster, IAM).

Built once and changed rarely; the services stack reads its outputs.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition

from config import EnvironmentConfig
from config.naming import execution_role_name, task_role_name
from constructs import Construct
from constructs.access_logs import AccessLogBucket
from constructs.ci_identity import deploy_role_arn
from constructs.cluster import Cluster
from constructs.endpoints import (
    DEFAULT_INTERFACE_SERVICES,
    EXEC_INTERFACE_SERVICE,
    SECRETS_INTERFACE_SERVICE,
    VpcEndpoints,
)
from constructs.flow_logs import FlowLogs
from constructs.iam import TaskExecutionRole, TaskRole
from constructs.load_balancer import AppLoadBalancer
from constructs.log_key import LogEncryptionKey
from constructs.network import Network
from constructs.registry import Registry
from constructs.security_groups import SecurityGroups
from constructs.workload_boundary import WorkloadBoundary, boundary_arn
from modules.common import EnvironmentStack, name_prefix


class FoundationStack(EnvironmentStack):
    """Network, security groups, endpoints, both ALBs, ECR, the cluster and IAM.

    Every role here carries ``<prefix>-workload-boundary`` as its permissions
    boundary; ``<env>-bootstrap`` creates that policy, so apply it first (with the
    local state backend there is no bootstrap, and this stack creates it).

    Attributes used by other stacks: ``network``, ``security_groups``,
    ``external_alb``, ``internal_alb``, ``registry``, ``cluster``,
    ``execution_role``, ``task_roles`` (keyed by service name).
    """

    def __init__(self, scope: Construct, stack_name: str, *, env: EnvironmentConfig) -> None:
        super().__init__(scope, stack_name, env=env)
        prefix = name_prefix(env)
        fe, be = env.frontend, env.backend
        lb_cfg = env.load_balancer
        account = DataAwsCallerIdentity(self, "account").account_id
        partition = DataAwsPartition(self, "partition").partition
        # The bootstrap's policy (modules/bootstrap.py), named, not looked up: a lookup
        # would need iam:GetPolicy, and the name is fixed by the prefix. Without a
        # bootstrap (local state) this stack creates it.
        boundary = boundary_arn(partition=partition, account=account, prefix=prefix)
        if env.state.backend == "local":
            boundary = WorkloadBoundary(
                self,
                "workload-boundary",
                partition=partition,
                region=env.region,
                account=account,
                env=env.name,
                prefix=prefix,
                repository=env.registry.repository_name,
                exec_enabled=env.exec_enabled,
            ).arn

        self.network = Network(
            self,
            "network",
            name_prefix=prefix,
            vpc_cidr=env.network.vpc_cidr,
            azs=env.azs,
            public_subnet_cidrs=env.network.public_subnet_cidrs,
            private_subnet_cidrs=env.network.private_subnet_cidrs,
        )
        self.security_groups = SecurityGroups(
            self,
            "security-groups",
            name_prefix=prefix,
            vpc_id=self.network.vpc_id,
            https_enabled=lb_cfg.certificate_arn is not None,
        )
        sgs = self.security_groups
        log_key = None
        if env.log_kms_encryption:
            deployer = deploy_role_arn(partition=partition, account=account, prefix=prefix)
            log_key = LogEncryptionKey(
                self,
                "log-key",
                alias=f"{prefix}-logs",
                region=env.region,
                administrators=(deployer,) if env.ci.github_repository else (),
            ).key_arn
        if env.network.flow_logs:
            FlowLogs(
                self,
                "flow-logs",
                name=prefix,
                vpc_id=self.network.vpc_id,
                retention_days=env.log_retention_days,
                permissions_boundary=boundary,
                source_account=account,
                kms_key_arn=log_key,
            )
        access_log_bucket = (
            AccessLogBucket(
                self,
                "alb-access-logs",
                bucket_prefix=f"{prefix}-alb-logs-",
                retention_days=env.log_retention_days,
                force_destroy=not lb_cfg.deletion_protection,
            )
            if lb_cfg.access_logs
            else None
        )
        access_logs = access_log_bucket.bucket_name if access_log_bucket else None
        access_logs_policy = access_log_bucket.bucket_policy if access_log_bucket else None
        # Tasks with secrets fetch them at start through Secrets Manager: no NAT, so an endpoint.
        has_secrets = any(s.secrets for s in env.services)
        VpcEndpoints(
            self,
            "endpoints",
            name_prefix=prefix,
            region=env.region,
            vpc_id=self.network.vpc_id,
            subnet_ids=self.network.private_subnet_ids,
            route_table_ids=[self.network.private_route_table_id],
            client_sg_ids={
                f"{fe.name}-tasks": sgs.frontend_tasks_sg_id,
                f"{be.name}-tasks": sgs.backend_tasks_sg_id,
            },
            interface_services=(
                *DEFAULT_INTERFACE_SERVICES,
                *((SECRETS_INTERFACE_SERVICE,) if has_secrets else ()),
                *((EXEC_INTERFACE_SERVICE,) if env.exec_enabled else ()),
            ),
        )
        self.external_alb = AppLoadBalancer(
            self,
            "external-alb",
            name=f"{prefix}-external",
            target_group_name=f"{prefix}-{fe.name}",
            internal=False,
            vpc_id=self.network.vpc_id,
            vpc_cidr=env.network.vpc_cidr,
            subnet_ids=self.network.public_subnet_ids,
            security_group_id=sgs.external_alb_sg_id,
            health_check_path=fe.health_check_path,
            certificate_arn=lb_cfg.certificate_arn,
            ssl_policy=lb_cfg.ssl_policy,
            deletion_protection=lb_cfg.deletion_protection,
            idle_timeout_seconds=lb_cfg.idle_timeout_seconds,
            access_logs_bucket=access_logs,
            access_logs_policy=access_logs_policy,
            waf_acl_arn=lb_cfg.waf_acl_arn,
        )
        self.internal_alb = AppLoadBalancer(
            self,
            "internal-alb",
            name=f"{prefix}-internal",
            target_group_name=f"{prefix}-{be.name}",
            internal=True,
            vpc_id=self.network.vpc_id,
            vpc_cidr=env.network.vpc_cidr,
            subnet_ids=self.network.private_subnet_ids,
            security_group_id=sgs.internal_alb_sg_id,
            health_check_path=be.health_check_path,
            deletion_protection=lb_cfg.deletion_protection,
            idle_timeout_seconds=lb_cfg.idle_timeout_seconds,
            access_logs_bucket=access_logs,
            access_logs_policy=access_logs_policy,
        )
        self.registry = Registry(
            self,
            "registry",
            repository_name=env.registry.repository_name,
            tag_prefixes=tuple(f"{s.name}-" for s in env.services),
            keep_images_per_prefix=env.registry.keep_images_per_prefix,
            force_delete=not lb_cfg.deletion_protection,
        )
        self.cluster = Cluster(
            self,
            "cluster",
            cluster_name=prefix,
            service_names=tuple(s.name for s in env.services),
            log_retention_days=env.log_retention_days,
            kms_key_arn=log_key,
        )
        self.execution_role = TaskExecutionRole(
            self,
            "task-execution-role",
            role_name=execution_role_name(prefix),
            repository_arn=self.registry.repository_arn,
            log_group_arns=list(self.cluster.log_group_arns.values()),
            permissions_boundary=boundary,
            source_account=account,
            secret_arns=[arn for s in env.services for arn in s.secrets.values()],
            secrets_kms_key_arns=sorted(
                {s.secrets_kms_key_arn for s in env.services if s.secrets_kms_key_arn}
            ),
            region=env.region,
        )
        self.task_roles = {
            s.name: TaskRole(
                self,
                f"task-role-{s.name}",
                role_name=task_role_name(prefix, s.name),
                service=s.name,
                permissions_boundary=boundary,
                source_account=account,
                exec_enabled=env.exec_enabled,
            )
            for s in env.services
        }

        outputs = {
            "vpc_id": self.network.vpc_id,
            "external_alb_dns_name": self.external_alb.dns_name,
            "internal_alb_dns_name": self.internal_alb.dns_name,
            "repository_url": self.registry.repository_url,
            "cluster_name": self.cluster.cluster_name,
        }
        for key, value in outputs.items():
            TerraformOutput(self, key, value=value)
