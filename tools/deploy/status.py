"""``make status``: what each service of an environment runs, read from ECS and the ALBs.

The same calls on both targets: the emulator (``TARGET=local``, default) or AWS. For each
service: running and desired tasks, the task definition revision and image, the
deployment's state and ECS's last event, the health of its targets, and its URL.
``JSON=1`` prints the same as JSON, for scripts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from config import EnvironmentConfig


class StatusError(RuntimeError):
    """Nothing to report; the message says why."""


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    running: int
    desired: int
    revision: str  # family:revision
    image: str
    deployment: str  # the PRIMARY deployment's rollout state
    last_event: str
    targets: dict[str, int]  # target health state -> count
    url: str


def _image(ecs: Any, task_definition_arn: str) -> tuple[str, str]:
    """(family:revision, the first container's image) of a task definition."""
    definition = ecs.describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    revision = f"{definition['family']}:{definition['revision']}"
    containers = definition.get("containerDefinitions") or [{}]
    return revision, str(containers[0].get("image", "?"))


def _targets_and_url(elbv2: Any, target_group_arn: str) -> tuple[dict[str, int], str]:
    health = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
    states: dict[str, int] = {}
    for item in health["TargetHealthDescriptions"]:
        state = item["TargetHealth"]["State"]
        states[state] = states.get(state, 0) + 1
    (group,) = elbv2.describe_target_groups(TargetGroupArns=[target_group_arn])["TargetGroups"]
    url = ""
    for lb_arn in group.get("LoadBalancerArns", [])[:1]:
        (lb,) = elbv2.describe_load_balancers(LoadBalancerArns=[lb_arn])["LoadBalancers"]
        listeners = elbv2.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
        https = any(item["Protocol"] == "HTTPS" for item in listeners)
        url = f"{'https' if https else 'http'}://{lb['DNSName']}"
    return states, url


def collect(env: EnvironmentConfig, ecs: Any, elbv2: Any) -> list[ServiceStatus]:
    """Every service of ``env`` as ECS and ELB describe it."""
    cluster = env.name_prefix
    names = [svc.name for svc in env.services]
    try:
        described = ecs.describe_services(cluster=cluster, services=names)
    except ecs.exceptions.ClusterNotFoundException:
        described = {}
    found = {s["serviceName"]: s for s in described.get("services", [])}
    if not found:
        raise StatusError(f"no service of {env.name} in cluster {cluster}: is it deployed?")
    report = []
    for name in names:
        service = found.get(name)
        if service is None or service.get("status") != "ACTIVE":
            continue
        deployments: list[dict[str, Any]] = service.get("deployments", [])
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
        revision, image = _image(ecs, service["taskDefinition"])
        targets: dict[str, int] = {}
        url = ""
        for balancer in service.get("loadBalancers", [])[:1]:
            targets, url = _targets_and_url(elbv2, balancer["targetGroupArn"])
        events = service.get("events") or [{}]
        report.append(
            ServiceStatus(
                service=name,
                running=int(service.get("runningCount", 0)),
                desired=int(service.get("desiredCount", 0)),
                revision=revision,
                image=image,
                deployment=str(primary.get("rolloutState", "?")),
                last_event=str(events[0].get("message", "")),
                targets=targets,
                url=url,
            )
        )
    return report


def dashboard_url(env: EnvironmentConfig) -> str:
    """The console URL of the environment's CloudWatch dashboard (constructs/dashboard.py)."""
    region = env.region
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards/dashboard/{env.name_prefix}"
    )


def as_json(report: list[ServiceStatus]) -> str:
    return json.dumps([asdict(s) for s in report], indent=2, sort_keys=True)


def as_text(report: list[ServiceStatus], served_url: str = "") -> str:
    """A line per service, then its image, deployment, targets and URL, indented."""
    lines = []
    for s in report:
        health = ", ".join(f"{n} {state}" for state, n in sorted(s.targets.items())) or "none"
        lines += [
            f"{s.service:<10} {s.running}/{s.desired} running   {s.revision}   {s.deployment}",
            f"  image    {s.image}",
            f"  targets  {health}",
            f"  url      {s.url or '-'}",
            f"  event    {s.last_event or '-'}",
        ]
    if served_url:
        lines.append(f"served locally at {served_url} (the app's containers)")
    return "\n".join(lines)
