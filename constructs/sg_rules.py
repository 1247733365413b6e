"""One named, described security-group rule per resource.

``aws_vpc_security_group_{ingress,egress}_rule`` resources (not inline rules) keep
each rule addressable by name in plans and reviews.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import (
    VpcSecurityGroupIngressRule,
)

from constructs import Construct


def _peer(
    *, peer_sg: str | None, cidr: str | None, prefix_list: str | None, name: str
) -> dict[str, str]:
    given = {
        "referenced_security_group_id": peer_sg,
        "cidr_ipv4": cidr,
        "prefix_list_id": prefix_list,
    }
    chosen = {k: v for k, v in given.items() if v is not None}
    if len(chosen) != 1:
        raise ValueError(f"rule {name!r} needs exactly one peer, got {sorted(chosen) or 'none'}")
    return chosen


def allow_in(
    scope: Construct,
    name: str,
    *,
    security_group_id: str,
    port: int,
    description: str,
    peer_sg: str | None = None,
    cidr: str | None = None,
    prefix_list: str | None = None,
) -> VpcSecurityGroupIngressRule:
    """Allow TCP ``port`` into ``security_group_id`` from exactly one peer."""
    return VpcSecurityGroupIngressRule(
        scope,
        name,
        security_group_id=security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
        tags={"Name": name},
        **_peer(peer_sg=peer_sg, cidr=cidr, prefix_list=prefix_list, name=name),
    )


def allow_out(
    scope: Construct,
    name: str,
    *,
    security_group_id: str,
    port: int,
    description: str,
    peer_sg: str | None = None,
    cidr: str | None = None,
    prefix_list: str | None = None,
) -> VpcSecurityGroupEgressRule:
    """Allow TCP ``port`` out of ``security_group_id`` to exactly one peer."""
    return VpcSecurityGroupEgressRule(
        scope,
        name,
        security_group_id=security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
        tags={"Name": name},
        **_peer(peer_sg=peer_sg, cidr=cidr, prefix_list=prefix_list, name=name),
    )
