"""All stacks of one environment, wired together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdktf import App

from config import EnvironmentConfig
from modules.bootstrap import BootstrapStack, build_bootstrap
from modules.foundation import FoundationStack
from modules.images import ImagesStack
from modules.services import ServicesStack


@dataclass(frozen=True)
class EnvironmentStacks:
    foundation: FoundationStack
    images: ImagesStack | None
    services: ServicesStack
    bootstrap: BootstrapStack | None


def stack_names(env: EnvironmentConfig) -> list[str]:
    """Stack names in deploy order, e.g. ``dev-foundation``, ``dev-images``, ``dev-services``."""
    names = [f"{env.name}-foundation"]
    if env.images.source == "build":
        names.append(f"{env.name}-images")
    return [*names, f"{env.name}-services"]


def build_environment(
    app: App, env: EnvironmentConfig, *, apps_dir: Path, bootstrap: bool = True
) -> EnvironmentStacks:
    """Create the environment's stacks.

    With S3 state and ``bootstrap`` (default on), also ``<env>-bootstrap``, which
    creates the state bucket and keeps its own state locally.

    With ``images.source == "build"`` the services run the images stack's
    digest-pinned references, so every rebuilt image rolls out a new task
    definition. With ``"tag"`` they run ``<repo>:<service>-<version>`` as is.
    """
    foundation = FoundationStack(app, f"{env.name}-foundation", env=env)
    images: ImagesStack | None = None
    if env.images.source == "build":
        images = ImagesStack(
            app,
            f"{env.name}-images",
            env=env,
            foundation=foundation,
            app_dirs={s.name: apps_dir / s.name for s in env.services},
        )
        refs = images.pinned_references
    else:
        repo = foundation.registry.repository_url
        refs = {s.name: f"{repo}:{s.name}-{env.app_version}" for s in env.services}
    services = ServicesStack(
        app, f"{env.name}-services", env=env, foundation=foundation, images=refs
    )
    if images is not None:
        services.add_dependency(images)
    boot = build_bootstrap(app, env) if bootstrap and env.state.backend == "s3" else None
    return EnvironmentStacks(
        foundation=foundation, images=images, services=services, bootstrap=boot
    )
