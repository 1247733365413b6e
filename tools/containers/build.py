"""``docker build`` the apps like the images stack, push, read back digests.

Context, Dockerfile and tag (``<registry>/<repository>:<service>-<version>``) are the
images stack's. The digest is read back from the registry (what the services stack pins)
and must match the engine's RepoDigests. Without a registry (``registry.local_registry``
yields None) the tag has no registry part, nothing is pushed, and the image runs by its id.
``disagreements`` compares the built image with the task definition that will run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.containers.base import Base
from tools.containers.common import ContainersError, tail
from tools.containers.engine import Engine
from tools.containers.registry import Registry
from tools.containers.run import inspect
from tools.containers.taskdefs import TaskDefinition

BUILD_SECONDS = 900


class BuildError(ContainersError):
    """``docker build`` failed, or the image disagrees with its task definition."""


@dataclass(frozen=True)
class BuiltImage:
    service: str
    reference: str  # [<registry>/]<repository>:<tag>
    digest: str  # sha256:..., from the registry; the image id when nothing was pushed
    base: Base
    pushed: bool = True

    @property
    def pinned(self) -> str:
        """``<registry>/<repository>@sha256:...``, the form the services stack runs
        (the image id itself when there was no registry)."""
        if not self.pushed:
            return self.digest
        return f"{self.reference.rsplit(':', 1)[0]}@{self.digest}"


def disagreements(image: dict[str, Any], task: TaskDefinition) -> list[str]:
    """Where the image's own config contradicts the task definition, or the task definition
    its own port (empty when none)."""
    config = image.get("Config") or {}
    found = []
    image_user = (config.get("User") or "").split(":")[0]
    if image_user != task.user:
        found.append(
            f"USER: the image runs as {image_user or 'root (no USER)'!r}, "
            f"the task definition as {task.user!r}"
        )
    test = (config.get("Healthcheck") or {}).get("Test")
    if test != task.health.command:
        found.append(f"HEALTHCHECK: image {test}, task definition {task.health.command}")
    # The task's PORT (which the app listens on) must be the port the ALB sends to. The
    # image's EXPOSE and ENV PORT are defaults the task overrides: not compared.
    port_env = task.environment.get("PORT")
    if port_env is not None and port_env != str(task.port):
        found.append(
            f"PORT: the task definition sets PORT={port_env}, its port mapping {task.port}"
        )
    return found


def dockerfile_of(apps: Path, service: str) -> Path:
    """The service's Dockerfile in the ``apps`` build context."""
    return apps / service / "Dockerfile"


def build_and_push(
    engine: Engine, registry: Registry | None, task: TaskDefinition, apps: Path, base: Base
) -> BuiltImage:
    """Build ``task``'s image from ``apps``, check it against ``task``, push it, read its digest."""
    prefix = f"{registry.address}/" if registry else ""
    reference = f"{prefix}{task.repository}:{task.tag}"
    dockerfile = dockerfile_of(apps, task.service)
    result = engine.docker(
        "build", "--build-arg", f"BASE_IMAGE={base.image}", "-t", reference,
        "-f", str(dockerfile), str(apps),
        timeout=BUILD_SECONDS,
    )  # fmt: skip
    if result.returncode != 0:
        raise BuildError(f"docker build of {task.service} ({dockerfile}) failed:\n"
                         f"{tail(result.stdout)}")  # fmt: skip
    image = inspect(engine, reference)
    found = disagreements(image, task)
    if found:
        raise BuildError(
            f"the {task.service} image ({dockerfile}) disagrees with its task definition:\n- "
            + "\n- ".join(found)
        )
    if registry is None:
        return BuiltImage(task.service, reference, str(image["Id"]), base, pushed=False)
    engine.ok("push", reference, what=f"docker push {reference}", timeout=300)
    digest = registry.digest(task.repository, task.tag)
    repo_digests = inspect(engine, reference).get("RepoDigests") or []  # the push added one
    if f"{reference.rsplit(':', 1)[0]}@{digest}" not in repo_digests:
        raise BuildError(f"registry digest {digest} of {reference} is not in {repo_digests}")
    return BuiltImage(service=task.service, reference=reference, digest=digest, base=base)
