"""An application load balancer with one IP target group and its listeners."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation

from constructs import Construct


class AppLoadBalancer(Construct):
    """An ALB forwarding to a target group of Fargate task IPs.

    Fargate tasks in ``awsvpc`` mode register by IP, so the target group type is
    ``ip`` and its port is the container port. Invalid HTTP headers are dropped.

    With ``certificate_arn`` (default none) an HTTPS listener on 443 uses
    ``ssl_policy`` (required then; the project's default lives in the config)
    and port 80 redirects to it; without one, port 80 forwards.
    ``deletion_protection`` defaults to off; ``idle_timeout_seconds`` to 60;
    ``deregistration_delay_seconds`` to 30 (tasks drain fast on deploys).
    ``access_logs_bucket`` (default none) receives access logs under ``<name>/``;
    ``waf_acl_arn`` (default none) associates a WAFv2 web ACL.

    Attributes: ``lb``, ``dns_name``, ``arn_suffix``, ``target_group_arn``,
    ``target_group_arn_suffix``, ``url``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        target_group_name: str,
        internal: bool,
        vpc_id: str,
        subnet_ids: list[str],
        security_group_id: str,
        target_port: int,
        health_check_path: str,
        certificate_arn: str | None = None,
        ssl_policy: str | None = None,
        deletion_protection: bool = False,
        idle_timeout_seconds: int = 60,
        deregistration_delay_seconds: int = 30,
        access_logs_bucket: str | None = None,
        waf_acl_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        if internal and certificate_arn:
            raise ValueError(
                f"internal={internal} with certificate_arn={certificate_arn!r}: "
                "the internal ALB serves HTTP inside the VPC only"
            )
        for label, value in (("name", name), ("target_group_name", target_group_name)):
            if len(value) > 32:
                raise ValueError(f"{label}={value!r} is longer than the 32 characters ELB allows")
        if certificate_arn and not ssl_policy:
            raise ValueError(
                f"certificate_arn={certificate_arn!r} with ssl_policy={ssl_policy!r}: "
                "an HTTPS listener needs a security policy"
            )
        if internal and waf_acl_arn:
            raise ValueError(
                f"internal={internal} with waf_acl_arn={waf_acl_arn!r}: WAF is for the public ALB"
            )
        self.lb = Lb(
            self,
            "alb",
            name=name,
            load_balancer_type="application",
            internal=internal,
            subnets=subnet_ids,
            security_groups=[security_group_id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=deletion_protection,
            idle_timeout=idle_timeout_seconds,
            access_logs=(
                LbAccessLogs(bucket=access_logs_bucket, prefix=name, enabled=True)
                if access_logs_bucket
                else None
            ),
            tags={"Name": name},
        )
        if waf_acl_arn:
            Wafv2WebAclAssociation(self, "waf", resource_arn=self.lb.arn, web_acl_arn=waf_acl_arn)
        target_group = LbTargetGroup(
            self,
            "target-group",
            name=target_group_name,
            target_type="ip",
            protocol="HTTP",
            port=target_port,
            vpc_id=vpc_id,
            deregistration_delay=str(deregistration_delay_seconds),
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                protocol="HTTP",
                path=health_check_path,
                port="traffic-port",
                matcher="200",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            tags={"Name": target_group_name},
        )
        forward = LbListenerDefaultAction(type="forward", target_group_arn=target_group.arn)
        if certificate_arn:
            LbListener(
                self,
                "https-listener",
                load_balancer_arn=self.lb.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=ssl_policy,
                certificate_arn=certificate_arn,
                default_action=[forward],
            )
            redirect = LbListenerDefaultAction(
                type="redirect",
                redirect=LbListenerDefaultActionRedirect(
                    port="443", protocol="HTTPS", status_code="HTTP_301"
                ),
            )
            LbListener(
                self,
                "http-listener",
                load_balancer_arn=self.lb.arn,
                port=80,
                protocol="HTTP",
                default_action=[redirect],
            )
        else:
            LbListener(
                self,
                "http-listener",
                load_balancer_arn=self.lb.arn,
                port=80,
                protocol="HTTP",
                default_action=[forward],
            )
        scheme = "https" if certificate_arn else "http"
        self.dns_name = self.lb.dns_name
        self.arn_suffix = self.lb.arn_suffix
        self.target_group_arn = target_group.arn
        self.target_group_arn_suffix = target_group.arn_suffix
        self.url = f"{scheme}://{self.lb.dns_name}"
