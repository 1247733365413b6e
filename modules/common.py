"""What every stack shares: the AWS provider and the state backend."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from config import EnvironmentConfig
from config.schema import PROJECT


def name_prefix(env: EnvironmentConfig) -> str:
    """Prefix for AWS resource names, e.g. ``ecs-learn-dev``."""
    return env.name_prefix


def state_key(env: EnvironmentConfig, stack_name: str) -> str:
    """State object key, e.g. ``dev/dev-foundation.tfstate``."""
    return f"{env.name}/{stack_name}.tfstate"


def configure_backend(stack: TerraformStack, env: EnvironmentConfig, stack_name: str) -> None:
    """S3 state (encrypted, S3-native lockfile) or, for offline work, a local file."""
    state = env.state
    if state.backend == "local":
        LocalBackend(stack)
        return
    assert state.bucket and state.region  # guaranteed by StateConfig's validation
    S3Backend(
        stack,
        bucket=state.bucket,
        key=state_key(env, stack_name),
        region=state.region,
        encrypt=True,
        use_path_style=state.path_style or None,
    )
    # cdktf's S3Backend has no use_lockfile option (Terraform >= 1.10 has it).
    stack.add_override("terraform.backend.s3.use_lockfile", True)


def aws_provider(stack: TerraformStack, env: EnvironmentConfig, stack_name: str) -> AwsProvider:
    """The AWS provider for the environment's region, tagging every resource."""
    tags = {"Project": PROJECT, "Environment": env.name, "ManagedBy": "cdktf", "Stack": stack_name}
    tags.update(env.tags)
    return AwsProvider(
        stack,
        "aws",
        region=env.region,
        default_tags=[AwsProviderDefaultTags(tags=tags)],
        # Emulators serve S3 at one host; real AWS is fine either way.
        s3_use_path_style=env.emulator or None,
    )
