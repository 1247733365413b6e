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


def _check_one_peer(
    *, peer_sg: str | None, cidr: str | None, prefix_list: str | None, name: str
) -> None:
    given = {
        "referenced_security_group_id": peer_sg,
        "cidr_ipv4": cidr,
        "prefix_list_id": prefix_list,
    }
    chosen = sorted(k for k, v in given.items() if v is not None)
    if len(chosen) != 1:
        raise ValueError(f"rule {name!r} needs exactly one peer, got {chosen or 'none'}")


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
    _check_one_peer(peer_sg=peer_sg, cidr=cidr, prefix_list=prefix_list, name=name)
    return VpcSecurityGroupIngressRule(
        scope,
        name,
        security_group_id=security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
        tags={"Name": name},
        referenced_security_group_id=peer_sg,
        cidr_ipv4=cidr,
        prefix_list_id=prefix_list,
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
    _check_one_peer(peer_sg=peer_sg, cidr=cidr, prefix_list=prefix_list, name=name)
    return VpcSecurityGroupEgressRule(
        scope,
        name,
        security_group_id=security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
        tags={"Name": name},
        referenced_security_group_id=peer_sg,
        cidr_ipv4=cidr,
        prefix_list_id=prefix_list,
    )
