"""Run containers with their task definition's settings, wait for health, stop, clean up.

From the task definition: ``user``, ``readonlyRootFilesystem`` (``--read-only``, no
tmpfs, as on Fargate), ``environment``, the container port, the health check's
command and timings, ``stopTimeout`` and the task's cpu/memory. Everything created
carries the label ``ecs-learn.harness=<run id>`` and is removed by it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tools.containers.common import (
    LABEL,
    LOCALHOST,
    ContainersError,
    PortTakenError,
    port_is_free,
    tail,
)
from tools.containers.engine import Engine
from tools.containers.taskdefs import TaskDefinition

LOG_LINES = 15


class NotHealthyError(ContainersError):
    """A container exited or never turned healthy; the message ends with its last log lines."""


def create_network(engine: Engine, name: str, run_id: str) -> str:
    engine.ok("network", "create", "--label", f"{LABEL}={run_id}", name, what=f"network {name}")
    return name


def run_container(
    engine: Engine,
    *,
    name: str,
    image: str,
    task: TaskDefinition,
    environment: dict[str, str],
    network: str,
    alias: str,
    run_id: str,
    publish: int | None = None,
) -> str:
    """``docker run -d`` under ``task``'s settings; the image's own HEALTHCHECK command
    equals the task's (``build.disagreements`` checks it) and gets the task's timings."""
    health = task.health
    args = [
        "run", "--detach", "--name", name, "--label", f"{LABEL}={run_id}",
        "--network", network, "--network-alias", alias,
        "--user", task.user,
        f"--cpus={task.cpu / 1024:g}", f"--memory={task.memory}m",
        f"--health-interval={health.interval}s", f"--health-timeout={health.timeout}s",
        f"--health-retries={health.retries}", f"--health-start-period={health.start_period}s",
        f"--stop-timeout={task.stop_timeout}",
    ]  # fmt: skip
    if task.read_only:
        args.append("--read-only")
    for key, value in sorted(environment.items()):
        args += ["--env", f"{key}={value}"]
    if publish is not None:
        if not port_is_free(publish):
            raise PortTakenError(
                f"{LOCALHOST}:{publish} is already taken: free it or set CONTAINERS_PORT"
            )
        args += ["--publish", f"{LOCALHOST}:{publish}:{task.port}"]
    result = engine.docker(*args, image)
    if result.returncode != 0:
        text = result.stdout
        if "address already in use" in text or "port is already allocated" in text:
            raise PortTakenError(f"{LOCALHOST}:{publish} is already taken: {tail(text, 1)}")
        raise ContainersError(f"docker run {name} failed:\n{tail(text)}")
    return name


def inspect(engine: Engine, name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = json.loads(
        engine.ok("inspect", name, what=f"docker inspect {name}")
    )
    return found[0]


def logs(engine: Engine, name: str, lines: int | None = None) -> str:
    tail_arg = ["--tail", str(lines)] if lines else []
    return engine.docker("logs", *tail_arg, name).stdout


def wait_healthy(engine: Engine, tasks: dict[str, TaskDefinition]) -> None:
    """Wait until every container (name -> its task definition) is ``healthy``.

    The deadline is what ECS would allow: start period, then (interval + timeout) for
    each of ``retries`` + 1 checks, plus slack for a loaded machine.
    """
    started = time.monotonic()
    pending = dict.fromkeys(tasks)
    while pending:
        for name in list(pending):
            h = tasks[name].health
            limit = h.start_period + (h.interval + h.timeout) * (h.retries + 1) + 15
            state = inspect(engine, name)["State"]
            status = (state.get("Health") or {}).get("Status")
            if status == "healthy":
                del pending[name]
            elif not state["Running"] or status == "unhealthy":
                why = (
                    f"exited with code {state['ExitCode']}" if not state["Running"] else str(status)
                )
                raise NotHealthyError(_unhealthy(engine, name, why))
            elif time.monotonic() - started > limit:
                raise NotHealthyError(_unhealthy(engine, name, f"not healthy after {limit} s"))
        if pending:
            time.sleep(0.5)


def _unhealthy(engine: Engine, name: str, why: str) -> str:
    health = inspect(engine, name)["State"].get("Health") or {}
    probes = [p.get("Output", "").strip() for p in health.get("Log") or [] if p.get("ExitCode")]
    probe = f"\nlast failed health check: {probes[-1]}" if probes and probes[-1] else ""
    return (
        f"container {name} {why}{probe}\nits last log lines:\n"
        f"{tail(logs(engine, name, LOG_LINES) or '(no output)', LOG_LINES)}"
    )


@dataclass(frozen=True)
class Stopped:
    name: str
    seconds: float
    exit_code: int
    logs: str


def stop(engine: Engine, name: str, stop_timeout: int) -> Stopped:
    """``docker stop`` (SIGTERM, SIGKILL after the container's stop timeout)."""
    started = time.monotonic()
    engine.ok("stop", name, what=f"docker stop {name}", timeout=stop_timeout + 30)
    seconds = time.monotonic() - started
    exit_code = inspect(engine, name)["State"]["ExitCode"]
    return Stopped(name, seconds, exit_code, logs(engine, name))


def _labelled(engine: Engine, run_id: str | None) -> tuple[list[str], list[str]]:
    """Our containers and networks (of ``run_id``, or of any run)."""
    selector = f"label={LABEL}={run_id}" if run_id else f"label={LABEL}"
    ids = engine.ok("ps", "-aq", "--filter", selector, what="docker ps").split()
    nets = engine.ok("network", "ls", "-q", "--filter", selector, what="docker network ls").split()
    return ids, nets


def remove_labelled(engine: Engine, run_id: str | None = None) -> list[str]:
    """Remove every container, then network, with our label (of ``run_id``, or of any run)."""
    ids, nets = _labelled(engine, run_id)
    if ids:
        engine.ok("rm", "--force", "--volumes", *ids, what="docker rm", timeout=120)
    if nets:
        engine.ok("network", "rm", *nets, what="docker network rm")
    return ids + nets


def other_runs(engine: Engine, keep: str) -> list[str]:
    """The run ids of our containers other than ``keep`` (what a release replaces)."""
    out = engine.ok(
        "ps", "-a", "--filter", f"label={LABEL}", "--format", f'{{{{.Label "{LABEL}"}}}}',
        what="docker ps",
    )  # fmt: skip
    return sorted({r for r in out.split() if r != keep})


def leftovers(engine: Engine, run_id: str | None = None) -> list[str]:
    """Containers and networks that still carry our label."""
    ids, nets = _labelled(engine, run_id)
    return ids + nets
