"""``make deploy`` on AWS: plan first, say which changes would stop traffic, and ask.

Most releases keep serving (``tools.review.outage``). When the plan of an app stack
holds a change that cannot, the deploy lists each with its expected window before
anything is applied and asks for ``yes``; ``AUTO_APPROVE=1`` (CI) prints the list and
goes on. The plans are the pull-request workflow's (``tools.review.plan_stacks``),
read-only and without the state lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tools.deploy.commands import Workspace
from tools.review.outage import traffic_breaks
from tools.review.plan_stacks import plan_stacks
from tools.review.plan_summary import load_plan


class DowntimeRefused(RuntimeError):
    """The person deploying did not accept the planned downtime: nothing was applied."""


def planned_breaks(
    ws: Workspace, env: Mapping[str, str], stacks: Sequence[str], env_name: str
) -> list[str]:
    """``<stack>: <break>`` for every change in the plans of ``stacks`` that stops traffic;
    a stack that could not be planned is said so, and not judged."""
    plans = ws.root / "downtime-plans"
    results = plan_stacks(ws, plans, dict(env), env_name=env_name)
    found = []
    for stack in stacks:
        result = results.get(stack)
        if result is None or result.status != "changes":
            if result is not None and result.status == "error":
                print(f"{stack}: not checked for downtime: {result.reason}")
            continue
        found += [f"{stack}: {line}" for line in traffic_breaks(load_plan(plans / f"{stack}.json"))]
    return found


def before_deploy(
    target: Any,
    ws: Workspace,
    env: Mapping[str, str],
    stacks: Sequence[str],
    *,
    auto_approve: bool,
    ask: Callable[[str], str] | None = None,
) -> None:
    """Raise ``DowntimeRefused`` unless the deploy stops no traffic, or it is accepted
    (``ask``, default ``input``, must answer ``yes``)."""
    breaks = planned_breaks(ws, env, stacks, target.env_name)
    if not breaks:
        return
    print(f"this deploy of {target.env_name} stops traffic:")
    for line in breaks:
        print(f"  - {line}")
    if auto_approve:
        print("AUTO_APPROVE=1: applying it anyway")
        return
    if (ask or input)("apply it anyway? type yes: ").strip() != "yes":
        raise DowntimeRefused(
            f"nothing was applied to {target.env_name}: the downtime was not accepted"
        )
