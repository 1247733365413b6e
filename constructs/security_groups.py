"""Security groups for the ALBs and tasks, chained by SG reference.

The seed shares one task SG open on 3000/8080. Here each hop allows only the
previous hop: internet -> external ALB -> frontend tasks -> internal ALB ->
backend tasks. The rules that open a service's port (an ALB to its tasks) live beside
the service, in ``LoadBalancerToTasks``; those for the VPC endpoints in ``VpcEndpoints``.
"""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.security_group import SecurityGroup

from constructs import Construct
from constructs.sg_rules import allow_in, allow_out

HTTP = 80
HTTPS = 443


class SecurityGroups(Construct):
    """Four security groups with least-privilege rules, each keyed by name.

    Inputs: ``https_enabled`` adds 443 from the internet to the external ALB.
    The internal ALB listens on HTTP 80 only, inside the VPC.

    A description or VPC change replaces a security group. The ALB groups are
    named ``<name_prefix>-<key>-<unique suffix>`` (tag ``Name`` without the
    suffix) and created before the old one is destroyed, so the ALB moves to
    the new group in the same apply. The task groups keep a fixed name. Every
    group is also used from the services stack (the services, and the rules that
    open their ports), which is applied only after the foundation, so an old group
    cannot be deleted while those still use it: replacing one takes two deploys
    (add, move, then remove).

    Attributes: ``external_alb_sg_id``, ``frontend_tasks_sg_id``,
    ``internal_alb_sg_id``, ``backend_tasks_sg_id``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name_prefix: str,
        vpc_id: str,
        https_enabled: bool,
    ) -> None:
        super().__init__(scope, id_)

        def group(key: str, description: str, *, replaceable: bool) -> str:
            name = f"{name_prefix}-{key}"
            sg = SecurityGroup(
                self,
                key,
                name=None if replaceable else name,
                name_prefix=f"{name}-" if replaceable else None,
                description=description,
                vpc_id=vpc_id,
                tags={"Name": name},
                # Rules are separate resources; inline blocks would fight them.
                revoke_rules_on_delete=True,
                lifecycle=(
                    TerraformResourceLifecycle(create_before_destroy=True) if replaceable else None
                ),
            )
            return sg.id

        ext_alb = group("external-alb", "Public ALB for the frontend", replaceable=True)
        frontend = group("frontend-tasks", "Frontend Fargate tasks", replaceable=False)
        int_alb = group("internal-alb", "Internal ALB for the backend API", replaceable=True)
        backend = group("backend-tasks", "Backend Fargate tasks", replaceable=False)

        allow_in(
            self,
            "external-alb-http-from-internet",
            security_group_id=ext_alb,
            port=HTTP,
            cidr="0.0.0.0/0",
            description="HTTP from the internet (redirected to HTTPS when a certificate is set)",
        )
        if https_enabled:
            allow_in(
                self,
                "external-alb-https-from-internet",
                security_group_id=ext_alb,
                port=HTTPS,
                cidr="0.0.0.0/0",
                description="HTTPS from the internet",
            )
        allow_out(
            self,
            "frontend-tasks-to-internal-alb",
            security_group_id=frontend,
            port=HTTP,
            peer_sg=int_alb,
            description="Frontend calls the backend API through the internal ALB",
        )
        allow_in(
            self,
            "internal-alb-http-from-frontend-tasks",
            security_group_id=int_alb,
            port=HTTP,
            peer_sg=frontend,
            description="HTTP only from frontend tasks",
        )

        self.external_alb_sg_id = ext_alb
        self.frontend_tasks_sg_id = frontend
        self.internal_alb_sg_id = int_alb
        self.backend_tasks_sg_id = backend
