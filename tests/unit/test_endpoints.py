"""VPC endpoints replace NAT: ECR and logs as interface endpoints, S3 as a gateway."""

from cdktf import Testing
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from tests.synth import ref_name

STACK = "dev-foundation"


def endpoints(synthed, stack=STACK):
    return {e["service_name"]: e for e in synthed.resources(stack, VpcEndpoint.TF_RESOURCE_TYPE)}


def test_interface_endpoints_for_ecr_and_logs_with_private_dns(synthed):
    for service in ("ecr.dkr", "ecr.api", "logs"):
        assert Testing.to_have_resource_with_properties(
            synthed.stacks[STACK],
            VpcEndpoint.TF_RESOURCE_TYPE,
            {
                "service_name": f"com.amazonaws.ap-northeast-1.{service}",
                "vpc_endpoint_type": "Interface",
                "private_dns_enabled": True,
            },
        )


def test_interface_endpoints_sit_in_both_private_subnets_with_their_own_sg(synthed):
    for name, endpoint in endpoints(synthed).items():
        if endpoint["vpc_endpoint_type"] != "Interface":
            continue
        assert [ref_name(s) for s in endpoint["subnet_ids"]] == [
            "private-subnet-az1",
            "private-subnet-az2",
        ], name
        assert [ref_name(s) for s in endpoint["security_group_ids"]] == ["endpoints-sg"], name


def test_s3_is_a_gateway_endpoint_on_the_private_route_table(synthed):
    s3 = endpoints(synthed)["com.amazonaws.ap-northeast-1.s3"]
    assert s3["vpc_endpoint_type"] == "Gateway"
    assert [ref_name(r) for r in s3["route_table_ids"]] == ["private-rt"]


def test_endpoint_sg_accepts_443_only_from_task_sgs(synthed):
    ingress = [
        r
        for r in synthed.resources(STACK, VpcSecurityGroupIngressRule.TF_RESOURCE_TYPE)
        if "endpoints-sg" in r["security_group_id"]
    ]
    sources = sorted(ref_name(r["referenced_security_group_id"]) for r in ingress)
    assert sources == ["backend-tasks", "frontend-tasks"]
    assert {r["from_port"] for r in ingress} == {443}


def test_tasks_egress_443_to_endpoints_and_s3_prefix_list(synthed):
    egress = {
        r["tags"]["Name"]: r
        for r in synthed.resources(STACK, VpcSecurityGroupEgressRule.TF_RESOURCE_TYPE)
    }
    for tasks in ("frontend-tasks", "backend-tasks"):
        assert egress[f"{tasks}-https-to-endpoints"]["from_port"] == 443
        to_s3 = egress[f"{tasks}-https-to-s3"]
        assert to_s3["from_port"] == 443
        assert to_s3["prefix_list_id"].endswith(".prefix_list_id}")


def test_no_secrets_keeps_the_endpoint_set_without_secrets_manager(synthed):
    # GIVEN no service has secrets THEN the endpoints stay ECR, logs, the S3 gateway, and
    # (dev: ECS Exec on) ssmmessages.
    assert sorted(endpoints(synthed)) == [
        f"com.amazonaws.ap-northeast-1.{s}"
        for s in ("ecr.api", "ecr.dkr", "logs", "s3", "ssmmessages")
    ]


def test_without_exec_there_is_no_ssmmessages_endpoint(synthed):
    assert sorted(endpoints(synthed, "prod-foundation")) == [
        f"com.amazonaws.ap-northeast-1.{s}" for s in ("ecr.api", "ecr.dkr", "logs", "s3")
    ]


def test_secrets_add_a_secrets_manager_interface_endpoint(synthed_secrets):
    # GIVEN the backend reads a secret WHEN there is no NAT
    # THEN the ECS agent reaches Secrets Manager through an interface endpoint.
    assert Testing.to_have_resource_with_properties(
        synthed_secrets.stacks[STACK],
        VpcEndpoint.TF_RESOURCE_TYPE,
        {
            "service_name": "com.amazonaws.ap-northeast-1.secretsmanager",
            "vpc_endpoint_type": "Interface",
            "private_dns_enabled": True,
        },
    )
    secretsmanager = endpoints(synthed_secrets)["com.amazonaws.ap-northeast-1.secretsmanager"]
    assert [ref_name(g) for g in secretsmanager["security_group_ids"]] == ["endpoints-sg"]
