"""Hardening controls, with prod stricter than dev (docs/security.md lists them all)."""

import json

from cdktf import Testing
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation

from tests.synth import mask

PROD = "prod-foundation"


def test_prod_records_vpc_flow_logs_and_dev_does_not(synthed):
    assert Testing.to_have_resource_with_properties(
        synthed.stacks[PROD],
        FlowLog.TF_RESOURCE_TYPE,
        {"traffic_type": "ALL", "log_destination_type": "cloud-watch-logs"},
    )
    assert synthed.resources("dev-foundation", FlowLog.TF_RESOURCE_TYPE) == []


def test_prod_log_groups_use_a_rotating_kms_key(synthed):
    (key,) = synthed.resources(PROD, KmsKey.TF_RESOURCE_TYPE)
    assert key["enable_key_rotation"] is True
    groups = synthed.resources(PROD, CloudwatchLogGroup.TF_RESOURCE_TYPE)
    assert len(groups) == 4  # frontend, backend, Container Insights, flow logs
    assert all(g["kms_key_id"].startswith("${aws_kms_key.") for g in groups)


def test_kms_key_lets_cloudwatch_logs_use_it_only_for_our_log_groups(synthed):
    (key,) = synthed.resources(PROD, KmsKey.TF_RESOURCE_TYPE)
    statements = {s["Sid"]: s for s in json.loads(key["policy"])["Statement"]}
    logs = statements["CloudWatchLogsUsesForOurLogGroups"]
    assert logs["Principal"] == {"Service": "logs.ap-northeast-1.amazonaws.com"}
    assert "kms:EncryptionContext:aws:logs:arn" in logs["Condition"]["ArnLike"]


ACCOUNT = "${data.aws_caller_identity.log-key_account_#.account_id}"
PARTITION = "${data.aws_partition.log-key_partition_#.partition}"


def test_kms_key_policy_is_exactly_the_account_and_logs_for_our_groups(synthed):
    (key,) = synthed.resources(PROD, KmsKey.TF_RESOURCE_TYPE)
    assert mask(key["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{PARTITION}:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsUsesForOurLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": "logs.ap-northeast-1.amazonaws.com"},
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
                            f"arn:{PARTITION}:logs:ap-northeast-1:{ACCOUNT}:log-group:*"
                        )
                    }
                },
            },
        ],
    }


def test_access_log_bucket_policy_is_exactly_elb_delivery_over_tls(synthed):
    (policy,) = synthed.resources(PROD, S3BucketPolicy.TF_RESOURCE_TYPE)
    bucket = "${aws_s3_bucket.alb-access-logs_bucket_#.arn}"
    assert mask(policy["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ElbLogDelivery",
                "Effect": "Allow",
                "Principal": {
                    "AWS": "${data.aws_elb_service_account.alb-access-logs_elb-account_#.arn}"
                },
                "Action": "s3:PutObject",
                "Resource": f"{bucket}/*",
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket, f"{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def _principals(value):
    """Every (Effect, Principal) of every policy statement anywhere in a masked block."""
    if isinstance(value, dict):
        if "Principal" in value and "Effect" in value:
            yield value["Effect"], value["Principal"]
        for item in value.values():
            yield from _principals(item)
    elif isinstance(value, list):
        for item in value:
            yield from _principals(item)


def _is_everyone(principal):
    if principal == "*":
        return True
    if isinstance(principal, dict):
        values = [v for vs in principal.values() for v in (vs if isinstance(vs, list) else [vs])]
        return "*" in values
    return False


def test_no_policy_allows_everyone(synthed):
    # GIVEN every policy of every stack (bucket, key, trust, ...) WHEN its statements are read
    allowed = [
        (stack, principal)
        for stack in synthed.stacks
        for effect, principal in _principals(mask(synthed.json(stack).get("resource", {})))
        if effect == "Allow" and _is_everyone(principal)
    ]
    # THEN only Deny statements may name everyone
    assert allowed == []


def test_the_public_principal_check_sees_policies(synthed):
    # Guards the test above against passing because it found no statement at all.
    found = [
        p for s in synthed.stacks for p in _principals(mask(synthed.json(s).get("resource", {})))
    ]
    assert ("Deny", "*") in found
    assert ("Allow", {"Service": "ecs-tasks.amazonaws.com"}) in found


def test_prod_albs_write_access_logs_to_a_private_tls_only_bucket(synthed):
    for alb in synthed.resources(PROD, Lb.TF_RESOURCE_TYPE):
        assert alb["access_logs"]["enabled"] is True
        assert alb["access_logs"]["bucket"].startswith("${aws_s3_bucket.alb-access-logs")
    (block,) = synthed.resources(PROD, S3BucketPublicAccessBlock.TF_RESOURCE_TYPE)
    assert all(block[k] is True for k in ("block_public_acls", "restrict_public_buckets"))
    (policy,) = synthed.resources(PROD, S3BucketPolicy.TF_RESOURCE_TYPE)
    deny = [s for s in json.loads(policy["policy"])["Statement"] if s["Effect"] == "Deny"]
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_dev_albs_have_no_access_logs(synthed):
    for alb in synthed.resources("dev-foundation", Lb.TF_RESOURCE_TYPE):
        assert "access_logs" not in alb


def test_waf_is_associated_with_the_public_alb_when_configured(synthed, synthed_tag_https):
    (assoc,) = synthed_tag_https.resources(
        "dev-foundation", Wafv2WebAclAssociation.TF_RESOURCE_TYPE
    )
    assert assoc["web_acl_arn"].startswith("arn:aws:wafv2:")
    assert assoc["resource_arn"].startswith("${aws_lb.external-alb_")
    assert synthed.resources("dev-foundation", Wafv2WebAclAssociation.TF_RESOURCE_TYPE) == []


def test_flow_log_role_writes_only_to_its_log_group(synthed):
    policies = synthed.resources(PROD, IamRolePolicy.TF_RESOURCE_TYPE)
    (flow,) = [p for p in policies if p["name"] == "write-flow-logs"]
    (statement,) = json.loads(flow["policy"])["Statement"]
    assert all(r.startswith("${aws_cloudwatch_log_group.flow-logs") for r in statement["Resource"])


def test_no_iam_policy_grants_wildcard_actions(synthed):
    for stack in synthed.stacks:
        for policy in synthed.resources(stack, IamRolePolicy.TF_RESOURCE_TYPE):
            for statement in json.loads(policy["policy"])["Statement"]:
                actions = statement["Action"]
                actions = [actions] if isinstance(actions, str) else actions
                assert not any(a == "*" or a.endswith(":*") for a in actions), (stack, policy)


def test_the_deploy_role_administers_the_log_key_by_its_key_policy(synthed_ci):
    # GIVEN prod with CI roles: right after CreateKey the deploy role enables rotation and
    # creates the alias, when IAM may not yet see the key's tags (up to five minutes)
    (key,) = synthed_ci.resources(PROD, KmsKey.TF_RESOURCE_TYPE)
    statements = {s["Sid"]: s for s in mask(key["policy"])["Statement"]}
    admin = statements["DeployRoleAdministers"]
    # THEN the key policy itself names the deploy role, with no condition to wait for
    deploy_role = (
        "arn:${data.aws_partition.partition.partition}:iam::"
        "${data.aws_caller_identity.account.account_id}:role/ci/ecs-learn-prod-ci-deploy"
    )
    assert admin["Principal"] == {"AWS": [deploy_role]}
    assert {"kms:EnableKeyRotation", "kms:CreateAlias", "kms:DescribeKey"} <= set(admin["Action"])
    assert "Condition" not in admin and "kms:*" not in admin["Action"]


def test_without_ci_roles_the_log_key_names_no_deploy_role(synthed):
    (key,) = synthed.resources(PROD, KmsKey.TF_RESOURCE_TYPE)
    sids = [s["Sid"] for s in json.loads(key["policy"])["Statement"]]
    assert sids == ["AccountAdministers", "CloudWatchLogsUsesForOurLogGroups"]


def test_container_insights_log_group_is_ours_before_the_cluster(synthed):
    # ECS writes to this group if it exists; created by Terraform first, it has a retention
    (group,) = [
        g
        for g in synthed.resources("dev-foundation", CloudwatchLogGroup.TF_RESOURCE_TYPE)
        if g["name"] == "/aws/ecs/containerinsights/ecs-learn-dev/performance"
    ]
    assert group["retention_in_days"] > 0
    (cluster,) = synthed.resources("dev-foundation", "aws_ecs_cluster")
    assert any("log-group-insights" in dep for dep in cluster["depends_on"])
