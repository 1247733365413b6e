"""What every stack shares: the AWS provider and the state backend.

For the local emulator target both carry the emulator's endpoint and fake
credentials in the synthesized JSON itself, so whatever runs those stacks
(``make``, a plain ``npx cdktf deploy``, ``terraform apply`` with real
credentials in the shell) can only ever talk to the emulator.
"""

from __future__ import annotations

from typing import Any

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import (
    AwsProvider,
    AwsProviderDefaultTags,
    AwsProviderEndpoints,
)

from config import EnvironmentConfig
from config.schema import PROJECT
from constructs import Construct
from modules.identity import tag_paths

# Fake credentials for the emulator: explicit keys beat any in the environment
# or a profile, and no real account accepts them.
EMULATOR_ACCESS_KEY = "testing"
EMULATOR_SECRET_KEY = "testing"

# Every AWS API the stacks call, sent to the emulator for the local target.
EMULATOR_SERVICES = (
    "appautoscaling",
    "cloudwatch",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "iam",
    "kms",
    "logs",
    "resourcegroupstaggingapi",
    "s3",
    "secretsmanager",
    "ssm",
    "sts",
    "wafv2",
)


def name_prefix(env: EnvironmentConfig) -> str:
    """Prefix for AWS resource names, e.g. ``ecs-learn-dev``."""
    return env.name_prefix


def state_key(env: EnvironmentConfig, stack_name: str) -> str:
    """State object key, e.g. ``dev/dev-foundation.tfstate``."""
    return f"{env.name}/{stack_name}.tfstate"


def emulator_credentials(env: EnvironmentConfig) -> dict[str, str]:
    """The keys the stacks send to the emulator: the fake admin keys, or the role session
    of ``env.emulator_session`` (which acts as that role, with IAM's decisions)."""
    session = env.emulator_session
    if session is None:
        return {"access_key": EMULATOR_ACCESS_KEY, "secret_key": EMULATOR_SECRET_KEY}
    return {
        "access_key": session.access_key_id,
        "secret_key": session.secret_access_key,
        "token": session.session_token,
    }


def _emulator_backend_settings(env: EnvironmentConfig) -> dict[str, Any]:
    """S3 backend settings that reach only the emulator (also used for remote state reads)."""
    assert env.emulator_endpoint is not None
    endpoint = env.emulator_endpoint
    return {
        "endpoints": {"s3": endpoint, "sts": endpoint, "iam": endpoint},
        **emulator_credentials(env),
        "skip_credentials_validation": True,
        "skip_metadata_api_check": True,
        "skip_requesting_account_id": True,
        "use_path_style": True,
    }


def configure_backend(stack: TerraformStack, env: EnvironmentConfig, stack_name: str) -> None:
    """S3 state (encrypted, S3-native lockfile) or, for offline work, a local file."""
    state = env.state
    if state.backend == "local":
        LocalBackend(stack)
        return
    assert state.bucket and state.region  # guaranteed by StateConfig's validation
    emulator = _emulator_backend_settings(env) if env.emulator_endpoint else {}
    S3Backend(
        stack,
        bucket=state.bucket,
        key=state_key(env, stack_name),
        region=state.region,
        encrypt=True,
        **({"use_path_style": state.path_style or None} | emulator),
    )
    # cdktf's S3Backend has no use_lockfile option (Terraform >= 1.10 has it).
    stack.add_override("terraform.backend.s3.use_lockfile", True)


def aws_provider(stack: TerraformStack, env: EnvironmentConfig, stack_name: str) -> AwsProvider:
    """The AWS provider for the environment's region, tagging every resource.

    For the emulator target: every service endpoint is the emulator and the
    credentials are fake, so the provider cannot reach a real account.
    """
    tags = {"Project": PROJECT, "Environment": env.name, "ManagedBy": "cdktf", "Stack": stack_name}
    tags.update(env.tags)
    emulator: dict[str, Any] = {}
    if env.emulator_endpoint:
        endpoint = env.emulator_endpoint
        emulator = {
            "endpoints": [AwsProviderEndpoints(**dict.fromkeys(EMULATOR_SERVICES, endpoint))],
            **emulator_credentials(env),
            "skip_metadata_api_check": "true",
            # Emulators serve S3 at one host.
            "s3_use_path_style": True,
        }
    return AwsProvider(
        stack,
        "aws",
        region=env.region,
        default_tags=[AwsProviderDefaultTags(tags=tags)],
        **emulator,
    )


class EnvironmentStack(TerraformStack):
    """A stack of one environment: its state backend and AWS provider, set up once here.

    Every app stack (foundation, images, services) is one; ``<env>-bootstrap``
    is not, because it keeps local state.
    """

    def __init__(self, scope: Construct, stack_name: str, *, env: EnvironmentConfig) -> None:
        super().__init__(scope, stack_name)
        configure_backend(self, env, stack_name)
        self.provider = aws_provider(self, env, stack_name)
        tag_paths(self)
