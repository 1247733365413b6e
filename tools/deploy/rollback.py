"""``make rollback ENV=<env> VERSION=<previous>``: redeploy a previous release's images.

    python -m tools.deploy.rollback --env ENV --version VERSION [--auto-approve]

It deploys ``APP_VERSION=<version>`` with ``IMAGE_SOURCE=tag`` (nothing is built or pushed),
then checks the deployments as ``make deploy`` does. A version whose images are not all in
the environment's ECR repository is refused before anything changes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from config import ConfigError, EnvironmentConfig
from config.schema import validate_version
from tools.deploy import cli as deploy
from tools.deploy import deployments
from tools.deploy.ecr import image_tags, missing_tags, versions_present
from tools.deploy.target import (
    LOCAL_DIR,
    TargetError,
    aws_target,
    check_env_name,
    environment_config,
    local_target,
)
from tools.emulator.emulator import Emulator, EmulatorError
from tools.terraform import TerraformSetupError


class RollbackRefused(RuntimeError):
    """The version cannot be rolled back to; nothing was changed."""


def require_images(ecr: Any, env: EnvironmentConfig, version: str) -> None:
    """Raise ``RollbackRefused`` unless every service's ``<service>-<version>`` is in ECR."""
    repository = env.registry.repository_name
    services = [s.name for s in env.services]
    missing = missing_tags(ecr, repository, image_tags(version, services))
    if missing:
        present = versions_present(ecr, repository, services)
        raise RollbackRefused(
            f"refusing to roll back {env.name} to {version}: ECR repository {repository} has "
            f"no image {', '.join(missing)}, and a rollback never builds or pushes; nothing "
            "was changed. Versions that can be rolled back to: "
            + (", ".join(present) if present else "none")
        )


def rollback_environ(environ: Mapping[str, str], version: str) -> dict[str, str]:
    """``environ`` set to deploy ``version``'s existing tags (no images stack, no build)."""
    return {**environ, "APP_VERSION": version, "IMAGE_SOURCE": "tag"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy.rollback", description=__doc__)
    parser.add_argument("--env", required=True, help="environment, e.g. dev")
    parser.add_argument("--version", required=True, help="the previous release, e.g. 0.1.0")
    parser.add_argument(
        "--auto-approve", action="store_true", help="TARGET=aws: do not ask before applying"
    )
    args = parser.parse_args(argv)
    try:
        check_env_name(args.env)
        validate_version(args.version, "VERSION")
        environ = rollback_environ(os.environ, args.version)
        local = environ.get("TARGET", "local") == "local"
        if local:
            emulator = Emulator.find(LOCAL_DIR)
            if emulator is None:
                raise RollbackRefused(
                    f"refusing to roll back {args.env}: nothing is deployed locally (no emulator "
                    "is running; `make deploy` first); nothing was changed"
                )
            target: Any = local_target(args.env, environ).at(emulator.endpoint)
            environ["EMULATOR_ENDPOINT"] = emulator.endpoint
        else:
            target = aws_target(args.env, environ)
        env = environment_config(args.env, environ)
        require_images(target.client("ecr"), env, args.version)
        tags = ", ".join(image_tags(args.version, [s.name for s in env.services]))
        print(f"rolling {args.env} back to {args.version}: {tags} are in ECR")
        os.environ.update({"APP_VERSION": args.version, "IMAGE_SOURCE": "tag"})
        if local:
            return deploy.run_local("deploy", args.env)
        return deploy.run_aws("deploy", args.env, args.auto_approve)
    except (ConfigError, TargetError, TerraformSetupError, EmulatorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (RollbackRefused, deploy.DeployError, deployments.DeploymentCheckFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
