"""The planned changes that stop traffic, and for about how long, read from a plan.

Most releases keep serving (docs/operations.md, "What a change does to traffic"). What
cannot is a change that deletes something a request passes through before its replacement
can answer: a target group, a load balancer, a listener, an ECS service, or a rule that
lets a load balancer reach its tasks (unless replaced create-before-destroy). The plan
summary shows ``traffic_breaks`` to reviewers; ``make deploy`` on AWS asks before applying them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TASKS_WINDOW = "until the services apply has healthy tasks behind it (on AWS, 2-5 minutes)"
WHY: dict[str, str] = {
    "aws_lb_target_group": f"its listener forwards to a new, empty target group {TASKS_WINDOW}",
    "aws_lb": "a new load balancer: nothing answers until it is active and the DNS name "
    "clients use points at it (on AWS, 3-5 minutes)",
    "aws_lb_listener": "the listener's port refuses connections until the new one exists (seconds)",
    "aws_ecs_service": f"the old service's tasks stop {TASKS_WINDOW}",
}
RULE_TYPES = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
# The rules between a load balancer and its tasks (constructs/task_ingress.py names them).
TASK_PORT_RULE = re.compile(r"^[a-z0-9-]+-(tasks-from-[a-z0-9-]+|to-[a-z0-9-]+-tasks)$")


def _name(change: Mapping[str, Any]) -> str:
    before = change.get("before") or {}
    return str(before.get("name") or (before.get("tags") or {}).get("Name") or "")


def traffic_breaks(plan: Mapping[str, Any]) -> list[str]:
    """``<address> (<name>): <what stops, and for how long>`` per change that stops traffic."""
    found = []
    for entry in plan.get("resource_changes") or []:
        change = entry.get("change") or {}
        actions = list(change.get("actions") or [])
        replaced_first = actions == ["create", "delete"] and entry.get("type") in RULE_TYPES
        if "delete" not in actions or replaced_first:
            continue
        kind, name = entry.get("type", ""), _name(change)
        why = WHY.get(kind)
        if why is None and kind in RULE_TYPES and TASK_PORT_RULE.match(name):
            why = f"the load balancer cannot reach the tasks on that port {TASKS_WINDOW}"
        if why:
            found.append(f"{entry['address']} ({name or kind}): {why}")
    return sorted(found)
