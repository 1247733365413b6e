"""VPC endpoints that replace a NAT gateway for tasks in private subnets."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint

from constructs import Construct
from constructs.sg_rules import allow_in, allow_out

HTTPS = 443
# What a Fargate task needs with no internet: ECR auth/API, image layers, and awslogs.
DEFAULT_INTERFACE_SERVICES = ("ecr.dkr", "ecr.api", "logs")
# What the ECS agent also needs when a task definition has ``secrets``.
SECRETS_INTERFACE_SERVICE = "secretsmanager"
# What ECS Exec's agent in the task talks to (Session Manager's channels).
EXEC_INTERFACE_SERVICE = "ssmmessages"


class VpcEndpoints(Construct):
    """Interface endpoints (private DNS on) and an S3 gateway endpoint.

    ECR stores image layers in S3, so pulls need the S3 *gateway* endpoint on the
    private route table; the seed lists s3 beside the interface endpoints.
    The endpoints get their own SG that accepts 443 only from ``client_sg_ids``,
    and each client SG gets egress 443 to that SG and to the S3 prefix list.

    Inputs: ``client_sg_ids`` maps a short name (``frontend-tasks``) to an SG id;
    ``interface_services`` defaults to ``ecr.dkr``, ``ecr.api`` and ``logs``.

    Attributes: ``security_group_id``, ``s3_prefix_list_id``, ``interface_endpoints``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name_prefix: str,
        region: str,
        vpc_id: str,
        subnet_ids: list[str],
        route_table_ids: list[str],
        client_sg_ids: Mapping[str, str],
        interface_services: tuple[str, ...] = DEFAULT_INTERFACE_SERVICES,
    ) -> None:
        super().__init__(scope, id_)
        if not client_sg_ids:
            raise ValueError("client_sg_ids={} leaves the endpoints unreachable")
        sg = SecurityGroup(
            self,
            "endpoints-sg",
            name_prefix=f"{name_prefix}-vpc-endpoints-",
            description="Interface VPC endpoints, HTTPS from tasks only",
            vpc_id=vpc_id,
            revoke_rules_on_delete=True,
            # Replacement-safe like the other groups (see ``SecurityGroups``).
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            tags={"Name": f"{name_prefix}-vpc-endpoints"},
        )
        self.security_group_id = sg.id

        self.interface_endpoints: dict[str, VpcEndpoint] = {}
        for service in interface_services:
            key = service.replace(".", "-")
            self.interface_endpoints[service] = VpcEndpoint(
                self,
                f"endpoint-{key}",
                vpc_id=vpc_id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=subnet_ids,
                security_group_ids=[sg.id],
                tags={"Name": f"{name_prefix}-{key}"},
            )
        s3 = VpcEndpoint(
            self,
            "endpoint-s3-gateway",
            vpc_id=vpc_id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=route_table_ids,
            tags={"Name": f"{name_prefix}-s3"},
        )
        self.s3_prefix_list_id = s3.prefix_list_id

        for client, client_sg in client_sg_ids.items():
            allow_in(
                self,
                f"endpoints-https-from-{client}",
                security_group_id=sg.id,
                port=HTTPS,
                peer_sg=client_sg,
                description=f"HTTPS to AWS APIs from {client}",
            )
            allow_out(
                self,
                f"{client}-https-to-endpoints",
                security_group_id=client_sg,
                port=HTTPS,
                peer_sg=sg.id,
                description="ECR and CloudWatch Logs through interface endpoints",
            )
            allow_out(
                self,
                f"{client}-https-to-s3",
                security_group_id=client_sg,
                port=HTTPS,
                prefix_list=s3.prefix_list_id,
                description="ECR image layers from S3 through the gateway endpoint",
            )
