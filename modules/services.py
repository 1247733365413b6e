"""``<env>-services``: the seed's "土台の上でECSサービス/タスクを実行".

One task definition, service and autoscaling policy set per app, so frontend
and backend deploy and scale independently. Everything it needs from the
foundation arrives through cdktf cross-stack references.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformOutput

from config import EnvironmentConfig, ServiceConfig
from constructs import Construct
from constructs.autoscaling import ServiceAutoscaling
from constructs.dashboard import DashboardService, EnvironmentDashboard
from constructs.deployment_alarms import DeploymentAlarms
from constructs.load_balancer import AppLoadBalancer
from constructs.service import FargateService
from constructs.task_ingress import LoadBalancerToTasks
from modules.common import EnvironmentStack, name_prefix
from modules.foundation import FoundationStack


class ServicesStack(EnvironmentStack):
    """Frontend and backend Fargate services behind their ALBs.

    ``images`` maps each service name to the image reference to run: a
    digest-pinned reference from the images stack, or ``<repo>:<svc>-<version>``.
    The frontend gets the internal ALB's URL as ``BACKEND_URL``.

    Outputs, per service: ``<svc>_service_name``, ``<svc>_task_definition_arn``
    and ``<svc>_log_group_name``; and ``cluster_name``, ``frontend_url``,
    ``dashboard_name`` (the environment's CloudWatch dashboard).

    Attributes: ``services`` (keyed by service name).
    """

    def __init__(
        self,
        scope: Construct,
        stack_name: str,
        *,
        env: EnvironmentConfig,
        foundation: FoundationStack,
        images: Mapping[str, str],
    ) -> None:
        super().__init__(scope, stack_name, env=env)
        missing = [s.name for s in env.services if s.name not in images]
        if missing:
            raise ValueError(f"images={dict(images)!r} has no image for services {missing}")
        self.add_dependency(foundation)
        prefix = name_prefix(env)
        sgs = foundation.security_groups
        # service -> (its ALB, the ALB's key and group, the tasks' group, extra environment)
        wiring: dict[str, tuple[AppLoadBalancer, str, str, str, dict[str, str]]] = {
            env.frontend.name: (
                foundation.external_alb,
                "external-alb",
                sgs.external_alb_sg_id,
                sgs.frontend_tasks_sg_id,
                {"BACKEND_URL": foundation.internal_alb.url},
            ),
            env.backend.name: (
                foundation.internal_alb,
                "internal-alb",
                sgs.internal_alb_sg_id,
                sgs.backend_tasks_sg_id,
                {},
            ),
        }

        self.services: dict[str, FargateService] = {}
        for svc in env.services:
            alb, alb_key, alb_sg_id, sg_id, extra_env = wiring[svc.name]
            ingress = LoadBalancerToTasks(
                self,
                f"{svc.name}-ingress",
                lb_key=alb_key,
                tasks_key=f"{svc.name}-tasks",
                load_balancer_sg_id=alb_sg_id,
                tasks_sg_id=sg_id,
                port=svc.port,
            )
            self.services[svc.name] = self._service(
                svc, env, foundation, prefix, images[svc.name], alb, sg_id, extra_env, ingress
            )
            service = self.services[svc.name]
            # What tools.deploy.deployments checks after an apply.
            TerraformOutput(self, f"{svc.name}_service_name", value=service.service_name)
            TerraformOutput(
                self, f"{svc.name}_task_definition_arn", value=service.task_definition_arn
            )
            TerraformOutput(
                self,
                f"{svc.name}_log_group_name",
                value=foundation.cluster.log_group_names[svc.name],
            )
        dashboard = EnvironmentDashboard(
            self,
            "dashboard",
            dashboard_name=prefix,
            region=env.region,
            cluster_name=foundation.cluster.cluster_name,
            services=[
                DashboardService(
                    s.name, wiring[s.name][0].arn_suffix, wiring[s.name][0].target_group_arn_suffix
                )
                for s in env.services
            ],
        )
        TerraformOutput(self, "dashboard_name", value=dashboard.dashboard_name)
        TerraformOutput(self, "cluster_name", value=foundation.cluster.cluster_name)
        TerraformOutput(self, "frontend_url", value=foundation.external_alb.url)

    def _service(
        self,
        svc: ServiceConfig,
        env: EnvironmentConfig,
        foundation: FoundationStack,
        prefix: str,
        image: str,
        alb: AppLoadBalancer,
        security_group_id: str,
        extra_env: dict[str, str],
        ingress: LoadBalancerToTasks,
    ) -> FargateService:
        environment = {"PORT": str(svc.port), "APP_VERSION": env.app_version, **extra_env}
        environment.update(svc.environment)
        alarms = DeploymentAlarms(
            self,
            f"{svc.name}-deployment-alarms",
            alarm_name_prefix=f"{prefix}-{svc.name}",
            alb_arn_suffix=alb.arn_suffix,
            target_group_arn_suffix=alb.target_group_arn_suffix,
        )
        service = FargateService(
            self,
            f"{svc.name}-service",
            family=f"{prefix}-{svc.name}",
            service_name=svc.name,
            container_name=svc.name,
            image=image,
            port=svc.port,
            cpu=svc.cpu,
            memory=svc.memory,
            region=env.region,
            cluster_arn=foundation.cluster.cluster_arn,
            execution_role_arn=foundation.execution_role.role_arn,
            task_role_arn=foundation.task_roles[svc.name].role_arn,
            log_group_name=foundation.cluster.log_group_names[svc.name],
            subnet_ids=foundation.network.private_subnet_ids,
            security_group_id=security_group_id,
            target_group_arn=alb.target_group_arn,
            desired_count=svc.desired_count,
            health_check_grace_seconds=svc.health_check_grace_seconds,
            environment=environment,
            secrets=svc.secrets,
            alarm_names=alarms.alarm_names,
            depends_on=ingress.rules,
            exec_enabled=env.exec_enabled,
        )
        ServiceAutoscaling(
            self,
            f"{svc.name}-autoscaling",
            cluster_name=foundation.cluster.cluster_name,
            service_name=service.service_name,
            policy_name_prefix=f"{prefix}-{svc.name}",
            min_capacity=svc.min_capacity,
            max_capacity=svc.max_capacity,
            cpu_target_percent=svc.cpu_target_percent,
            requests_per_target=svc.requests_per_target,
            alb_arn_suffix=alb.arn_suffix,
            target_group_arn_suffix=alb.target_group_arn_suffix,
        )
        return service
