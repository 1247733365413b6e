"""All stacks of one environment, wired together."""

from __future__ import annotations

from pathlib import Path

from cdktf import App

from config import EnvironmentConfig
from config.naming import stack_name
from modules.bootstrap import build_bootstrap
from modules.foundation import FoundationStack
from modules.images import ImagesStack
from modules.services import ServicesStack


def build_environment(
    app: App, env: EnvironmentConfig, *, apps_dir: Path, bootstrap: bool = True
) -> None:
    """Create the environment's stacks.

    With S3 state and ``bootstrap`` (default on), also ``<env>-bootstrap``, which
    creates the state bucket and keeps its own state locally.

    With ``images.source == "build"`` the services run the images stack's
    digest-pinned references, so every rebuilt image rolls out a new task
    definition. With ``"tag"`` they run ``<repo>:<service>-<version>`` as is.
    """
    foundation = FoundationStack(app, stack_name(env.name, "foundation"), env=env)
    images: ImagesStack | None = None
    if env.images.source == "build":
        images = ImagesStack(
            app,
            stack_name(env.name, "images"),
            env=env,
            foundation=foundation,
            apps_dir=apps_dir,
        )
        refs = images.pinned_references
    else:
        repo = foundation.registry.repository_url
        refs = {s.name: f"{repo}:{s.name}-{env.app_version}" for s in env.services}
    services = ServicesStack(
        app, stack_name(env.name, "services"), env=env, foundation=foundation, images=refs
    )
    if images is not None:
        services.add_dependency(images)
    if bootstrap and env.state.backend == "s3":
        build_bootstrap(app, env)
