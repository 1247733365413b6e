"""Day 2 of the rehearsal: a second release on the same state, then a rollback.

``day_two`` runs after the first release is applied and re-planned to zero, before any
destroy; docs/operations.md says what it rehearses. The emulator has no Docker engine, so
each release's images are registered in its ECR with boto3 ``put_image`` instead, as the
images stack's push would on AWS. The execution role's access to the secret is checked
where it matters: the emulator starts no task it could not start (docs/emulator.md #11).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from config.naming import stack_name
from tools.deploy import commands, deployments, rollback, status
from tools.deploy.commands import Workspace
from tools.deploy.ecr import image_tags
from tools.deploy.target import LocalTarget, environment_config
from tools.rehearsal import ci_roles
from tools.rehearsal.probe import AvailabilityProbe
from tools.rehearsal.stages import (
    Replan,
    StageFailed,
    cdktf_run,
    check,
    check_services,
    replan_at_once,
)
from tools.review import plan_summary
from tools.review.outage import traffic_breaks

FIRST = "0.1.0"
SECOND = "0.2.0"
THIRD = "0.3.0"
NEVER_PUSHED = "0.0.9"
SECRET_VAR = "API_TOKEN"
SECOND_FRONTEND_PORT = 3001
SECOND_BACKEND_PORT = 8081
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
PROBE_SECONDS = 0.5  # between the probe's samples of every listener


def secret_name(env_name: str) -> str:
    return f"ecs-learn/{env_name}/api-token"


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def image_manifest(service: str, version: str) -> str:
    """A Docker v2 manifest unique to ``service`` and ``version`` (what a push uploads)."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1024,
                "digest": _digest(f"config {service} {version}"),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 4096,
                    "digest": _digest(f"layer {service} {version}"),
                }
            ],
        }
    )


def register_images(
    ecr: Any, repository: str, version: str, services: Sequence[str]
) -> dict[str, str]:
    """``put_image`` of each service's ``<service>-<version>``; tag -> digest."""
    pushed = {}
    for tag, service in zip(image_tags(version, services), services, strict=True):
        image = ecr.put_image(
            repositoryName=repository,
            imageManifest=image_manifest(service, version),
            imageManifestMediaType=MANIFEST_TYPE,
            imageTag=tag,
        )["image"]
        pushed[tag] = image["imageId"]["imageDigest"]
    return pushed


def bigger_task(cpu: int, memory: int) -> dict[str, int]:
    """The next Fargate size up: twice the cpu and memory (dev: 256/512 -> 512/1024)."""
    return {"cpu": cpu * 2, "memory": memory * 2}


def second_release_changes(secret_arn: str, backend_size: Mapping[str, int]) -> dict[str, Any]:
    """The partial config of release ``SECOND`` (for ``CONFIG_OVERRIDES``)."""
    return {
        "frontend": {"port": SECOND_FRONTEND_PORT},
        "backend": {
            **backend_size,
            "port": SECOND_BACKEND_PORT,
            "secrets": {SECRET_VAR: secret_arn},
        },
    }


def replaced_before_destroyed(plan: Mapping[str, Any], resource_type: str) -> list[str]:
    """``<address> (<name before> -> <name after>)`` of each ``resource_type`` the plan
    replaces create-before-destroy."""
    found = []
    for entry in plan.get("resource_changes", []):
        change = entry.get("change", {})
        if entry.get("type") != resource_type or change.get("actions") != ["create", "delete"]:
            continue
        before, after = change.get("before") or {}, change.get("after") or {}
        before = before.get("name") or (before.get("tags") or {}).get("Name")
        after = after.get("name") or (after.get("tags") or {}).get("Name") or "(known after apply)"
        found.append(f"{entry['address']} ({before} -> {after})")
    return sorted(found)


def task_definitions(ecs: Any, outputs_file: Path, stack: str) -> dict[str, dict[str, Any]]:
    """Service name -> the task definition the services stack's outputs name."""
    outputs = json.loads(outputs_file.read_text())
    return {
        e.service: ecs.describe_task_definition(taskDefinition=e.task_definition_arn)[
            "taskDefinition"
        ]
        for e in deployments.expected_from_outputs(outputs, stack)
    }


def wrong_images(definitions: Mapping[str, Mapping[str, Any]], version: str) -> list[str]:
    """One line per service whose container does not run ``...:<container>-<version>``."""
    wrong = []
    for service, definition in sorted(definitions.items()):
        for container in definition["containerDefinitions"]:
            if not container["image"].endswith(f":{container['name']}-{version}"):
                wrong.append(f"{service} runs {container['image']}, not {version}")
    return wrong


def snapshot(target: LocalTarget, cluster: str, services: Sequence[str]) -> dict[str, str]:
    """What a refused rollback must leave alone: each service's task definition and
    the latest version of each state object."""
    described = target.client("ecs").describe_services(cluster=cluster, services=list(services))
    found = {s["serviceName"]: s["taskDefinition"] for s in described["services"]}
    s3 = target.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=target.state_bucket):
        for version in page.get("Versions", []):
            if version["IsLatest"]:
                found[f"s3://{target.state_bucket}/{version['Key']}"] = version["VersionId"]
    return found


def missing_from_state(target: LocalTarget, ws: Workspace, stack: str) -> list[str]:
    """The synthesized resources of ``stack`` its S3 state does not list (empty: all there)."""
    synthesized = json.loads((ws.stack_dir(stack) / "cdk.tf.json").read_text())
    wanted = {
        f"{kind}.{name}" for kind, blocks in synthesized["resource"].items() for name in blocks
    }
    key = f"{target.env_name}/{stack}.tfstate"
    body = target.client("s3").get_object(Bucket=target.state_bucket, Key=key)["Body"].read()
    state = json.loads(body)
    listed = {
        f"{r['type']}.{r['name']}"
        for r in state.get("resources", [])
        if r.get("mode") == "managed" and r.get("instances")
    }
    return sorted(wanted - listed)


def delete_secret(target: LocalTarget) -> bool:
    """Delete the release's secret if the rehearsal created it; True if it did."""
    sm = target.client("secretsmanager")
    name = secret_name(target.env_name)
    try:
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    except sm.exceptions.ResourceNotFoundException:
        return False
    return True


def status_problems(
    report: Sequence[status.ServiceStatus], definitions: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """What ``make status`` gets wrong about the release ``definitions`` describe."""
    wanted = {
        d["containerDefinitions"][0]["name"]: f"{d['family']}:{d['revision']}"
        for d in definitions.values()
    }
    found = {s.service: s for s in report}
    problems = [f"{name}: not in make status" for name in sorted(set(wanted) - set(found))]
    for name, revision in sorted(wanted.items()):
        s = found.get(name)
        if s is None:
            continue
        if s.revision != revision:
            problems.append(f"{name}: make status shows {s.revision}, not {revision}")
        if s.running != s.desired or s.targets != {"healthy": s.desired}:
            problems.append(f"{name}: {s.running}/{s.desired} running, targets {s.targets}")
    return problems


def second_release_problems(
    target: LocalTarget,
    definitions: Mapping[str, Mapping[str, Any]],
    secret_arn: str,
    backend_size: Mapping[str, int],
) -> list[str]:
    """What release ``SECOND`` should have changed and did not, one line each."""
    problems = wrong_images(definitions, SECOND)
    by_container = {
        c["name"]: (d, c) for d in definitions.values() for c in d["containerDefinitions"]
    }
    _, frontend = by_container["frontend"]
    ports = [p["containerPort"] for p in frontend.get("portMappings", [])]
    if ports != [SECOND_FRONTEND_PORT]:
        problems.append(f"frontend listens on {ports}, not [{SECOND_FRONTEND_PORT}]")
    task, backend = by_container["backend"]
    ports = [p["containerPort"] for p in backend.get("portMappings", [])]
    if ports != [SECOND_BACKEND_PORT]:
        problems.append(f"backend listens on {ports}, not [{SECOND_BACKEND_PORT}]")
    size = {"cpu": int(task["cpu"]), "memory": int(task["memory"])}
    if size != dict(backend_size):
        problems.append(f"backend task size is {size}, not {dict(backend_size)}")
    secrets = {s["name"]: s["valueFrom"] for s in backend.get("secrets", [])}
    if secrets.get(SECRET_VAR) != secret_arn:
        problems.append(f"backend secrets are {secrets}, not {SECRET_VAR}={secret_arn}")
    endpoints = target.client("ec2").describe_vpc_endpoints()["VpcEndpoints"]
    if not any(e["ServiceName"].endswith(".secretsmanager") for e in endpoints):
        problems.append("there is no secretsmanager VPC endpoint")
    return problems


def day_two(
    target: LocalTarget,
    ws: Workspace,
    env: dict[str, str],
    roles: ci_roles.Roles,
    clock: Any,
    *,
    lean: bool = False,
) -> dict[str, str]:
    """Release ``SECOND``, then (unless ``lean``, for a run whose environment the dev run
    already covers on the same code paths: no release plan, no ``THIRD``, no rollback)
    ``THIRD`` and a roll back to ``FIRST``; and refuse ``NEVER_PUSHED``. ``env`` runs the
    stacks as the deploy role, ``roles`` has the plan role's copy.

    Returns the environment the stacks were last synthesized with (the destroy's).
    """
    boot, apps = target.bootstrap_stack, target.app_stacks(ws)
    services_stack = stack_name(target.env_name, "services")
    config = environment_config(target.env_name, env)
    repository = config.registry.repository_name
    names = [s.name for s in config.services]
    ecr = target.client("ecr")
    size = bigger_task(config.backend.cpu, config.backend.memory)

    def apply(
        stage: str, settings: dict[str, str], tag: str, *, synth: bool = True, only: str = ""
    ) -> None:
        """Deploy every app stack (or ``only`` that one, its upstreams as they are) under
        the availability probe."""
        if synth:
            synth_log = ws.log(f"synth-{tag}")
            check(stage, commands.synth(ws, settings, log=synth_log), synth_log)
        stacks, log = [only] if only else apps, f"apply-{tag}"
        ws.outputs_file.unlink(missing_ok=True)
        probe = AvailabilityProbe(lambda: target.client("elbv2"), config.name_prefix, PROBE_SECONDS)
        with probe:
            cdktf_run(
                stage, commands.deploy, ws, stacks, settings, log, without_upstreams=bool(only)
            )
        print(f"         availability during {tag}: {probe.result.summary()}")
        down = probe.result.problems()
        if down:
            raise StageFailed(stage, "a listener had no healthy target:\n  " + "\n  ".join(down))

    name = f"register release {FIRST} images in the emulator's ECR (boto3 put_image)"
    with clock.stage(name):
        print(f"         {register_images(ecr, repository, FIRST, names)}")

    name = f"release {SECOND}: create the backend's secret (boto3), write CONFIG_OVERRIDES"
    with clock.stage(name):
        # Tagged with its environment, as the workload boundary requires on AWS.
        secret = target.client("secretsmanager").create_secret(
            Name=secret_name(target.env_name),
            SecretString="rehearsal-api-token",
            Tags=[{"Key": "Environment", "Value": target.env_name}],
        )
        overrides = ws.root / "release-2-overrides.json"
        changes = {target.env_name: second_release_changes(secret["ARN"], size)}
        overrides.write_text(json.dumps(changes, indent=2) + "\n")
        second = {**env, "APP_VERSION": SECOND, "CONFIG_OVERRIDES": str(overrides)}
        print(f"         {overrides}: {json.dumps(changes)}")

    name = f"register release {SECOND} images in the emulator's ECR (boto3 put_image)"
    with clock.stage(name):
        print(f"         {register_images(ecr, repository, SECOND, names)}")

    name = f"synth release {SECOND} (deploy role)"
    with clock.stage(name):
        log = ws.log("synth-release-2")
        check(name, commands.synth(ws, second, log=log), log)
    if lean:
        print(f"         plan summary of release {SECOND}: not in this run (--lean)")
    else:
        _release_plan(ws, roles, apps, clock)

    name = f"apply release {SECOND}: {' + '.join(apps)} (deploy role)"
    with clock.stage(name):
        apply(name, second, "release-2", synth=False)  # synthesized for its plan above

    name = f"check every service runs release {SECOND}'s task definition"
    check_services(target, ws, services_stack, clock, name)
    with clock.stage(f"check release {SECOND}'s ports, task size and secret"):
        definitions = task_definitions(target.client("ecs"), ws.outputs_file, services_stack)
        problems = second_release_problems(target, definitions, secret["ARN"], size)
        if problems:
            raise StageFailed(f"release {SECOND}", "\n  ".join(problems))

    name = f"make status shows release {SECOND}: counts, revisions, healthy targets"
    with clock.stage(name):
        report = status.collect(config, target.client("ecs"), target.client("elbv2"))
        print("\n".join(f"         {line}" for line in status.as_text(report).splitlines()))
        wrong = status_problems(report, definitions)
        if wrong:
            raise StageFailed(name, "\n  ".join(wrong))

    label = f" (release {SECOND})"
    replan_at_once(
        [Replan(s, ws, second, keep_plan=True, label=label) for s in [boot, *apps]],
        clock,
        f"re-plan {' + '.join([boot, *apps])}{label}, at once",
    )

    if lean:
        print(f"         release {THIRD} and roll back to {FIRST}: not in this run (--lean)")
        _refused_rollback(target, ws, second, definitions, clock)
        return second
    _alarm_rollback(target, ws, second, config, clock, apply)
    back = rollback.rollback_environ(second, FIRST)
    name = f"roll back to {FIRST}: its images are in ECR, deploy them (deploy role, no build)"
    with clock.stage(name):
        rollback.require_images(ecr, environment_config(target.env_name, back), FIRST)
        apply(name, back, "rollback")

    check_services(
        target,
        ws,
        services_stack,
        clock,
        "check every service runs the rolled-back task definition",
    )
    with clock.stage(f"check the rolled-back task definitions run {FIRST}'s images"):
        definitions = task_definitions(target.client("ecs"), ws.outputs_file, services_stack)
        wrong = wrong_images(definitions, FIRST)
        if wrong:
            raise StageFailed("rollback", "\n  ".join(wrong))

    _refused_rollback(target, ws, second, definitions, clock)
    return back


def _release_plan(ws: Workspace, roles: ci_roles.Roles, apps: Sequence[str], clock: Any) -> None:
    """Release ``SECOND``'s plans as the pull-request workflow makes them (plan role),
    summarized; the port change must keep the target groups, replace the 4 port rules
    create-before-destroy, and stop no traffic."""
    name = f"plan summary of release {SECOND} (plan role)"
    expected = dict.fromkeys(apps, "changes")
    ci_roles.plan_copy(ws, roles)
    plans = ci_roles.plan_role_plans(name, ws, roles, expected, clock, at_once=True)
    replaced: list[str] = []
    groups: list[str] = []
    breaks: list[str] = []
    for stack in apps:
        loaded = plan_summary.load_plan(plans / f"{stack}.json")
        print(plan_summary.summarize(loaded, stack))
        groups += replaced_before_destroyed(loaded, "aws_lb_target_group")
        breaks += traffic_breaks(loaded)
        for rule in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
            replaced += replaced_before_destroyed(loaded, rule)
    if groups or len(replaced) != 4:
        raise StageFailed(
            name,
            "a port change should keep the target groups and replace the 4 port rules "
            f"create-before-destroy; target groups replaced: {groups}; rules: {replaced}",
        )
    print(f"         replaced create-before-destroy: {', '.join(replaced)}")
    if breaks:
        raise StageFailed(name, "the release plan stops traffic:\n  " + "\n  ".join(breaks))


def _alarm_rollback(
    target: LocalTarget,
    ws: Workspace,
    second: dict[str, str],
    config: Any,
    clock: Any,
    apply: Any,
) -> None:
    """Release ``THIRD`` answers 500 on the backend: its alarm rolls it back, and the
    deployment check (``make deploy``'s) fails naming the alarm."""
    services_stack = stack_name(target.env_name, "services")
    cloudwatch = target.client("cloudwatch")
    alarm = f"{config.name_prefix}-{config.backend.name}-target-5xx"
    name = f"release {THIRD} answers 500 on the backend: put the ALB's 5xx count (boto3)"
    with clock.stage(name):
        repository, names = config.registry.repository_name, [s.name for s in config.services]
        print(f"         {register_images(target.client('ecr'), repository, THIRD, names)}")
        (watched,) = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
        cloudwatch.put_metric_data(
            Namespace=watched["Namespace"],
            MetricData=[
                {
                    "MetricName": watched["MetricName"],
                    "Dimensions": watched["Dimensions"],
                    "Value": 5 * float(watched["Threshold"]),
                }
            ],
        )
        (state,) = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
        if state["StateValue"] != "ALARM":
            raise StageFailed(name, f"{alarm} is {state['StateValue']}, not ALARM")
        print(f"         {alarm}: ALARM ({state['StateReason']})")
    third = {**second, "APP_VERSION": THIRD}
    name = f"apply release {THIRD}: {services_stack} alone, as only its images change (deploy role)"
    with clock.stage(name):
        apply(name, third, "release-3", only=services_stack)
    name = f"check release {THIRD} was rolled back by {alarm} and the deploy fails"
    with clock.stage(name):
        try:
            deployments.check_outputs_file(target.client("ecs"), ws.outputs_file, services_stack)
        except deployments.DeploymentCheckFailed as exc:
            if alarm not in str(exc) or "rolled back" not in str(exc):
                raise StageFailed(name, f"the deploy failed, but not for {alarm}: {exc}") from None
            print(f"         make deploy fails with: {exc}")
        else:
            raise StageFailed(name, f"release {THIRD} was not rolled back: {alarm} in ALARM")
        # A quiet minute later CloudWatch sets it back to OK; the rehearsal does not wait.
        cloudwatch.set_alarm_state(
            AlarmName=alarm, StateValue="OK", StateReason="rehearsal: 5xx over"
        )


def _refused_rollback(
    target: LocalTarget,
    ws: Workspace,
    second: dict[str, str],
    definitions: Mapping[str, Any],
    clock: Any,
) -> None:
    """A rollback to ``NEVER_PUSHED`` is refused before anything changes."""
    services_stack = stack_name(target.env_name, "services")
    ecr = target.client("ecr")
    name = f"roll back to {NEVER_PUSHED} (never pushed) is refused, nothing changes"
    with clock.stage(name):
        cluster = json.loads(ws.outputs_file.read_text())[services_stack]["cluster_name"]
        service_names = sorted(definitions)
        before = snapshot(target, cluster, service_names)
        never = rollback.rollback_environ(second, NEVER_PUSHED)
        try:
            rollback.require_images(ecr, environment_config(target.env_name, never), NEVER_PUSHED)
        except rollback.RollbackRefused as exc:
            print(f"         refused: {exc}")
        else:
            raise StageFailed(name, f"a rollback to {NEVER_PUSHED} was not refused")
        after = snapshot(target, cluster, service_names)
        if after != before:
            changed = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
            raise StageFailed(name, f"the refused rollback changed {changed}")
