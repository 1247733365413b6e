"""An S3 bucket that receives ALB access logs."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
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


class AccessLogBucket(Construct):
    """Private, versioned, SSE-S3 bucket that only the region's ELB log delivery
    may write to, over TLS only. ALB access logs support SSE-S3, not KMS.
    Logs expire after ``retention_days``. ``force_destroy`` defaults to off.

    Attributes: ``bucket_name``, ``bucket_policy`` (what a load balancer logging
    here must wait for).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket_prefix: str,
        retention_days: int,
        force_destroy: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        bucket = S3Bucket(self, "bucket", bucket_prefix=bucket_prefix, force_destroy=force_destroy)
        block_public_access(self, bucket.id)
        enable_versioning(self, bucket.id)
        encrypt_by_default(self, bucket.id, sse_algorithm="AES256")
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=retention_days)],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=1
                        )
                    ],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=7
                        )
                    ],
                )
            ],
        )
        elb = DataAwsElbServiceAccount(self, "elb-account")
        log_delivery: dict[str, object] = {
            "Sid": "ElbLogDelivery",
            "Effect": "Allow",
            "Principal": {"AWS": elb.arn},
            "Action": "s3:PutObject",
            "Resource": f"{bucket.arn}/*",
        }
        self.bucket_policy = S3BucketPolicy(
            self,
            "policy",
            bucket=bucket.id,
            policy=bucket_policy(log_delivery, tls_only_statement(bucket.arn)),
        )
        self.bucket_name = bucket.bucket
