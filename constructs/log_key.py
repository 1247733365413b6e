"""A customer-managed KMS key that CloudWatch Logs may use for our log groups."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey

from constructs import Construct
from constructs.ci_policies import KMS_KEYS

# What Terraform reads of the key after creating it (refresh, alias, rotation).
KMS_KEY_READS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
)


class LogEncryptionKey(Construct):
    """KMS key with yearly rotation, usable by CloudWatch Logs in ``region`` only
    for log groups of this account. ``deletion_window_days`` defaults to 30.

    ``administrators`` (default none) are role ARNs that the key policy itself lets
    manage the key (the CI deploy role). KMS applies a key policy with the key, while
    an IAM condition on the key's tags may see them only up to five minutes after they
    are set (AWS KMS, "ABAC for AWS KMS"); the deploy role enables rotation and creates
    the alias right after CreateKey.

    Attributes: ``key_arn``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        alias: str,
        region: str,
        deletion_window_days: int = 30,
        administrators: tuple[str, ...] = (),
    ) -> None:
        super().__init__(scope, id_)
        if not 7 <= deletion_window_days <= 30:
            raise ValueError(f"deletion_window_days={deletion_window_days} must be 7-30")
        account = DataAwsCallerIdentity(self, "account").account_id
        partition = DataAwsPartition(self, "partition").partition
        statements: list[dict[str, Any]] = [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsUsesForOurLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition}:logs:{region}:{account}:log-group:*"
                        )
                    }
                },
            },
        ]
        if administrators:
            statements.append(
                {
                    "Sid": "DeployRoleAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": list(administrators)},
                    "Action": sorted({*KMS_KEYS, *KMS_KEY_READS}),
                    "Resource": "*",
                }
            )
        key = KmsKey(
            self,
            "key",
            description=f"CloudWatch Logs encryption ({alias})",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
        KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=key.key_id)
        self.key_arn = key.arn
