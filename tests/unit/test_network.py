"""Network: VPC, IGW, route tables and subnets, as in the seed."""

from cdktf import Testing
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc

from tests.synth import ref_name

STACK = "dev-foundation"


def test_vpc_has_seed_cidr_and_dns_for_endpoints(synthed):
    assert Testing.to_have_resource_with_properties(
        synthed.stacks[STACK],
        Vpc.TF_RESOURCE_TYPE,
        {"cidr_block": "10.0.0.0/24", "enable_dns_support": True, "enable_dns_hostnames": True},
    )


def test_internet_gateway_is_attached_to_the_vpc(synthed):
    (igw,) = synthed.resources(STACK, InternetGateway.TF_RESOURCE_TYPE)
    assert igw["vpc_id"].startswith("${aws_vpc.")


def test_public_route_table_sends_default_route_to_igw(synthed):
    (route,) = synthed.resources(STACK, Route.TF_RESOURCE_TYPE)
    assert route["destination_cidr_block"] == "0.0.0.0/0"
    assert route["gateway_id"].startswith("${aws_internet_gateway.")
    public_rt = synthed.resource_by_path(STACK, RouteTable.TF_RESOURCE_TYPE, "network/public-rt")
    assert public_rt["tags"]["Name"] == "ecs-learn-dev-public-rt"


def test_private_route_table_has_no_default_route(synthed):
    # GIVEN no NAT gateway WHEN routes are listed THEN only the public table has a route
    routes = synthed.resources(STACK, Route.TF_RESOURCE_TYPE)
    assert all("public-rt" in r["route_table_id"] for r in routes)
    private_rt = synthed.resource_by_path(STACK, RouteTable.TF_RESOURCE_TYPE, "network/private-rt")
    assert "route" not in private_rt


def test_four_subnets_with_seed_cidrs_across_two_azs(synthed):
    subnets = {
        (s["cidr_block"], s["availability_zone"], s["tags"]["Tier"])
        for s in synthed.resources(STACK, Subnet.TF_RESOURCE_TYPE)
    }
    assert subnets == {
        ("10.0.0.0/26", "ap-northeast-1a", "public"),
        ("10.0.0.64/26", "ap-northeast-1c", "public"),
        ("10.0.0.128/26", "ap-northeast-1a", "private"),
        ("10.0.0.192/26", "ap-northeast-1c", "private"),
    }


def test_no_subnet_gives_public_ips_on_launch(synthed):
    for subnet in synthed.resources(STACK, Subnet.TF_RESOURCE_TYPE):
        assert subnet.get("map_public_ip_on_launch", False) is False


def test_every_subnet_is_associated_with_its_tier_route_table(synthed):
    pairs = {
        (ref_name(a["subnet_id"]), ref_name(a["route_table_id"]))
        for a in synthed.resources(STACK, RouteTableAssociation.TF_RESOURCE_TYPE)
    }
    assert pairs == {
        ("public-subnet-az1", "public-rt"),
        ("public-subnet-az2", "public-rt"),
        ("private-subnet-az1", "private-rt"),
        ("private-subnet-az2", "private-rt"),
    }


def test_default_security_group_is_left_without_rules(synthed):
    assert Testing.to_have_resource_with_properties(
        synthed.stacks[STACK], DefaultSecurityGroup.TF_RESOURCE_TYPE, {"ingress": [], "egress": []}
    )
