"""Turn process settings (environment variables and cdktf context) into configs.

Settings, all optional:

``ENVS``            comma-separated environments to build (default ``dev,prod``).
``TARGET``          ``local`` (default): the embedded AWS emulator; ``aws``: real AWS.
``TF_STATE_BUCKET`` state bucket; required when ``TARGET=aws``.
``STATE_BACKEND``   ``s3`` (default) or ``local`` (state files on disk; tests, offline).
``APP_VERSION``     release version; defaults to the ``appVersion`` context in cdktf.json.
``IMAGE_SOURCE``    ``build`` (images stack) or ``tag`` (existing tags). ``local`` forces ``tag``.
``EMULATOR_ENDPOINT`` ``TARGET=local`` only: the emulator's loopback URL (default
                  ``http://127.0.0.1:4566``); local stacks send every AWS call there.
``EMULATOR_SESSION`` ``TARGET=local`` only: a JSON file holding the ``Credentials`` of a
                  role session from the emulator's STS (``AccessKeyId``, ``SecretAccessKey``,
                  ``SessionToken``); the stacks act as that role (``make deploy CI_ROLE=``).
``DELETION_PROTECTION`` ``on`` (default: as each environment configures it) or ``off``
                    (no ALB deletion protection anywhere; only for a deliberate teardown).
``GITHUB_REPOSITORY`` ``owner/repo`` whose GitHub Actions may assume the CI roles that
                  ``<env>-bootstrap`` creates (GitHub Actions sets it itself); unset: no CI roles.
``GITHUB_OIDC_PROVIDER`` ``create`` (default) or ``existing``: the account's GitHub OIDC
                  provider already exists (another environment's bootstrap made it).
``BOOTSTRAP_STATE_BUCKET`` ``create`` (default) or ``existing``: the state bucket already
                  exists (one bucket shared with another environment's bootstrap).
``CONFIG_OVERRIDES`` path of a JSON file mapping environment name -> partial config,
                  applied with ``env.with_`` for this run (config/overrides.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import Field

from config.environments import ENVIRONMENTS
from config.errors import ConfigError
from config.overrides import apply_overrides, read_overrides
from config.schema import (
    ConfigModel,
    EmulatorSession,
    EnvironmentConfig,
    ImageConfig,
    StateConfig,
    validate_emulator_endpoint,
    validate_github_repository,
    validate_version,
)

# The emulator's state bucket; created by the rehearsal harness before any deploy.
LOCAL_STATE_BUCKET = "ecs-learn-tfstate-local"
# Where local-target stacks look for the emulator unless EMULATOR_ENDPOINT says otherwise.
DEFAULT_EMULATOR_ENDPOINT = "http://127.0.0.1:4566"


class Settings(ConfigModel):
    """Per-run choices that are not part of an environment's definition.

    Built by ``settings_from_env``, which names the variable in its errors.
    """

    envs: tuple[str, ...]
    """Environments to build, from ``ENVS`` (default ``dev,prod``)."""
    target: Literal["local", "aws"]
    """``TARGET``: ``local`` (default, the emulator) or ``aws``."""
    app_version: str
    """``APP_VERSION``, else the ``appVersion`` context of cdktf.json."""
    state_backend: Literal["s3", "local"]
    """``STATE_BACKEND``: ``s3`` (default) or ``local``."""
    state_bucket: str | None
    """``TF_STATE_BUCKET``; the emulator's own bucket when ``TARGET=local``."""
    image_source: Literal["build", "tag"]
    """``IMAGE_SOURCE``: ``build`` (default) or ``tag``; always ``tag`` for ``local``."""
    emulator_endpoint: str | None = None
    """``EMULATOR_ENDPOINT`` for ``TARGET=local`` (default ``http://127.0.0.1:4566``)."""
    emulator_session: EmulatorSession | None = None
    """``EMULATOR_SESSION`` for ``TARGET=local`` (default none: the fake admin keys)."""
    deletion_protection_off: bool = False
    """``DELETION_PROTECTION=off``: no ALB deletion protection anywhere (deliberate teardown)."""
    github_repository: str | None = None
    """``GITHUB_REPOSITORY``: ``owner/repo`` for the CI roles (default none: no CI roles)."""
    oidc_provider: Literal["create", "existing"] = "create"
    """``GITHUB_OIDC_PROVIDER``: ``create`` (default) or ``existing``."""
    bootstrap_bucket: Literal["create", "existing"] = "create"
    """``BOOTSTRAP_STATE_BUCKET``: ``create`` (default) or ``existing``."""
    config_overrides_file: str | None = None
    """``CONFIG_OVERRIDES``: the JSON file ``config_overrides`` was read from."""
    config_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Environment name -> partial config applied by ``load_environment`` (default none)."""


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
    endpoint = None
    if target == "local":
        image_source = "tag"  # no Docker engine or docker provider against the emulator
        endpoint = validate_emulator_endpoint(
            environ.get("EMULATOR_ENDPOINT") or DEFAULT_EMULATOR_ENDPOINT, "EMULATOR_ENDPOINT"
        )
    session_file = environ.get("EMULATOR_SESSION") or None
    if session_file is not None and target != "local":
        raise ConfigError("EMULATOR_SESSION", session_file, "only with TARGET=local")
    session = read_emulator_session(session_file) if session_file else None
    protection = environ.get("DELETION_PROTECTION") or "on"
    if protection not in ("on", "off"):
        raise ConfigError("DELETION_PROTECTION", protection, "must be 'on' (default) or 'off'")
    repository = environ.get("GITHUB_REPOSITORY") or None
    if repository is not None:
        validate_github_repository(repository, "GITHUB_REPOSITORY")
    oidc_provider = _create_or_existing(environ, "GITHUB_OIDC_PROVIDER")
    bootstrap_bucket = _create_or_existing(environ, "BOOTSTRAP_STATE_BUCKET")
    overrides_file = environ.get("CONFIG_OVERRIDES") or None
    overrides = read_overrides(overrides_file, ENVIRONMENTS) if overrides_file else {}
    # Each was checked against its allowed values above.
    return Settings(
        envs=envs,
        target=cast(Literal["local", "aws"], target),
        app_version=str(version),
        state_backend=cast(Literal["s3", "local"], backend),
        state_bucket=bucket,
        image_source=cast(Literal["build", "tag"], image_source),
        emulator_endpoint=endpoint,
        emulator_session=session,
        deletion_protection_off=protection == "off",
        github_repository=repository,
        oidc_provider=oidc_provider,
        bootstrap_bucket=bootstrap_bucket,
        config_overrides_file=overrides_file,
        config_overrides=overrides,
    )


def read_emulator_session(path: str) -> EmulatorSession:
    """The role session in the JSON file at ``path`` (STS ``Credentials``)."""
    try:
        data = json.loads(Path(path).read_text())
        return EmulatorSession(
            access_key_id=data["AccessKeyId"],
            secret_access_key=data["SecretAccessKey"],
            session_token=data["SessionToken"],
        )
    except (OSError, ValueError, KeyError, TypeError, ConfigError) as exc:
        reason = f"not a readable STS Credentials JSON file ({exc})"
        raise ConfigError("EMULATOR_SESSION", path, reason) from None


def _create_or_existing(environ: Mapping[str, str], name: str) -> Literal["create", "existing"]:
    value = environ.get(name) or "create"
    if value not in ("create", "existing"):
        raise ConfigError(name, value, "must be 'create' (default) or 'existing'")
    return cast(Literal["create", "existing"], value)


def load_environment(name: str, settings: Settings) -> EnvironmentConfig:
    """Build and validate the named environment for these settings."""
    if name not in ENVIRONMENTS:
        raise ConfigError("environment", name, f"unknown; known: {sorted(ENVIRONMENTS)}")
    env = ENVIRONMENTS[name](
        app_version=settings.app_version,
        state=StateConfig(backend="local"),
        images=ImageConfig(source=settings.image_source),
    )
    changes: dict[str, object] = {
        "emulator_endpoint": settings.emulator_endpoint,
        "emulator_session": settings.emulator_session,
    }
    if settings.state_backend == "s3":
        # The state bucket lives in the environment's own region.
        changes["state"] = {
            "backend": "s3",
            "bucket": settings.state_bucket,
            "region": env.region,
            "path_style": settings.target == "local",
            "bootstrap_bucket": settings.bootstrap_bucket,
        }
    ci: dict[str, object] = {"oidc_provider": settings.oidc_provider}
    if settings.github_repository:
        ci["github_repository"] = settings.github_repository
    changes["ci"] = ci
    overrides = settings.config_overrides.get(name)
    if overrides:
        assert settings.config_overrides_file is not None
        env = apply_overrides(env, overrides, settings.config_overrides_file)
    if settings.deletion_protection_off:
        changes["load_balancer"] = {"deletion_protection": False}
    return env.with_(**changes)
