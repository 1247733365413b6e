"""The whole local run: engine, base image, registry, build, containers, browser.

``up`` builds and pushes both images and runs them by digest: backend replicas behind
the network alias ``backend.internal`` (the internal ALB's stand-in) and the frontend on
127.0.0.1; on any failure everything it created is removed before the error is raised.
``serve_after_deploy`` and ``stop_serving`` are what ``make deploy`` and
``make destroy|down`` call (through tools/deploy/cli.py); ``release`` rolls the new
containers out behind the local balancer the way ECS does behind an ALB (docs/containers.md).
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tools.containers import balancer, build, run, taskdefs
from tools.containers import base as base_image
from tools.containers.common import (
    LOCALHOST,
    ROOT,
    STATE_DIR,
    ContainersError,
    MissingError,
    PortTakenError,
    free_port,
    port_is_free,
)
from tools.containers.engine import Engine, answers, ensure_engine, own_engine, stop_own_engine
from tools.containers.registry import local_registry

APPS = ROOT / "apps"
BACKEND_ALIAS = "backend.internal"  # stands in for the internal ALB's DNS name
DEFAULT_PORT = 3000
SERVED = STATE_DIR / "served.json"
DRAIN_SECONDS = 1.0  # in-flight requests to the old frontend finish (the ALB's deregistration)


@dataclass
class Served:
    run_id: str
    engine: Engine
    frontend_url: str
    network: str
    containers: dict[str, list[str]]  # service -> container names
    images: dict[str, build.BuiltImage]
    tasks: dict[str, taskdefs.TaskDefinition]
    timings: dict[str, float] = field(default_factory=dict)

    def task_of(self, container: str) -> taskdefs.TaskDefinition:
        (service,) = [s for s, names in self.containers.items() if container in names]
        return self.tasks[service]


def build_images(
    engine: Engine, tasks: dict[str, taskdefs.TaskDefinition], apps: Path
) -> dict[str, build.BuiltImage]:
    """Build and push every service's image through a registry that lives for this call."""
    bases: dict[str, base_image.Base] = {}
    images = {}
    with local_registry(engine) as registry:
        for service, task in sorted(tasks.items()):
            pinned = base_image.pinned_base(build.dockerfile_of(apps, service))
            if pinned not in bases:
                bases[pinned] = base_image.ensure_base(engine, pinned)
            images[service] = build.build_and_push(engine, registry, task, apps, bases[pinned])
            kind = "STAND-IN " if bases[pinned].standin else ""
            print(
                f"containers: {service}: {images[service].reference} "
                f"{images[service].digest} (base: {kind}{bases[pinned].image})",
                flush=True,
            )
    return images


def up(
    engine: Engine,
    *,
    tasks: dict[str, taskdefs.TaskDefinition],
    port: int = DEFAULT_PORT,
    apps: Path = APPS,
    replicas: int = 2,
    run_id: str | None = None,
) -> Served:
    """Build, push and run everything; ``port=0`` picks a free port for the frontend.

    ``apps`` (default the repository's ``apps/``) is the build context of every image.
    """
    if port and not port_is_free(port):
        raise PortTakenError(f"{LOCALHOST}:{port} is already taken: free it or set CONTAINERS_PORT")
    port = port or free_port()
    run_id = run_id or uuid.uuid4().hex[:8]
    timings = {}
    try:
        started = time.monotonic()
        images = build_images(engine, tasks, apps)
        timings["build"] = time.monotonic() - started
        started = time.monotonic()
        network = run.create_network(engine, f"ecs-learn-{run_id}", run_id)
        backend_url = f"http://{BACKEND_ALIAS}:{tasks['backend'].port}"
        # (service, replica, network alias, its Terraform references' stand-ins, host port)
        specs = [
            *[("backend", n, BACKEND_ALIAS, {}, None) for n in range(1, replicas + 1)],
            ("frontend", 1, "frontend", {"BACKEND_URL": backend_url}, port),
        ]
        names: dict[str, list[str]] = {"backend": [], "frontend": []}
        for service, replica, alias, references, publish in specs:
            names[service].append(
                run.run_container(
                    engine,
                    name=f"ecs-learn-{run_id}-{service}-{replica}",
                    image=images[service].pinned,
                    task=tasks[service],
                    environment=taskdefs.resolve_environment(tasks[service], references),
                    network=network,
                    alias=alias,
                    run_id=run_id,
                    publish=publish,
                )
            )
        run.wait_healthy(engine, {n: tasks[s] for s, ns in names.items() for n in ns})
        timings["start"] = time.monotonic() - started
    except BaseException:
        run.remove_labelled(engine, run_id)
        raise
    url = f"http://{LOCALHOST}:{port}/"
    return Served(run_id, engine, url, network, names, images, tasks, timings)


def down(served: Served) -> None:
    run.remove_labelled(served.engine, served.run_id)


def fetch(url: str, timeout: float = 10) -> tuple[int, str]:
    """Status and body of GET ``url`` (error statuses included)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# --- make deploy / destroy / down ----------------------------------------------------


def release(engine: Engine, tasks: dict[str, taskdefs.TaskDefinition], port: int) -> Served:
    """Serve ``tasks`` on ``127.0.0.1:port``: the new containers turn healthy while the old
    ones serve, the balancer then sends new connections to them, and only then are the old
    ones removed; returns the new containers. On failure the old ones serve on."""
    found = balancer.running()
    if not (found and found["port"] == port) and not port_is_free(port):
        # A run from before the balancer publishes the port itself: it goes first (once).
        run.remove_labelled(engine)
        SERVED.unlink(missing_ok=True)
    served = up(engine, tasks=tasks, port=0)  # the old containers serve meanwhile
    upstream = served.frontend_url.removeprefix("http://").rstrip("/")
    balancer.point_at([upstream])
    balancer.ensure(port)
    time.sleep(DRAIN_SECONDS)
    for old in run.other_runs(engine, keep=served.run_id):
        run.remove_labelled(engine, old)
    url = f"http://{LOCALHOST}:{port}/"
    SERVED.parent.mkdir(parents=True, exist_ok=True)
    SERVED.write_text(json.dumps({"run_id": served.run_id, "url": url, "upstream": upstream}))
    return served


def serve_after_deploy(env_name: str) -> int:
    """Serve ``env_name``'s app locally after ``make deploy``; 0 also when the machine lacks
    a piece (no engine, no base image it may build), with one line that says which.

    ``SERVE_APP=0`` skips it (the fault rehearsal deploys several environments at
    once and needs only their stacks); ``CONTAINERS_PORT`` (default 3000) is the port.
    """
    serve = os.environ.get("SERVE_APP", "1")
    if serve not in ("0", "1"):
        print(f"error: invalid SERVE_APP={serve!r}: must be 1 (default) or 0", flush=True)
        return 2
    if serve == "0":
        print("the app is not served locally: SERVE_APP=0", flush=True)
        return 0
    raw_port = os.environ.get("CONTAINERS_PORT", str(DEFAULT_PORT))
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        print(f"error: invalid CONTAINERS_PORT={raw_port!r}: must be a port 1-65535", flush=True)
        return 2
    port = int(raw_port)
    try:
        engine = ensure_engine()
        served = release(engine, taskdefs.read(env_name), port)
    except MissingError as exc:  # the machine lacks a piece: the stacks are still deployed
        print(f"the app is not served locally: {exc}", flush=True)
        return 0
    except ContainersError as exc:
        kept = " (the previous containers keep serving)" if balancer.running() else ""
        print(f"error: the app is not served locally: {exc}{kept}", flush=True)
        return 1
    url = f"http://{LOCALHOST}:{port}/"
    print(
        f"frontend: {url} (its backend: {len(served.containers['backend'])} "
        f"replicas behind {BACKEND_ALIAS}; on {engine.describe()}; "
        "`make destroy` / `make down` stop them)",
        flush=True,
    )
    return 0


def existing_engine() -> Engine | None:
    """The engine the harness would use, without installing or starting anything."""
    explicit = os.environ.get("DOCKER_HOST")
    if explicit:
        return Engine(host=explicit) if answers(explicit) else None
    return own_engine() or (Engine(host=None) if answers(None) else None)


def _served(key: str) -> str:
    try:
        return str(json.loads(SERVED.read_text()).get(key, ""))
    except (OSError, ValueError):
        return ""


def served_url() -> str:
    """The URL of the app's containers that ``make deploy`` serves, or '' when none run."""
    return _served("url")


def served_run_id() -> str:
    """The run id of the containers ``make deploy`` serves, or '' when none run."""
    return _served("run_id")


def stop_serving() -> None:
    """Remove the served containers and network, and stop our dockerd (if we started one)."""
    try:
        engine = existing_engine()
        removed = run.remove_labelled(engine) if engine else []
    except ContainersError as exc:
        print(f"error: containers: {exc}", flush=True)
        removed = []
    SERVED.unlink(missing_ok=True)
    balancer.stop()
    pid = stop_own_engine()
    if removed or pid:
        stopped = f"; stopped our dockerd (pid {pid})" if pid else ""
        print(f"containers: removed {len(removed)} containers/networks{stopped}", flush=True)
