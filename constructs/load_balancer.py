"""An application load balancer with one IP target group and its listeners."""

from __future__ import annotations

import hashlib

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation

from constructs import Construct

ELB_NAME_MAX = 32
TARGET_GROUP_PROTOCOL = "HTTP"
TARGET_GROUP_TYPE = "ip"
# ECS registers every task at its container port, which overrides the group's own port
# (only a default for targets registered without one). Keeping this fixed means a
# container port change rolls the tasks within the same group instead of replacing it.
TARGET_GROUP_PORT = 80


def replacement_safe_name(*, base: str, protocol: str, target_type: str, vpc_cidr: str) -> str:
    """``<base>-<6 hex>``: the hex changes exactly when a replacement-forcing input does.

    Protocol, target type and VPC each force a new target group (its port is fixed,
    ``TARGET_GROUP_PORT``). With a fixed name the new group could not be created
    while the old one holds the name; with this suffix (and ``create_before_destroy``)
    both exist for a moment and the listener moves over before the old group is
    deleted. Every input is known at synth time, so the name is stable between plans.
    """
    identity = f"{protocol}|{target_type}|{vpc_cidr}"
    suffix = hashlib.sha256(identity.encode()).hexdigest()[:6]
    name = f"{base}-{suffix}"
    if len(name) > ELB_NAME_MAX:
        raise ValueError(
            f"target_group_name={base!r} with its hash suffix is {name!r}, "
            f"{len(name)} characters; ELB allows {ELB_NAME_MAX}"
        )
    return name


class AppLoadBalancer(Construct):
    """An ALB forwarding to a target group of Fargate task IPs.

    Fargate tasks in ``awsvpc`` mode register by IP, so the target group type is
    ``ip``; ECS registers each task at its container port and health checks go to
    that port (``traffic-port``), so the group's own port is a fixed default
    (``TARGET_GROUP_PORT``). Invalid HTTP headers are dropped.

    With ``certificate_arn`` (default none) an HTTPS listener on 443 uses
    ``ssl_policy`` (required then; the project's default lives in the config)
    and port 80 redirects to it; without one, port 80 forwards.
    ``deletion_protection`` defaults to off; ``idle_timeout_seconds`` to 60;
    ``deregistration_delay_seconds`` to 30 (tasks drain fast on deploys).
    ``access_logs_bucket`` (default none) receives access logs under ``<name>/``;
    ``access_logs_policy`` (default none; only with a bucket) is that bucket's policy,
    which the ALB is created after: enabling access logs makes ELB test-write to the
    bucket, refused until the policy lets ELB in. ``waf_acl_arn`` (default none)
    associates a WAFv2 web ACL.

    The target group is named ``<target_group_name>-<6 hex>`` (see
    ``replacement_safe_name()``; ``vpc_cidr`` stands in for the VPC, whose id is
    unknown at synth time) and is created before the old one is destroyed,
    so a protocol or VPC change replaces it without a name clash. A container port
    change does not touch it.

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
        vpc_cidr: str,
        subnet_ids: list[str],
        security_group_id: str,
        health_check_path: str,
        certificate_arn: str | None = None,
        ssl_policy: str | None = None,
        deletion_protection: bool = False,
        idle_timeout_seconds: int = 60,
        deregistration_delay_seconds: int = 30,
        access_logs_bucket: str | None = None,
        access_logs_policy: ITerraformDependable | None = None,
        waf_acl_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        if access_logs_policy is not None and not access_logs_bucket:
            raise ValueError(
                f"access_logs_policy with access_logs_bucket={access_logs_bucket!r}: "
                "a bucket policy to wait for needs the bucket"
            )
        if internal and certificate_arn:
            raise ValueError(
                f"internal={internal} with certificate_arn={certificate_arn!r}: "
                "the internal ALB serves HTTP inside the VPC only"
            )
        if len(name) > ELB_NAME_MAX:
            raise ValueError(f"name={name!r} is longer than the 32 characters ELB allows")
        tg_name = replacement_safe_name(
            base=target_group_name,
            protocol=TARGET_GROUP_PROTOCOL,
            target_type=TARGET_GROUP_TYPE,
            vpc_cidr=vpc_cidr,
        )
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
            depends_on=[access_logs_policy] if access_logs_policy is not None else None,
        )
        if waf_acl_arn:
            Wafv2WebAclAssociation(self, "waf", resource_arn=self.lb.arn, web_acl_arn=waf_acl_arn)
        target_group = LbTargetGroup(
            self,
            "target-group",
            name=tg_name,
            target_type=TARGET_GROUP_TYPE,
            protocol=TARGET_GROUP_PROTOCOL,
            port=TARGET_GROUP_PORT,
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
            tags={"Name": tg_name},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
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
