"""A registry on 127.0.0.1 that stands in for ECR while the images are pushed.

The first of these that the machine has:

1. the pinned ``registry`` image (``IMAGE``), present on the engine or pulled, run as a
   container that publishes its port on 127.0.0.1;
2. Debian's ``docker-registry``, run as a process with a generated config (installed
   first only where ``packages`` may install);
3. none: the images stay in the engine's own store and run from there. That is said
   once, and the push is a check not run (``tools/not_run.py``; required in CI).

Each lives only for the ``with`` block. Docker trusts registries on 127.0.0.0/8 without
TLS, so no certificates are involved.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tools import not_run, processes
from tools.containers import base, packages
from tools.containers.common import (
    LABEL,
    LOCALHOST,
    ContainersError,
    MissingError,
    free_port,
    tail,
)
from tools.containers.engine import Engine

# registry 3.1.1, its multi-platform index (docker-library/repo-info,
# repos/registry/remote/3.1.1.md); runs on amd64 and arm64 (Docker Desktop on a Mac).
IMAGE = "registry:3.1.1@sha256:849b7d29920d060df8091770ede2279c07924ecd29e2a4c029ee0b5ea2ea542b"
IMAGE_NAME = IMAGE.split("@")[0]
IMAGE_PORT = 5000

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    )
)
CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {data}
  delete:
    enabled: true
http:
  addr: {host}:{port}
"""


@dataclass(frozen=True)
class Registry:
    address: str  # host:port, the prefix of image references

    def digest(self, repository: str, tag: str) -> str:
        """The manifest digest the registry serves for ``repository:tag``."""
        request = urllib.request.Request(
            f"http://{self.address}/v2/{repository}/manifests/{tag}",
            method="HEAD",
            headers={"Accept": MANIFEST_TYPES},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                digest = response.headers.get("Docker-Content-Digest", "")
        except (OSError, urllib.error.HTTPError) as exc:
            raise ContainersError(f"registry has no {repository}:{tag}: {exc}") from exc
        if not digest.startswith("sha256:"):
            raise ContainersError(f"registry sent no digest for {repository}:{tag}")
        return str(digest)


def _answers(address: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{address}/v2/", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def choose(engine: Engine) -> str:
    """``image``, ``debian`` or ``none``: which registry this machine can run."""
    if base.has_image(engine, IMAGE) or engine.docker("pull", IMAGE, timeout=300).returncode == 0:
        return "image"
    try:
        packages.ensure("docker-registry")
    except MissingError:
        return "none"
    return "debian"


def why_none() -> str:
    return f"neither {IMAGE_NAME} can be pulled nor Debian's docker-registry is installed"


@contextlib.contextmanager
def local_registry(engine: Engine, start_seconds: float = 20) -> Iterator[Registry | None]:
    """A running registry for the ``with`` block, or None (see the module's docstring).

    With ``CI=true`` or ``REQUIRE_ALL=1`` having none is an error, not a skipped push.
    """
    kind = choose(engine)
    if kind == "image":
        with _container(engine, start_seconds) as registry:
            yield registry
    elif kind == "debian":
        with _process(start_seconds) as registry:
            yield registry
    else:
        if not_run.required():
            raise MissingError(f"no registry: {why_none()}")
        line = not_run.record("containers: registry push", why_none())
        print(f"containers: {line}; the images run from the engine's own store", flush=True)
        yield None


def _wait(address: str, seconds: float, alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive() and not _answers(address):
        time.sleep(0.2)
    return _answers(address)


@contextlib.contextmanager
def _container(engine: Engine, start_seconds: float) -> Iterator[Registry]:
    """The pinned image on a network of its own, its port published on 127.0.0.1."""
    run_id = f"registry-{uuid.uuid4().hex[:8]}"
    name = f"ecs-learn-{run_id}"
    port = free_port()
    address = f"{LOCALHOST}:{port}"
    try:
        engine.ok(
            "network", "create", "--label", f"{LABEL}={run_id}", name, what="registry network"
        )
        engine.ok(
            "run", "--detach", "--name", name, "--label", f"{LABEL}={run_id}",
            "--network", name, "--publish", f"{address}:{IMAGE_PORT}",
            "--env", "REGISTRY_STORAGE_DELETE_ENABLED=true", IMAGE,
            what=f"docker run {IMAGE}",
        )  # fmt: skip
        if not _wait(address, start_seconds, lambda: True):
            logs = engine.docker("logs", name).stdout
            raise ContainersError(f"the registry container did not answer on {address}:\n"
                                  f"{tail(logs)}")  # fmt: skip
        print(f"containers: registry on {address} (container {IMAGE_NAME})", flush=True)
        yield Registry(address=address)
    finally:
        engine.docker("rm", "--force", "--volumes", name)
        engine.docker("network", "rm", name)


@contextlib.contextmanager
def _process(start_seconds: float) -> Iterator[Registry]:
    """Debian's docker-registry with a generated config, storage in a temp directory."""
    binary = packages.ensure("docker-registry")
    with tempfile.TemporaryDirectory(prefix="ecs-learn-registry-") as tmp:
        port = free_port()
        config = Path(tmp) / "config.yml"
        config.write_text(CONFIG.format(data=Path(tmp) / "data", host=LOCALHOST, port=port))
        log = (Path(tmp) / "registry.log").open("w")
        proc = subprocess.Popen(
            [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        address = f"{LOCALHOST}:{port}"
        try:
            if not _wait(address, start_seconds, lambda: proc.poll() is None):
                log.flush()
                raise ContainersError(
                    f"docker-registry did not start on {address}:\n"
                    + (Path(tmp) / "registry.log").read_text()[-1000:]
                )
            print(f"containers: registry on {address} (Debian's docker-registry, pid {proc.pid})",
                  flush=True)  # fmt: skip
            yield Registry(address=address)
        finally:
            processes.terminate_group(proc.pid, 10)
            proc.wait()  # already reaped: Popen reads that as exited
            log.close()
