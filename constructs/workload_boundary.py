"""The permissions boundary of the workload roles: the most any of them may ever do.

``<env>-bootstrap`` creates it as a managed policy (administrator credentials);
every role the foundation creates (task execution, task, flow logs) carries it,
and the CI deploy role may create or change a role only with it attached. So a
role the deploy role writes can never do more than this, whatever its own policy
says (IAM grants the intersection of the two).
"""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy

from config.naming import workload_boundary_name
from constructs import Construct

Statement = dict[str, Any]


def boundary_arn(*, partition: str, account: str, prefix: str) -> str:
    """The boundary policy's ARN (IAM path ``/``); each part may be a Terraform reference."""
    return f"arn:{partition}:iam::{account}:policy/{workload_boundary_name(prefix)}"


# ECS Exec: the agent in the task opens Session Manager channels with the task role.
# These actions take no resource ARN (IAM's service authorization reference), so "*".
EXEC_CHANNELS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


def workload_boundary(
    *,
    partition: str,
    region: str,
    account: str,
    env: str,
    prefix: str,
    repository: str,
    exec_enabled: bool = False,
) -> dict[str, Any]:
    """The boundary document: what the execution, task and flow-logs roles need, no more.

    Image pulls from the environment's repository ``repository`` (the registry
    login, ``ecr:GetAuthorizationToken``, exists on ``*`` only); log streams and
    events in its log groups ``/ecs/<prefix>/*`` and ``/vpc/<prefix>/*``; the
    values of the secrets in ``region`` tagged ``Environment=<env>``, and
    ``kms:Decrypt`` only as Secrets Manager uses it for them.

    Secrets go by tag rather than by ARN so that a secret added to a service's
    config needs no new boundary (an administrator's ``make bootstrap``); the
    deploy role cannot tag secrets, so it cannot widen this.

    ``exec_enabled`` (default off) adds ECS Exec's channels (``EXEC_CHANNELS``).
    """

    def arn(service: str, resource: str) -> str:
        # Plain concatenation: the parts may be cdktf tokens, which hold braces.
        return f"arn:{partition}:{service}:{region}:{account}:{resource}"

    statements: list[Statement] = [
        {
            "Sid": "RegistryLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": arn("ecr", f"repository/{repository}"),
        },
        {
            # Log groups and, since * spans ':log-stream:', their streams.
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": [
                arn("logs", f"log-group:/ecs/{prefix}/*"),
                arn("logs", f"log-group:/vpc/{prefix}/*"),
            ],
        },
        {
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": arn("secretsmanager", "secret:*"),
            "Condition": {"StringEquals": {"aws:ResourceTag/Environment": env}},
        },
        {
            # A secret under a customer managed key: Secrets Manager decrypts it for the
            # caller, only while reading a secret the statement above allows.
            "Sid": "DecryptSecrets",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": arn("kms", "key/*"),
            "Condition": {
                "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
            },
        },
    ]
    if exec_enabled:
        statements.append(
            {
                "Sid": "ExecChannels",
                "Effect": "Allow",
                "Action": list(EXEC_CHANNELS),
                "Resource": "*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


class WorkloadBoundary(Construct):
    """The boundary as a managed policy named ``<prefix>-workload-boundary``.

    ``<env>-bootstrap`` creates it; an environment without a bootstrap (the local
    state backend, so no CI roles either) creates it in its foundation instead, so
    every workload role is capped either way. Inputs as for ``workload_boundary``.

    Attributes: ``arn``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        partition: str,
        region: str,
        account: str,
        env: str,
        prefix: str,
        repository: str,
        exec_enabled: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        document = workload_boundary(
            partition=partition,
            region=region,
            account=account,
            env=env,
            prefix=prefix,
            repository=repository,
            exec_enabled=exec_enabled,
        )
        policy = IamPolicy(
            self,
            "policy",
            name=workload_boundary_name(prefix),
            description=f"The most any role of {prefix}'s stacks may do",
            policy=json.dumps(document),
        )
        self.arn = policy.arn
