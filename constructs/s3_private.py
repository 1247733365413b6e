"""Pieces every private bucket of ours shares: no public access, versioning,
default encryption and a TLS-only policy. Each helper adds its resource under
``scope`` with a fixed id, so construct paths stay stable."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA as Encryption,
)
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationRuleA as EncryptionRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA as ByDefault,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)

from constructs import Construct


def tls_only_statement(bucket_arn: str) -> dict[str, object]:
    """A bucket-policy statement refusing every request not made over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def bucket_policy(*statements: dict[str, object]) -> str:
    """A bucket policy document of ``statements``."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def block_public_access(scope: Construct, bucket_id: str) -> S3BucketPublicAccessBlock:
    """All four public-access switches on (id ``public-access-block``)."""
    return S3BucketPublicAccessBlock(
        scope,
        "public-access-block",
        bucket=bucket_id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )


def enable_versioning(scope: Construct, bucket_id: str) -> S3BucketVersioningA:
    """Keep every object version (id ``versioning``)."""
    return S3BucketVersioningA(
        scope,
        "versioning",
        bucket=bucket_id,
        versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
    )


def encrypt_by_default(
    scope: Construct, bucket_id: str, *, sse_algorithm: str, bucket_key: bool | None = None
) -> Encryption:
    """Default encryption with ``sse_algorithm`` (id ``encryption``); ``bucket_key``
    (default unset) applies to SSE-KMS only."""
    return Encryption(
        scope,
        "encryption",
        bucket=bucket_id,
        rule=[
            EncryptionRule(
                apply_server_side_encryption_by_default=ByDefault(sse_algorithm=sse_algorithm),
                bucket_key_enabled=bucket_key,
            )
        ],
    )
