"""Environment variables that point Terraform, its S3 backend and boto3 at the emulator.

Only environment variables are used: the synthesized stacks stay exactly as
they are for real AWS (apart from the path-style flags ``TARGET=local`` sets).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# Fake credentials: moto accepts any; these can never reach a real account.
FAKE_KEY_ID = "testing"
FAKE_SECRET = "testing"

# Services whose endpoint the AWS SDKs also read from a per-service variable.
# AWS_ENDPOINT_URL covers every other one.
_PER_SERVICE = ("S3", "STS", "IAM", "DYNAMODB")

# Anything that could make a tool reach real AWS or prompt for credentials.
_DROP = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CA_BUNDLE",
)


def emulator_env(
    endpoint: str, region: str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) pointed at ``endpoint``."""
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if k not in _DROP and not k.startswith("AWS_ENDPOINT_URL")
    }
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            **{f"AWS_ENDPOINT_URL_{svc}": endpoint for svc in _PER_SERVICE},
            "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # No shared config/credentials files and no instance metadata lookups.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "TARGET": "local",
        }
    )
    return env
