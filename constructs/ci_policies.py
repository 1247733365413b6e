"""The IAM policies of the GitHub Actions roles, as plain documents.

``DEPLOY_ACTIONS`` says, per Terraform resource type our stacks use, which
IAM actions the aws provider calls to create, read, update and delete it; a
test fails when a stack gains a type that is missing here. ``deploy_policy``
grants those actions scoped by name to one environment's resources (or, for
EC2 and KMS, whose ARNs hold generated ids, by its ``Environment`` tag);
``read_policy`` holds the reads both roles share and ``plan_policy`` the plan
role's read of the state.

Both take ARN parts as strings, so tests can evaluate them with literal
values and the bootstrap stack can pass Terraform references.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from constructs.workload_boundary import boundary_arn

Statement = dict[str, Any]

# The provider's reads of every resource it refreshes. Describe/List calls of these
# services take no resource ARN, so they are granted on "*": they reveal, change nothing.
READ_ACTIONS: tuple[str, ...] = (
    "application-autoscaling:Describe*",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetDashboard",
    "cloudwatch:ListTagsForResource",
    "ec2:Describe*",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecs:Describe*",
    "ecs:List*",
    "elasticloadbalancing:Describe*",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "sts:GetCallerIdentity",
    "wafv2:GetWebACLForResource",
)

# EC2 calls that create a resource tagged on creation (the provider's default tags).
EC2_CREATE = (
    "ec2:CreateInternetGateway",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "ec2:CreateVpcEndpoint",
    "ec2:CreateFlowLogs",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress",
)
# EC2 calls on resources the environment already owns (tagged Environment=<env>).
EC2_CHANGE = (
    "ec2:AssociateRouteTable",
    "ec2:AttachInternetGateway",
    "ec2:CreateRoute",
    "ec2:CreateTags",
    "ec2:DeleteFlowLogs",
    "ec2:DeleteInternetGateway",
    "ec2:DeleteRoute",
    "ec2:DeleteRouteTable",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteSubnet",
    "ec2:DeleteTags",
    "ec2:DeleteVpc",
    "ec2:DeleteVpcEndpoints",
    "ec2:DetachInternetGateway",
    "ec2:DisassociateRouteTable",
    "ec2:ModifySecurityGroupRules",
    "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute",
    "ec2:ModifyVpcEndpoint",
    "ec2:ReplaceRoute",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
)
# The VPC's default security group is made by AWS, untagged; the stack adopts it,
# tags it and strips its rules.
EC2_ADOPT_DEFAULT_SG = (
    "ec2:CreateTags",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
)
ELB_WRITE = (
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:RemoveTags",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
)
ECS_WRITE = (
    "ecs:CreateCluster",
    "ecs:CreateService",
    "ecs:DeleteCluster",
    "ecs:DeleteService",
    "ecs:PutClusterCapacityProviders",
    "ecs:TagResource",
    "ecs:UntagResource",
    "ecs:UpdateCluster",
    "ecs:UpdateClusterSettings",
    "ecs:UpdateService",
)
# Task definitions are registered scoped by family name (``<prefix>-<service>``).
ECS_TASK_DEFINITIONS = ("ecs:RegisterTaskDefinition",)
# Reads both CI roles hold (``read_policy``), so the deploy lists leave them out: its
# inline policy must stay within IAM's 10,240 characters.
# ecr:BatchGetImage: the docker provider reads a pushed image's manifest on refresh;
# without it every plan shows the image pushes as creates.
ECR_READS = (
    "ecr:BatchGetImage",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:ListTagsForResource",
)
IAM_ROLE_READS = (
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
)
S3_BUCKET_READS = (
    "s3:GetAccelerateConfiguration",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
)
ECR_WRITE = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchDeleteImage",
    "ecr:CompleteLayerUpload",
    "ecr:CreateRepository",
    "ecr:DeleteLifecyclePolicy",
    "ecr:DeleteRepository",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutImageTagMutability",
    "ecr:PutLifecyclePolicy",
    "ecr:TagResource",
    "ecr:UntagResource",
    "ecr:UploadLayerPart",
)
# Creating and changing a role (IAM's Permissions management level): only with the
# workload boundary attached (``workload_boundary.py``). No UpdateAssumeRolePolicy:
# a role's trust changes only by replacing the role (or by an administrator).
IAM_ROLE_WRITES = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
# Tags (Tagging level) of the environment's roles, by name, and the one read the
# provider makes on a role delete that ``read_policy`` lacks.
IAM_ROLE_READS_AND_TAGS = ("iam:ListInstanceProfilesForRole", "iam:TagRole", "iam:UntagRole")
# Never: removing or swapping a role's boundary, or rewriting the boundary policy.
IAM_BOUNDARY_CHANGES = ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary")
IAM_BOUNDARY_POLICY_CHANGES = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)
LOGS_WRITE = (
    "logs:AssociateKmsKey",
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "logs:PutRetentionPolicy",
    "logs:TagLogGroup",
    "logs:TagResource",
    "logs:UntagLogGroup",
    "logs:UntagResource",
)
KMS_KEYS = (
    "kms:EnableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
    "kms:CreateAlias",
    "kms:DeleteAlias",
)
SCALING_WRITE = (
    "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:TagResource",
    "application-autoscaling:UntagResource",
)
# Target tracking makes its own alarms, named after the service they scale.
SCALING_ALARMS = (
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:PutMetricAlarm",
)
# The services' deployment alarms (constructs/deployment_alarms.py), named <prefix>-*.
DEPLOYMENT_ALARMS = (
    "cloudwatch:DeleteAlarms",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
)
# The environment's dashboard (constructs/dashboard.py), named <prefix>.
DASHBOARDS = ("cloudwatch:DeleteDashboards", "cloudwatch:PutDashboard")
S3_BUCKETS = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)
WAF_ASSOCIATION = ("wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACL")

# What .github/workflows/recover.yml runs with the deploy role besides Terraform:
# `make unlock` (state objects, granted above) and `make doctor`'s inventory of tagged resources.
RECOVERY_ACTIONS = (
    "application-autoscaling:ListTagsForResource",
    "iam:ListPolicies",
    "iam:ListPolicyTags",
    "iam:ListRoleTags",
    "iam:ListRoles",
    "tag:GetResources",
)

# Terraform type -> the IAM actions the aws provider needs for it (reads from READ_ACTIONS).
DEPLOY_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws_vpc": ("ec2:CreateVpc", "ec2:ModifyVpcAttribute", "ec2:DeleteVpc", "ec2:CreateTags"),
    "aws_subnet": ("ec2:CreateSubnet", "ec2:ModifySubnetAttribute", "ec2:DeleteSubnet"),
    "aws_internet_gateway": (
        "ec2:CreateInternetGateway",
        "ec2:AttachInternetGateway",
        "ec2:DetachInternetGateway",
        "ec2:DeleteInternetGateway",
    ),
    "aws_route_table": ("ec2:CreateRouteTable", "ec2:DeleteRouteTable"),
    "aws_route": ("ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute"),
    "aws_route_table_association": ("ec2:AssociateRouteTable", "ec2:DisassociateRouteTable"),
    "aws_default_security_group": EC2_ADOPT_DEFAULT_SG,
    "aws_security_group": (
        "ec2:CreateSecurityGroup",
        "ec2:DeleteSecurityGroup",
        "ec2:RevokeSecurityGroupEgress",
    ),
    "aws_vpc_security_group_ingress_rule": (
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:ModifySecurityGroupRules",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    ),
    "aws_vpc_security_group_egress_rule": (
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:ModifySecurityGroupRules",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    ),
    "aws_vpc_endpoint": (
        "ec2:CreateVpcEndpoint",
        "ec2:ModifyVpcEndpoint",
        "ec2:DeleteVpcEndpoints",
        "route53:AssociateVPCWithHostedZone",
    ),
    "aws_flow_log": ("ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "iam:PassRole"),
    "aws_lb": (
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:AddTags",
        "iam:CreateServiceLinkedRole",
    ),
    "aws_lb_target_group": (
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:DeleteTargetGroup",
    ),
    "aws_lb_listener": (
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:DeleteListener",
    ),
    "aws_wafv2_web_acl_association": (
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
        "elasticloadbalancing:SetWebAcl",
    ),
    "aws_ecs_cluster": (
        "ecs:CreateCluster",
        "ecs:UpdateCluster",
        "ecs:UpdateClusterSettings",
        "ecs:DeleteCluster",
        "iam:CreateServiceLinkedRole",
    ),
    "aws_ecs_task_definition": (
        *ECS_TASK_DEFINITIONS,
        "ecs:DeregisterTaskDefinition",
        "iam:PassRole",
    ),
    "aws_ecs_service": ("ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService"),
    "aws_ecr_repository": (
        "ecr:CreateRepository",
        "ecr:PutImageScanningConfiguration",
        "ecr:PutImageTagMutability",
        "ecr:DeleteRepository",
        "ecr:TagResource",
        "ecr:ListTagsForResource",
        "kms:RetireGrant",
    ),
    "aws_ecr_lifecycle_policy": (
        "ecr:PutLifecyclePolicy",
        "ecr:GetLifecyclePolicy",
        "ecr:DeleteLifecyclePolicy",
    ),
    "aws_iam_role": ("iam:CreateRole", "iam:GetRole", "iam:DeleteRole"),
    "aws_iam_role_policy": ("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"),
    "aws_cloudwatch_log_group": (
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
        "logs:AssociateKmsKey",
        "logs:DeleteLogGroup",
        "logs:TagResource",
    ),
    "aws_kms_key": (
        "kms:CreateKey",
        "kms:EnableKeyRotation",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
    ),
    "aws_kms_alias": ("kms:CreateAlias", "kms:DeleteAlias"),
    "aws_appautoscaling_target": (
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DeregisterScalableTarget",
        "iam:CreateServiceLinkedRole",
    ),
    "aws_cloudwatch_metric_alarm": DEPLOYMENT_ALARMS,
    "aws_cloudwatch_dashboard": (*DASHBOARDS, "cloudwatch:GetDashboard"),
    "aws_appautoscaling_policy": (
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeleteScalingPolicy",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
    ),
    "aws_s3_bucket": ("s3:CreateBucket", "s3:DeleteBucket", "s3:GetBucket*", "s3:ListBucket"),
    "aws_s3_bucket_policy": ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy"),
    "aws_s3_bucket_public_access_block": ("s3:PutBucketPublicAccessBlock",),
    "aws_s3_bucket_versioning": ("s3:PutBucketVersioning",),
    "aws_s3_bucket_server_side_encryption_configuration": ("s3:PutEncryptionConfiguration",),
    "aws_s3_bucket_lifecycle_configuration": ("s3:PutLifecycleConfiguration",),
    "aws_s3_bucket_ownership_controls": ("s3:PutBucketOwnershipControls",),
    "docker_registry_image": (
        "ecr:GetAuthorizationToken",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        "ecr:BatchGetImage",
        "ecr:BatchDeleteImage",
    ),
    # Built on the runner's Docker engine: no AWS call.
    "docker_image": (),
    # Terraform's own (a port kept in state to trigger replacements): no AWS call.
    "terraform_data": (),
    "data.aws_caller_identity": ("sts:GetCallerIdentity",),
    "data.aws_partition": (),
    "data.aws_elb_service_account": (),
    "data.terraform_remote_state": ("s3:GetObject",),
}


@dataclass(frozen=True)
class Scope:
    """Where one environment's resources live; every field may be a Terraform reference.

    ``env`` is the environment's name (its ``Environment`` tag); ``prefix`` its
    resource-name prefix (``ecs-learn-dev``); ``state_bucket`` the state bucket,
    whose objects for this environment start ``<env>/``.
    """

    partition: str
    region: str
    account: str
    env: str
    prefix: str
    state_bucket: str
    repository: str

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account}:{resource}"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.state_bucket}"

    @property
    def boundary_arn(self) -> str:
        """The workload roles' permissions boundary (``workload_boundary.py``)."""
        return boundary_arn(partition=self.partition, account=self.account, prefix=self.prefix)


def _allow(
    sid: str, actions: tuple[str, ...], resources: list[str] | str, **cond: Any
) -> Statement:
    statement: Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": resources,
    }
    if cond:
        statement["Condition"] = cond
    return statement


def _deny(sid: str, actions: tuple[str, ...], resources: list[str] | str) -> Statement:
    return {"Sid": sid, "Effect": "Deny", "Action": sorted(set(actions)), "Resource": resources}


def _state_statements(scope: Scope, *, write: bool) -> list[Statement]:
    objects = f"{scope.bucket_arn}/{scope.env}/*"
    actions = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject") if write else ("s3:GetObject",)
    # No KMS: the backend's `encrypt = true` writes every state and lock object with SSE-S3,
    # whatever the bucket's default (the rehearsal checks each state object).
    return [
        _allow("StateList", ("s3:ListBucket",), scope.bucket_arn),
        # Objects are the state files and, when writing, their .tflock lockfiles.
        _allow("StateObjects", actions, objects),
    ]


def read_policy(scope: Scope) -> dict[str, Any]:
    """Reads both roles share (a managed policy): refresh every resource of the stacks,
    and what ``make doctor`` lists. No write action, no state access."""
    return _document(
        [
            _allow("Read", READ_ACTIONS, "*"),
            _allow(
                "ReadRoles",
                IAM_ROLE_READS,
                scope.arn("iam", f"role/{scope.prefix}-*", region=False),
            ),
            _allow("ReadRegistry", ECR_READS, scope.arn("ecr", f"repository/{scope.repository}")),
            # The images stack's registry login; the token allows only what the role may.
            _allow("RegistryLogin", ("ecr:GetAuthorizationToken",), "*"),
            _allow(
                "ReadAccessLogBuckets",
                S3_BUCKET_READS,
                f"arn:{scope.partition}:s3:::{scope.prefix}-*",
            ),
            # `make doctor` (tools/recovery/orphans.py): what carries the environment's tags.
            _allow("ListTagged", ("tag:GetResources", "iam:ListRoles", "iam:ListPolicies"), "*"),
            _allow(
                "ReadTags",
                ("iam:ListPolicyTags",),
                scope.arn("iam", f"policy/{scope.prefix}-*", region=False),
            ),
            _allow(
                "ReadScalingTags",
                ("application-autoscaling:ListTagsForResource",),
                scope.arn("application-autoscaling", "scalable-target/*"),
            ),
        ]
    )


def plan_policy(scope: Scope) -> dict[str, Any]:
    """The plan role's own policy, beside ``read_policy``: read (never write or lock)
    the environment's state."""
    return _document(_state_statements(scope, write=False))


def deploy_policy(
    scope: Scope, *, passable_roles: list[str], flow_logs_role: str
) -> dict[str, Any]:
    """Apply and destroy one environment's app stacks, and nothing else (the deploy
    role's own policy, beside ``read_policy``).

    ``passable_roles`` are the task and execution role names that may be passed,
    only to ``ecs-tasks.amazonaws.com``; ``flow_logs_role`` may be passed only to
    ``vpc-flow-logs.amazonaws.com``.

    Roles ``<prefix>-*`` may be created, changed and deleted only with the workload
    boundary ``scope.boundary_arn`` attached, and neither that boundary nor the
    boundary policy can be removed or rewritten (explicit denies); no policy can be
    attached or detached, and trust policies cannot be updated. Two IAM writes are
    not tied to the boundary: ``iam:PassRole`` (of the named roles, each only to its
    service) and ``iam:CreateServiceLinkedRole`` (only for ECS, Application Auto
    Scaling and ELB, whose roles AWS defines).
    """
    tag = {"aws:ResourceTag/Environment": scope.env}
    request_tag = {"aws:RequestTag/Environment": scope.env}
    # Every EC2 resource of the region; "*/*" would wildcard the ARN's resource-type part,
    # which the ARN rules do not allow (parliament flags it).
    ec2_any = scope.arn("ec2", "*")
    role = f"role/{scope.prefix}-*"
    ecs_tasks = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    load_balancers = scope.arn("elasticloadbalancing", f"loadbalancer/app/{scope.prefix}-*/*")
    task_definitions = scope.arn("ecs", f"task-definition/{scope.prefix}-*:*")
    return _document(
        [
            *_state_statements(scope, write=True),
            _allow("Ec2CreateTagged", EC2_CREATE, ec2_any, StringEquals=request_tag),
            # The request tag above would also vouch for the VPC a subnet goes into or the
            # group a rule is added to: never when that resource is another environment's.
            {
                "Sid": "Ec2NotOtherEnvironments",
                "Effect": "Deny",
                "Action": sorted(EC2_CREATE),
                "Resource": ec2_any,
                "Condition": {
                    "StringNotEquals": tag,
                    "Null": {"aws:ResourceTag/Environment": "false"},
                },
            },
            _allow("Ec2OwnEnvironment", EC2_CHANGE + EC2_CREATE, ec2_any, StringEquals=tag),
            _allow(
                "Ec2TagOnCreate",
                ("ec2:CreateTags",),
                ec2_any,
                StringEquals={"ec2:CreateAction": [a.split(":")[1] for a in EC2_CREATE]},
            ),
            _allow(
                "Ec2AdoptDefaultSecurityGroup",
                EC2_ADOPT_DEFAULT_SG,
                scope.arn("ec2", "security-group/*"),
                Null={"aws:ResourceTag/Environment": "true"},
            ),
            # Interface endpoints with private DNS attach the VPC to an AWS-owned zone.
            _allow(
                "EndpointPrivateDns",
                ("route53:AssociateVPCWithHostedZone",),
                f"arn:{scope.partition}:route53:::hostedzone/*",
            ),
            _allow(
                "LoadBalancers",
                ELB_WRITE,
                [
                    load_balancers,
                    scope.arn("elasticloadbalancing", f"targetgroup/{scope.prefix}-*/*"),
                    scope.arn("elasticloadbalancing", f"listener/app/{scope.prefix}-*/*"),
                ],
            ),
            _allow(
                "WebAclAssociation",
                WAF_ASSOCIATION,
                [scope.arn("wafv2", "regional/webacl/*/*"), load_balancers],
            ),
            _allow(
                "Ecs",
                ECS_WRITE,
                [
                    scope.arn("ecs", f"cluster/{scope.prefix}"),
                    scope.arn("ecs", f"service/{scope.prefix}/*"),
                    # Tags given at registration need ecs:TagResource on the task definition.
                    task_definitions,
                ],
            ),
            _allow("TaskDefinitions", ECS_TASK_DEFINITIONS, task_definitions),
            # IAM authorizes these two on "*" only (no resource type in its reference):
            # an ARN here would never match, and AWS would refuse the call.
            _allow("DeregisterTaskDefinitions", ("ecs:DeregisterTaskDefinition",), "*"),
            _allow("SetWebAcl", ("elasticloadbalancing:SetWebAcl",), "*"),
            # The registry login (ecr:GetAuthorizationToken) is in read_policy.
            _allow("Registry", ECR_WRITE, scope.arn("ecr", f"repository/{scope.repository}")),
            # Deleting the repository retires ECR's grant on its KMS key (AWS managed
            # aws/ecr, untagged, so scoped by the service rather than by tag).
            _allow(
                "RegistryKeyGrant",
                ("kms:RetireGrant",),
                scope.arn("kms", "key/*"),
                StringEquals={"kms:ViaService": f"ecr.{scope.region}.amazonaws.com"},
            ),
            _allow(
                "RoleWrites",
                IAM_ROLE_WRITES,
                scope.arn("iam", role, region=False),
                StringEquals={"iam:PermissionsBoundary": scope.boundary_arn},
            ),
            _allow("Roles", IAM_ROLE_READS_AND_TAGS, scope.arn("iam", role, region=False)),
            # Explicit denies win over any allow, including one a later edit adds.
            _deny("KeepBoundaries", IAM_BOUNDARY_CHANGES, "*"),
            _deny("KeepBoundaryPolicy", IAM_BOUNDARY_POLICY_CHANGES, scope.boundary_arn),
            _allow(
                "PassTaskRoles",
                ("iam:PassRole",),
                [scope.arn("iam", f"role/{name}", region=False) for name in passable_roles],
                StringEquals=ecs_tasks,
            ),
            _allow(
                "PassFlowLogsRole",
                ("iam:PassRole",),
                scope.arn("iam", f"role/{flow_logs_role}", region=False),
                StringEquals={"iam:PassedToService": "vpc-flow-logs.amazonaws.com"},
            ),
            _allow(
                "ServiceLinkedRoles",
                ("iam:CreateServiceLinkedRole",),
                scope.arn("iam", "role/aws-service-role/*", region=False),
                StringEquals={
                    "iam:AWSServiceName": [
                        "ecs.amazonaws.com",
                        "ecs.application-autoscaling.amazonaws.com",
                        "elasticloadbalancing.amazonaws.com",
                    ]
                },
            ),
            _allow(
                "LogGroups",
                LOGS_WRITE,
                [
                    scope.arn("logs", f"log-group:/ecs/{scope.prefix}/*"),
                    scope.arn("logs", f"log-group:/vpc/{scope.prefix}/*"),
                    scope.arn("logs", f"log-group:/aws/ecs/containerinsights/{scope.prefix}/*"),
                ],
            ),
            # A key tagged at creation also needs kms:TagResource, before it has any tag.
            _allow(
                "CreateKeysTagged",
                ("kms:CreateKey", "kms:TagResource"),
                "*",
                StringEquals=request_tag,
            ),
            _allow("OwnKeys", KMS_KEYS, scope.arn("kms", "key/*"), StringEquals=tag),
            _allow(
                "OwnKeyAliases",
                ("kms:CreateAlias", "kms:DeleteAlias"),
                scope.arn("kms", f"alias/{scope.prefix}-*"),
            ),
            _allow(
                "Scaling", SCALING_WRITE, scope.arn("application-autoscaling", "scalable-target/*")
            ),
            _allow(
                "ScalingAlarms",
                SCALING_ALARMS,
                scope.arn("cloudwatch", f"alarm:TargetTracking-service/{scope.prefix}/*"),
            ),
            _allow(
                "DeploymentAlarms",
                DEPLOYMENT_ALARMS,
                scope.arn("cloudwatch", f"alarm:{scope.prefix}-*"),
            ),
            _allow(
                "Dashboard",
                DASHBOARDS,
                scope.arn("cloudwatch", f"dashboard/{scope.prefix}", region=False),
            ),
            _allow("AccessLogBuckets", S3_BUCKETS, f"arn:{scope.partition}:s3:::{scope.prefix}-*"),
        ]
    )


# Statements the deploy role holds in a managed policy of its own: with them inline its
# policy would pass IAM's 10,240-character limit on a role's inline policies.
NETWORK_SID_PREFIX = "Ec2"


def split_deploy_policy(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``deploy_policy``'s document as (inline policy, managed network policy): the EC2
    statements (Sid ``Ec2...``) go to the second. Together they grant exactly the same."""
    statements = document["Statement"]
    network = [s for s in statements if str(s.get("Sid", "")).startswith(NETWORK_SID_PREFIX)]
    rest = [s for s in statements if s not in network]
    return _document(rest), _document(network)


def _document(statements: list[Statement]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def github_trust_policy(
    *,
    oidc_provider_arn: str,
    repository: str,
    subjects: list[str],
    subject_patterns: list[str] | None = None,
) -> dict[str, Any]:
    """Who may assume a role: GitHub's OIDC tokens for ``repository`` with these subjects.

    ``subjects`` are the part after ``repo:<owner>/<repo>:``
    (``environment:production:ref:refs/heads/main``); they are matched exactly.
    ``subject_patterns`` (default none) are matched with ``StringLike``, in a
    statement of their own: IAM ANDs the operators of one statement, so a
    pattern beside the exact list would have to match too.
    """
    host = "token.actions.githubusercontent.com"
    audience = {f"{host}:aud": "sts.amazonaws.com"}

    def statement(sid: str, subs: list[str], *, pattern: bool) -> Statement:
        sub = {f"{host}:sub": [f"repo:{repository}:{s}" for s in subs]}
        condition: dict[str, Any] = (
            {"StringEquals": audience, "StringLike": sub}
            if pattern
            else {"StringEquals": {**audience, **sub}}
        )
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Federated": oidc_provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }

    statements = [statement("GitHubActions", subjects, pattern=False)]
    if subject_patterns:
        statements.append(statement("GitHubActionsPattern", subject_patterns, pattern=True))
    return _document(statements)


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=None, sort_keys=False)
