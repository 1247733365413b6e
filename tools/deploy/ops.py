"""``make logs`` and ``make exec``: a service's log lines, and a command in one of its tasks.

The same locally and on AWS, with one log line format (``<time> <task> <line>``): locally
the served containers' ``docker logs`` and ``docker exec``; on AWS the service's CloudWatch
log group, and ECS Exec through the Session Manager plugin (``exec_enabled``: dev on, prod off).
"""

from __future__ import annotations

import json
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from config import EnvironmentConfig

PLUGIN = "session-manager-plugin"
PLUGIN_HELP = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
    "session-manager-working-with-install-plugin.html"
)
SINCE = re.compile(r"^(\d+)([smhd])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
FOLLOW_POLL_SECONDS = 2.0


class OpsError(RuntimeError):
    """A bad input or a missing piece; the message is one line that says which."""


@dataclass(frozen=True)
class LogLine:
    time: datetime
    task: str
    message: str

    def __str__(self) -> str:
        return f"{self.time.isoformat(timespec='seconds')} {self.task} {self.message}"


def check_service(env: EnvironmentConfig, service: str) -> None:
    names = [s.name for s in env.services]
    if service not in names:
        raise OpsError(f"unknown SERVICE={service!r} for {env.name}: one of {', '.join(names)}")


def since_seconds(since: str) -> int:
    """``10m`` -> 600; ``s``, ``m``, ``h`` and ``d`` are the units."""
    found = SINCE.match(since)
    if not found or int(found[1]) == 0:
        raise OpsError(f"invalid SINCE={since!r}: a number and a unit, like 30s, 10m, 2h or 1d")
    return int(found[1]) * SECONDS[found[2]]


# --- AWS (and the emulator standing in for it) ---------------------------------------


def log_group(env: EnvironmentConfig, service: str) -> str:
    """The service's log group, as ``constructs/cluster.py`` names it."""
    return f"/ecs/{env.name_prefix}/{service}"


def cloudwatch_lines(logs: Any, group: str, start_ms: int) -> list[tuple[str, LogLine]]:
    """(event id, line) of every event in ``group`` from ``start_ms``, oldest first."""
    found = []
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, startTime=start_ms)
    for page in pages:
        for event in page.get("events", []):
            task = str(event.get("logStreamName", "")).rsplit("/", 1)[-1]
            when = datetime.fromtimestamp(event["timestamp"] / 1000, tz=UTC)
            found.append((str(event["eventId"]), LogLine(when, task, event["message"].rstrip())))
    return sorted(found, key=lambda pair: pair[1].time)


def aws_logs(
    logs: Any,
    env: EnvironmentConfig,
    service: str,
    *,
    since: str,
    follow: bool,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LogLine]:
    """The service's lines from CloudWatch Logs; with ``follow``, new ones as they come."""
    check_service(env, service)
    group = log_group(env, service)
    start = int((now() - since_seconds(since)) * 1000)
    seen: set[str] = set()
    try:
        while True:
            for event_id, line in cloudwatch_lines(logs, group, start):
                if event_id not in seen:
                    seen.add(event_id)
                    start = max(start, int(line.time.timestamp() * 1000))
                    yield line
            if not follow:
                return
            sleep(FOLLOW_POLL_SECONDS)
    except logs.exceptions.ResourceNotFoundException:
        raise OpsError(f"no log group {group}: is {env.name} deployed?") from None


def running_task(ecs: Any, env: EnvironmentConfig, service: str) -> dict[str, Any]:
    """One RUNNING task of the service, described (with its containers' runtime ids)."""
    cluster = env.name_prefix
    arns = ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
    running = [t for t in tasks if t.get("lastStatus") == "RUNNING"]
    if not running:
        raise OpsError(f"no running task of {service} in cluster {cluster}")
    return dict(running[0])


def aws_exec(
    ecs: Any,
    env: EnvironmentConfig,
    service: str,
    command: str,
    *,
    which: Callable[[str], str | None] = shutil.which,
    call: Callable[[list[str]], int] = subprocess.call,
) -> int:
    """``command`` in a running task of ``service`` through ECS Exec; its exit status."""
    check_service(env, service)
    if not env.exec_enabled:
        raise OpsError(
            f"ECS Exec is off for {env.name}: set exec_enabled=True in config/environments.py, "
            "then `make bootstrap` and `make deploy` (docs/security.md says what it opens)"
        )
    if which(PLUGIN) is None:
        raise OpsError(f"the Session Manager plugin ({PLUGIN}) is not installed: see {PLUGIN_HELP}")
    task = running_task(ecs, env, service)
    container = next(c for c in task["containers"] if c["name"] == service)
    answer = ecs.execute_command(
        cluster=env.name_prefix,
        task=task["taskArn"],
        container=service,
        interactive=True,
        command=command,
    )
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    target = {"Target": f"ecs:{env.name_prefix}_{task_id}_{container['runtimeId']}"}
    return call(
        [
            PLUGIN,
            json.dumps(answer["session"]),
            env.region,
            "StartSession",
            "",
            json.dumps(target),
            f"https://ssm.{env.region}.amazonaws.com",
        ]
    )


# --- Locally: the served containers ------------------------------------------------------


def local_containers(engine: Any, run_id: str, service: str) -> list[str]:
    """The served containers of ``service`` (``ecs-learn-<run>-<service>-<n>``), in order."""
    out = engine.ok(
        "ps", "--filter", f"name=ecs-learn-{run_id}-{service}-", "--format", "{{.Names}}",
        what="docker ps",
    )  # fmt: skip
    names = sorted(out.split())
    if not names:
        raise OpsError(f"no running container of {service}: `make deploy` serves the app")
    return names


def docker_log_line(container: str, raw: str) -> LogLine | None:
    """One ``docker logs --timestamps`` line as a ``LogLine`` (task: ``<service>-<n>``)."""
    stamp, _, message = raw.partition(" ")
    try:  # RFC 3339 with nanoseconds, which fromisoformat reads (Python >= 3.11)
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return LogLine(when, container.split("-", 3)[-1], message.rstrip())


def local_logs(
    engine: Any, run_id: str, service: str, *, since: str, follow: bool
) -> Iterator[LogLine]:
    """The output of the service's containers, oldest first; with ``follow``, as it comes."""
    window = f"{since_seconds(since)}s"
    names = local_containers(engine, run_id, service)
    args = ["logs", "--timestamps", "--since", window, *(["--follow"] if follow else [])]
    processes = [
        subprocess.Popen(
            ["docker", *args, name],
            env=engine.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in names
    ]
    lines: queue.Queue[LogLine | None] = queue.Queue()

    def read(name: str, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = docker_log_line(name, raw)
            if line is not None:
                lines.put(line)
        lines.put(None)

    for name, process in zip(names, processes, strict=True):
        threading.Thread(target=read, args=(name, process), daemon=True).start()
    try:
        if not follow:  # everything there is, in time order across containers
            ended, found = 0, []
            while ended < len(processes):
                item = lines.get()
                ended += item is None
                found += [item] if item is not None else []
            yield from sorted(found, key=lambda line: line.time)
            return
        while True:
            item = lines.get()
            if item is not None:
                yield item
    finally:
        for process in processes:
            process.terminate()


def local_exec(engine: Any, run_id: str, service: str, command: str) -> int:
    """``docker exec`` of ``command`` in the service's first container; its exit status."""
    (first, *_) = local_containers(engine, run_id, service)
    tty = ["--tty"] if sys.stdin.isatty() and sys.stdout.isatty() else []
    argv = ["docker", "exec", "--interactive", *tty, first, *shlex.split(command)]
    return subprocess.call(argv, env=engine.env())
