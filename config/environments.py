"""The environments this project deploys. Edit here to change sizes, regions or CIDRs.

Each entry is a function of the per-run ``StateConfig`` and version, so that
the same definition serves real AWS, the local emulator and offline tests.
Sections are given as mappings over their defaults, so a bad value here is
reported with its full path (``prod.frontend.memory``).
"""

from __future__ import annotations

from collections.abc import Callable

from config.schema import CiConfig, EnvironmentConfig, ImageConfig, StateConfig

REGION = "ap-northeast-1"


def dev(*, app_version: str, state: StateConfig, images: ImageConfig) -> EnvironmentConfig:
    """Small and cheap: the seed's sizes, short log retention, no deletion protection.

    ECR repository: ``ecr-learn-app-dev`` (the default ``ecr-learn-app-<env>``).
    """
    return EnvironmentConfig(
        name="dev",
        region=REGION,
        azs=(f"{REGION}a", f"{REGION}c"),
        app_version=app_version,
        state=state,
        images=images,
        log_retention_days=14,
        exec_enabled=True,  # make exec; prod keeps it off
        tags={"Environment": "dev"},
        # The GitHub environment of the deploy-dev job in .github/workflows/deploy.yml.
        ci=CiConfig(github_environment="development"),
    )


def prod(*, app_version: str, state: StateConfig, images: ImageConfig) -> EnvironmentConfig:
    """Stricter than dev: bigger tasks, more headroom, flow logs, ALB access logs,
    KMS-encrypted logs kept a year, and deletion protection.

    ECR repository: ``ecr-learn-app-prod`` (the default ``ecr-learn-app-<env>``).
    """
    base = EnvironmentConfig(
        name="prod",
        region=REGION,
        azs=(f"{REGION}a", f"{REGION}c"),
        app_version=app_version,
        state=state,
        images=images,
        log_retention_days=365,
        log_kms_encryption=True,
        tags={"Environment": "prod"},
        # The GitHub environment of the deploy-prod job in .github/workflows/deploy.yml.
        ci=CiConfig(github_environment="production"),
    )
    sized = {"cpu": 512, "memory": 1024, "max_capacity": 10, "health_check_grace_seconds": 90}
    return base.with_(
        network={"flow_logs": True},
        frontend=sized,
        backend=sized,
        load_balancer={"deletion_protection": True, "access_logs": True},
    )


ENVIRONMENTS: dict[str, Callable[..., EnvironmentConfig]] = {"dev": dev, "prod": prod}
