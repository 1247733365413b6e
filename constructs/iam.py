"""IAM roles for ECS tasks: one shared execution role, one task role per service.

The *execution role* is used by the ECS agent (pull the image, ship logs, read
secrets into the environment). The *task role* is what the app's own code gets.
"""

from __future__ import annotations

import json
import re

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from constructs import Construct
from constructs.workload_boundary import EXEC_CHANNELS

_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


def service_trust(service: str, *, source_account: str) -> str:
    """A trust policy letting ``service`` assume the role only on behalf of
    ``source_account`` (AWS's guard against the confused deputy)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": source_account}},
                }
            ],
        }
    )


def _require_boundary(permissions_boundary: str) -> None:
    if not permissions_boundary:
        raise ValueError(
            f"permissions_boundary={permissions_boundary!r} leaves the role uncapped; "
            "pass the workload boundary's ARN"
        )


def execution_policy(
    *,
    repository_arn: str,
    log_group_arns: list[str],
    secret_arns: list[str],
    secrets_kms_key_arns: list[str] | None = None,
    region: str | None = None,
) -> str:
    """The execution role's permissions, scoped to this project's resources.

    ``ecr:GetAuthorizationToken`` has no resource-level permissions, so it alone
    is granted on ``*``; pulls and log writes are limited to our repository and
    log groups, and secrets appear only when some are configured.
    ``secrets_kms_key_arns`` (default none) adds ``kms:Decrypt`` on exactly those
    keys, only through Secrets Manager in ``region``.
    """
    statements: list[dict[str, object]] = [
        {
            "Sid": "EcrAuth",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "EcrPull",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": repository_arn,
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{arn}:log-stream:*" for arn in log_group_arns],
        },
    ]
    if secret_arns:
        statements.append(
            {
                "Sid": "ReadSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": sorted(secret_arns),
            }
        )
    if secrets_kms_key_arns:
        statements.append(
            {
                "Sid": "DecryptSecrets",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": sorted(set(secrets_kms_key_arns)),
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class TaskExecutionRole(Construct):
    """The role the ECS agent assumes to start tasks (shared by both services).

    Inputs: ``permissions_boundary`` (required) is the policy ARN capping the role;
    ``source_account`` (required) the account ECS may assume it for;
    ``secret_arns`` (default none) adds read access to exactly those secrets;
    ``secrets_kms_key_arns`` (default none) adds ``kms:Decrypt`` on exactly those
    customer-managed keys, via Secrets Manager in ``region`` (required with keys).

    Attributes: ``role_arn``, ``role_name``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        role_name: str,
        repository_arn: str,
        log_group_arns: list[str],
        permissions_boundary: str,
        source_account: str,
        secret_arns: list[str] | None = None,
        secrets_kms_key_arns: list[str] | None = None,
        region: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        if not log_group_arns:
            raise ValueError("log_group_arns=[] leaves the awslogs driver unable to write")
        _require_boundary(permissions_boundary)
        keys = list(secrets_kms_key_arns or [])
        if keys and not secret_arns:
            raise ValueError(
                f"secrets_kms_key_arns={keys!r} with secret_arns={secret_arns!r}: "
                "a key for secrets needs secrets"
            )
        if keys and not region:
            raise ValueError(
                f"secrets_kms_key_arns={keys!r} with region={region!r}: "
                "kms:ViaService needs the region"
            )
        for key in keys:
            if not _KMS_KEY_ARN.match(key):
                raise ValueError(f"secrets_kms_key_arns has {key!r}, not a KMS key ARN")
        role = IamRole(
            self,
            "role",
            name=role_name,
            description="ECS agent: pull images, write logs, read configured secrets",
            assume_role_policy=service_trust(
                "ecs-tasks.amazonaws.com", source_account=source_account
            ),
            permissions_boundary=permissions_boundary,
        )
        IamRolePolicy(
            self,
            "policy",
            name="ecs-task-execution",
            role=role.id,
            policy=execution_policy(
                repository_arn=repository_arn,
                log_group_arns=log_group_arns,
                secret_arns=list(secret_arns or []),
                secrets_kms_key_arns=keys,
                region=region,
            ),
        )
        self.role_arn = role.arn
        self.role_name = role.name


class TaskRole(Construct):
    """The role the app's own code gets; no permissions by default.

    Attach policies here when the app needs AWS (S3, SQS, ...), per service, and
    widen the workload boundary (``workload_boundary.py``) to match: the role
    carries ``permissions_boundary`` (required), and ECS may assume it only for
    ``source_account`` (required). ``exec_enabled`` (default off) adds ECS Exec's
    Session Manager channels (``exec`` inline policy), which the agent in the task uses.

    Attributes: ``role_arn``, ``role_name``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        role_name: str,
        service: str,
        permissions_boundary: str,
        source_account: str,
        exec_enabled: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        _require_boundary(permissions_boundary)
        role = IamRole(
            self,
            "role",
            name=role_name,
            description=f"Application permissions of the {service} service (none by default)",
            assume_role_policy=service_trust(
                "ecs-tasks.amazonaws.com", source_account=source_account
            ),
            permissions_boundary=permissions_boundary,
        )
        if exec_enabled:
            IamRolePolicy(
                self,
                "exec",
                name="ecs-exec",
                role=role.id,
                policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "ExecChannels",
                                "Effect": "Allow",
                                "Action": list(EXEC_CHANNELS),
                                "Resource": "*",
                            }
                        ],
                    }
                ),
            )
        self.role_arn = role.arn
        self.role_name = role.name
