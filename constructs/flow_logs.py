"""VPC flow logs to a CloudWatch log group."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from config.naming import flow_logs_role_name
from constructs import Construct
from constructs.iam import service_trust


class FlowLogs(Construct):
    """Record ALL traffic of ``vpc_id`` into ``/vpc/<name>/flow-logs``.

    The delivery role may write only to that log group; it carries
    ``permissions_boundary`` (required) and VPC flow logs may assume it only for
    ``source_account`` (required). ``kms_key_arn`` (default none) encrypts the group.

    Attributes: ``log_group_name``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        vpc_id: str,
        retention_days: int,
        permissions_boundary: str,
        source_account: str,
        kms_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        group = CloudwatchLogGroup(
            self,
            "log-group",
            name=f"/vpc/{name}/flow-logs",
            retention_in_days=retention_days,
            kms_key_id=kms_key_arn,
        )
        role = IamRole(
            self,
            "role",
            name=flow_logs_role_name(name),
            description="VPC flow logs delivery",
            assume_role_policy=service_trust(
                "vpc-flow-logs.amazonaws.com", source_account=source_account
            ),
            permissions_boundary=permissions_boundary,
        )
        IamRolePolicy(
            self,
            "policy",
            name="write-flow-logs",
            role=role.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogStreams",
                            ],
                            "Resource": [group.arn, f"{group.arn}:log-stream:*"],
                        }
                    ],
                }
            ),
        )
        FlowLog(
            self,
            "flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
        )
        self.log_group_name = group.name
