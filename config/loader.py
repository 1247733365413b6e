"""Turn process settings (environment variables and cdktf context) into configs.

Settings, all optional:

``ENVS``            comma-separated environments to build (default ``dev,prod``).
``TARGET``          ``local`` (default): the embedded AWS emulator; ``aws``: real AWS.
``TF_STATE_BUCKET`` state bucket; required when ``TARGET=aws``.
``STATE_BACKEND``   ``s3`` (default) or ``local`` (state files on disk; tests, offline).
``APP_VERSION``     release version; defaults to the ``appVersion`` context in cdktf.json.
``IMAGE_SOURCE``    ``build`` (images stack) or ``tag`` (existing tags). ``local`` forces ``tag``.
``DELETION_PROTECTION`` ``on`` (default: as each environment configures it) or ``off``
                    (no ALB deletion protection anywhere; only for a deliberate teardown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from config.environments import ENVIRONMENTS
from config.errors import ConfigError
from config.schema import EnvironmentConfig, ImageConfig, StateConfig, validate_version

# The emulator's state bucket; created by the rehearsal harness before any deploy.
LOCAL_STATE_BUCKET = "ecs-learn-tfstate-local"


@dataclass(frozen=True)
class Settings:
    """Per-run choices that are not part of an environment's definition."""

    envs: tuple[str, ...]
    target: str
    app_version: str
    state_backend: str
    state_bucket: str | None
    image_source: str
    deletion_protection_off: bool = False


def settings_from_env(
    environ: Mapping[str, str], context: Mapping[str, object] | None = None
) -> Settings:
    """Read and validate ``Settings``; raises ``ConfigError`` naming the variable."""
    context = context or {}
    envs = tuple(e.strip() for e in environ.get("ENVS", "dev,prod").split(",") if e.strip())
    if not envs:
        raise ConfigError("ENVS", environ.get("ENVS"), "names no environment")
    for env in envs:
        if env not in ENVIRONMENTS:
            raise ConfigError("ENVS", env, f"unknown environment; known: {sorted(ENVIRONMENTS)}")
    target = environ.get("TARGET", "local")
    if target not in ("local", "aws"):
        raise ConfigError("TARGET", target, "must be 'local' (emulator) or 'aws'")
    backend = environ.get("STATE_BACKEND", "s3")
    if backend not in ("s3", "local"):
        raise ConfigError("STATE_BACKEND", backend, "must be 's3' or 'local'")
    bucket = environ.get("TF_STATE_BUCKET") or None
    if target == "aws" and backend == "s3" and not bucket:
        raise ConfigError("TF_STATE_BUCKET", bucket, "required when TARGET=aws")
    if target == "local":
        bucket = LOCAL_STATE_BUCKET
    version = environ.get("APP_VERSION") or context.get("appVersion")
    field = "APP_VERSION" if environ.get("APP_VERSION") else "appVersion (cdktf.json context)"
    validate_version(version, field)
    image_source = environ.get("IMAGE_SOURCE", "build")
    if image_source not in ("build", "tag"):
        raise ConfigError("IMAGE_SOURCE", image_source, "must be 'build' or 'tag'")
    if target == "local":
        image_source = "tag"  # no Docker engine or docker provider against the emulator
    protection = environ.get("DELETION_PROTECTION") or "on"
    if protection not in ("on", "off"):
        raise ConfigError("DELETION_PROTECTION", protection, "must be 'on' (default) or 'off'")
    return Settings(
        envs=envs,
        target=target,
        app_version=str(version),
        state_backend=backend,
        state_bucket=bucket,
        image_source=image_source,
        deletion_protection_off=protection == "off",
    )


def load_environment(name: str, settings: Settings) -> EnvironmentConfig:
    """Build and validate the named environment for these settings."""
    if name not in ENVIRONMENTS:
        raise ConfigError("environment", name, f"unknown; known: {sorted(ENVIRONMENTS)}")
    env = ENVIRONMENTS[name](
        app_version=settings.app_version,
        state=StateConfig(backend="local"),
        images=ImageConfig(source=settings.image_source),  # type: ignore[arg-type]
    )
    if settings.state_backend == "s3":
        # The state bucket lives in the environment's own region.
        state = StateConfig(
            backend="s3",
            bucket=settings.state_bucket,
            region=env.region,
            path_style=settings.target == "local",
        )
        env = replace(env, state=state)
    if settings.deletion_protection_off:
        env = replace(env, load_balancer=replace(env.load_balancer, deletion_protection=False))
    return replace(env, emulator=settings.target == "local").validate()
