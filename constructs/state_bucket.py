"""The S3 bucket that holds Terraform state for every other stack."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy

from constructs import Construct
from constructs.s3_private import (
    block_public_access,
    bucket_policy,
    enable_versioning,
    encrypt_by_default,
    tls_only_statement,
)


class StateBucket(Construct):
    """A private, versioned, encrypted bucket for ``*.tfstate`` and ``*.tflock`` objects.

    Versioning keeps every earlier state (recover a bad apply); old versions
    expire after ``noncurrent_days`` (default 90). SSE-KMS with the AWS managed
    key and an S3 bucket key; all public access blocked; ACLs disabled
    (bucket owner enforced); non-TLS requests denied. The bucket is never
    force-destroyed: it must be emptied on purpose before it can go.

    Attributes: ``bucket_name``, ``bucket_arn``.
    """

    def __init__(
        self, scope: Construct, id_: str, *, bucket_name: str, noncurrent_days: int = 90
    ) -> None:
        super().__init__(scope, id_)
        if noncurrent_days < 1:
            raise ValueError(f"noncurrent_days={noncurrent_days} must be at least 1")
        bucket = S3Bucket(self, "bucket", bucket=bucket_name, force_destroy=False)
        enable_versioning(self, bucket.id)
        encrypt_by_default(self, bucket.id, sse_algorithm="aws:kms", bucket_key=True)
        public_access = block_public_access(self, bucket.id)
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        S3BucketPolicy(
            self,
            "tls-only",
            bucket=bucket.id,
            policy=bucket_policy(tls_only_statement(bucket.arn)),
            depends_on=[public_access],
        )
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-state-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=noncurrent_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7
                        )
                    ],
                )
            ],
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
