"""ECS services and their target groups, as AWS links them (docs/emulator.md #14, #15).

``sync_service`` keeps a service's running tasks (one private IP each) registered in its
groups, ``health`` judges a target as ELB would, and ``unattached_group_problem`` is AWS's
refusal of a group no load balancer uses.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Registered:
    """The targets one service put in its groups, and what they were made for."""

    made_for: tuple[Any, ...] = ()
    targets: list[tuple[str, str, int]] = field(default_factory=list)  # (group, ip, port)


_SERVICES: dict[str, _Registered] = {}  # service ARN -> its targets
TASK_GROUPS: dict[str, list[str]] = {}  # task IP -> the task's security group ids
_NEXT_HOST = itertools.count(10)  # host numbers handed out in the subnets


def _elbv2(account: str, region: str) -> Any:
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[account][region]


def _ec2(account: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


def unattached_group_problem(
    load_balancers: Iterable[dict[str, Any]] | None, account: str, region: str
) -> str | None:
    """AWS's ``InvalidParameterException`` text for the first target group that no load
    balancer uses, or None."""
    elbv2 = _elbv2(account, region)
    for entry in load_balancers or []:
        arn = entry.get("targetGroupArn")
        if arn and not elbv2._any_listener_using(arn):
            return (
                f"The target group with targetGroupArn {arn} does not have an associated "
                "load balancer."
            )
    return None


def _task_ip(ec2: Any, subnets: list[str], index: int) -> str:
    """A free private IP of the ``index``-th task's subnet (AWS keeps a subnet's first
    four addresses and its last one)."""
    subnet = ec2.get_subnet(subnets[index % len(subnets)])
    network = ipaddress.ip_network(subnet.cidr_block)
    usable = network.num_addresses - 5
    for _ in range(usable):
        ip = str(network[next(_NEXT_HOST) % usable + 4])
        if ip not in TASK_GROUPS:  # not a running task's
            return ip
    raise RuntimeError(f"subnet {subnet.id} ({subnet.cidr_block}) has no free address")


def sync_service(service: Any, account: str, region: str, *, deleted: bool = False) -> None:
    """Make the service's groups hold exactly its running tasks (none once ``deleted``)."""
    elbv2, ec2 = _elbv2(account, region), _ec2(account, region)
    network = (getattr(service, "network_configuration", None) or {}).get(
        "awsvpcConfiguration"
    ) or {}
    subnets, groups = list(network.get("subnets") or []), list(network.get("securityGroups") or [])
    running = 0 if deleted else int(service.running_count or 0)
    deployment = service.deployments[0].get("id") if service.deployments else None
    balancers = tuple(
        (lb.get("targetGroupArn"), int(lb.get("containerPort") or 0))
        for lb in (service.load_balancers or [])
        if lb.get("targetGroupArn")
    )
    made_for = (deployment, service.task_definition, running, balancers, tuple(groups))
    before = _SERVICES.get(service.arn, _Registered())
    if before.made_for == made_for:
        return
    wanted: list[tuple[str, str, int]] = []
    if running and subnets:
        ips = [_task_ip(ec2, subnets, i) for i in range(running)]
        wanted = [(group, ip, port) for group, port in balancers for ip in ips]
    for group_arn, ip, port in wanted:
        if group_arn in elbv2.target_groups:
            elbv2.register_targets(group_arn, [{"Id": ip, "Port": port}])
        TASK_GROUPS[ip] = groups
    for group_arn, ip, _ in before.targets:
        group = elbv2.target_groups.get(group_arn)
        if group is not None and ip in group.targets:
            group.deregister([{"Id": ip}])
        TASK_GROUPS.pop(ip, None)
    if deleted:
        _SERVICES.pop(service.arn, None)
    else:
        _SERVICES[service.arn] = _Registered(made_for, wanted)


def _allows(rules: Iterable[Any], port: int, peers: set[str], cidrs: list[Any]) -> bool:
    """Whether a TCP rule covers ``port`` for one of the ``peers`` (security group ids)
    or a CIDR that overlaps ``cidrs``."""
    for rule in rules:
        if rule.ip_protocol not in ("tcp", "-1"):
            continue
        if rule.ip_protocol == "tcp" and not rule.from_port <= port <= rule.to_port:
            continue
        if (rule.source_group or {}).get("GroupId") in peers:
            return True
        cidr = (rule.ip_range or {}).get("CidrIp")
        if cidr and any(ipaddress.ip_network(cidr).overlaps(c) for c in cidrs):
            return True
    return False


def _reachable(ec2: Any, balancer: Any, ip: str, port: int) -> bool:
    """Whether ``balancer``'s groups let it reach ``ip:port`` and the task's groups let it in."""
    task_groups = TASK_GROUPS.get(ip)
    if task_groups is None:  # not a task this emulator started: moto's own answer stands
        return True
    mine = [ec2.get_security_group_from_id(g) for g in balancer.security_groups or []]
    theirs = [ec2.get_security_group_from_id(g) for g in task_groups]
    task_net = [ipaddress.ip_network(f"{ip}/32")]
    balancer_nets = [  # moto keeps the balancer's Subnet objects
        ipaddress.ip_network(s.cidr_block) for s in balancer.subnets or []
    ]
    out = _allows((r for g in mine if g for r in g.egress_rules), port, set(task_groups), task_net)
    into = _allows(
        (r for g in theirs if g for r in g.ingress_rules),
        port,
        set(balancer.security_groups or []),
        balancer_nets,
    )
    return out and into


def health(group: Any, status: Any) -> Any:
    """``status`` (moto's answer for one target of ``group``) as ELB would give it."""
    if status.status != "healthy":
        return status
    account, region = group.arn.split(":")[4], group.arn.split(":")[3]
    elbv2, ec2 = _elbv2(account, region), _ec2(account, region)
    balancers = [
        lb
        for lb in elbv2.load_balancers.values()
        if any(
            group.arn in elbv2._get_target_group_arns_from(action_data=action.data)
            for listener in lb.listeners.values()
            for rule in listener.rules.values()
            for action in rule.actions
        )
    ]
    if not balancers:
        status.status, status.reason = "unused", "Target.NotInUse"
        status.description = (
            "Target group is not configured to receive traffic from the load balancer"
        )
    elif not any(_reachable(ec2, lb, status.instance_id, int(status.port)) for lb in balancers):
        status.status, status.reason = "unhealthy", "Target.Timeout"
        status.description = "Request timed out"
    return status
