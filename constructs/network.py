"""VPC, internet gateway, route tables and one public + one private subnet per AZ."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc

from constructs import Construct


class Network(Construct):
    """The seed's network: a VPC with DNS on, an IGW, and public/private subnets.

    The public route table sends ``0.0.0.0/0`` to the IGW. The private route table
    has no default route: there is no NAT, and tasks reach AWS through VPC endpoints.
    The VPC's default security group is taken over and left with no rules, so
    nothing can use it by accident.

    Attributes: ``vpc``, ``vpc_id``, ``public_subnet_ids``, ``private_subnet_ids``,
    ``private_route_table_id``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name_prefix: str,
        vpc_cidr: str,
        azs: tuple[str, ...],
        public_subnet_cidrs: tuple[str, ...],
        private_subnet_cidrs: tuple[str, ...],
    ) -> None:
        super().__init__(scope, id_)
        if not len(azs) == len(public_subnet_cidrs) == len(private_subnet_cidrs):
            raise ValueError(
                f"azs={azs!r} needs one subnet each, got public_subnet_cidrs="
                f"{public_subnet_cidrs!r} and private_subnet_cidrs={private_subnet_cidrs!r}"
            )
        # DNS support and hostnames are both required for private-DNS VPC endpoints.
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{name_prefix}-vpc"},
        )
        self.vpc_id = self.vpc.id
        DefaultSecurityGroup(self, "default-sg-closed", vpc_id=self.vpc.id, ingress=[], egress=[])

        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": f"{name_prefix}-igw"})
        public_rt = RouteTable(
            self, "public-rt", vpc_id=self.vpc.id, tags={"Name": f"{name_prefix}-public-rt"}
        )
        Route(
            self,
            "public-default-route",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
        )
        private_rt = RouteTable(
            self, "private-rt", vpc_id=self.vpc.id, tags={"Name": f"{name_prefix}-private-rt"}
        )
        self.private_route_table_id = private_rt.id

        self.public_subnet_ids: list[str] = []
        self.private_subnet_ids: list[str] = []
        for index, az in enumerate(azs):
            n = index + 1
            public = Subnet(
                self,
                f"public-subnet-az{n}",
                vpc_id=self.vpc.id,
                cidr_block=public_subnet_cidrs[index],
                availability_zone=az,
                # Only the ALB lives here, and it gets its own addresses.
                map_public_ip_on_launch=False,
                tags={"Name": f"{name_prefix}-public-az{n}", "Tier": "public"},
            )
            private = Subnet(
                self,
                f"private-subnet-az{n}",
                vpc_id=self.vpc.id,
                cidr_block=private_subnet_cidrs[index],
                availability_zone=az,
                tags={"Name": f"{name_prefix}-private-az{n}", "Tier": "private"},
            )
            RouteTableAssociation(
                self, f"public-rta-az{n}", subnet_id=public.id, route_table_id=public_rt.id
            )
            RouteTableAssociation(
                self, f"private-rta-az{n}", subnet_id=private.id, route_table_id=private_rt.id
            )
            self.public_subnet_ids.append(public.id)
            self.private_subnet_ids.append(private.id)
