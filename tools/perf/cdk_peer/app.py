"""The benchmark's AWS CDK peer: this project's dev topology written with aws-cdk-lib.

Two stacks like the project's foundation and services, the second reading the first's
outputs. Run by ``make bench`` (tools/perf/bench.py) with the Python of its own venv
(``requirements.txt`` beside this file), never the project's: aws-cdk-lib is not a project
dependency. ``CDK_OUTDIR`` says where the cloud assembly goes; ``CDK_VALIDATION=false``
turns off aws-cdk-lib's built-in template validation.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

ENV = {"account": "123456789012", "region": "ap-northeast-1"}
APPS = {"frontend": 3000, "backend": 8080}


def foundation(app: Any) -> dict[str, Any]:
    """The network, load balancers, registry, cluster, logs and roles."""
    stack = Stack(app, "dev-foundation", env=ENV)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        ip_addresses=ec2.IpAddresses.cidr("10.0.0.0/16"),
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC),
            ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        ],
    )
    app_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    endpoint_sg = ec2.SecurityGroup(stack, "EndpointSg", vpc=vpc, allow_all_outbound=False)
    endpoint_sg.add_ingress_rule(ec2.Peer.ipv4(vpc.vpc_cidr_block), ec2.Port.tcp(443))
    for name, service in {
        "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
        "EcrDkr": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
        "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    }.items():
        vpc.add_interface_endpoint(
            name, service=service, subnets=app_subnets, security_groups=[endpoint_sg]
        )
    vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)

    public_sg = ec2.SecurityGroup(stack, "PublicAlbSg", vpc=vpc, allow_all_outbound=False)
    public_sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(80))
    internal_sg = ec2.SecurityGroup(stack, "InternalAlbSg", vpc=vpc, allow_all_outbound=False)
    frontend_sg = ec2.SecurityGroup(stack, "FrontendSg", vpc=vpc, allow_all_outbound=False)
    backend_sg = ec2.SecurityGroup(stack, "BackendSg", vpc=vpc, allow_all_outbound=False)
    frontend_sg.add_ingress_rule(public_sg, ec2.Port.tcp(APPS["frontend"]))
    public_sg.add_egress_rule(frontend_sg, ec2.Port.tcp(APPS["frontend"]))
    internal_sg.add_ingress_rule(frontend_sg, ec2.Port.tcp(80))
    frontend_sg.add_egress_rule(internal_sg, ec2.Port.tcp(80))
    backend_sg.add_ingress_rule(internal_sg, ec2.Port.tcp(APPS["backend"]))
    internal_sg.add_egress_rule(backend_sg, ec2.Port.tcp(APPS["backend"]))
    for sg in (frontend_sg, backend_sg):
        sg.add_egress_rule(endpoint_sg, ec2.Port.tcp(443))

    balancers = {
        "frontend": elbv2.ApplicationLoadBalancer(
            stack, "PublicAlb", vpc=vpc, internet_facing=True, security_group=public_sg
        ),
        "backend": elbv2.ApplicationLoadBalancer(
            stack,
            "InternalAlb",
            vpc=vpc,
            internet_facing=False,
            security_group=internal_sg,
            vpc_subnets=app_subnets,
        ),
    }
    target_groups = {}
    for name, alb in balancers.items():
        target_groups[name] = elbv2.ApplicationTargetGroup(
            stack,
            f"{name}-tg",
            vpc=vpc,
            port=APPS[name],
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            health_check=elbv2.HealthCheck(path="/health", interval=Duration.seconds(30)),
        )
        alb.add_listener(
            f"{name}-listener",
            port=80,
            open=False,
            default_target_groups=[target_groups[name]],
        )

    repository = ecr.Repository(
        stack,
        "Repository",
        image_tag_mutability=ecr.TagMutability.IMMUTABLE,
        image_scan_on_push=True,
        removal_policy=RemovalPolicy.DESTROY,
    )
    repository.add_lifecycle_rule(max_image_count=20)
    cluster = ecs.Cluster(
        stack, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
    )
    log_groups = {
        name: logs.LogGroup(stack, f"{name}-logs", retention=logs.RetentionDays.ONE_MONTH)
        for name in APPS
    }
    execution_role = iam.Role(
        stack, "ExecutionRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
    )
    repository.grant_pull(execution_role)
    task_roles = {
        name: iam.Role(
            stack, f"{name}-task-role", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
        )
        for name in APPS
    }
    return {
        "vpc": vpc,
        "subnets": app_subnets,
        "security_groups": {"frontend": frontend_sg, "backend": backend_sg},
        "target_groups": target_groups,
        "repository": repository,
        "cluster": cluster,
        "log_groups": log_groups,
        "execution_role": execution_role,
        "task_roles": task_roles,
        "backend_url": f"http://{balancers['backend'].load_balancer_dns_name}",
    }


def services(app: Any, base: dict[str, Any]) -> None:
    """Both services: task definitions, Fargate services and their CPU autoscaling."""
    stack = Stack(app, "dev-services", env=ENV)
    for name, port in APPS.items():
        task = ecs.FargateTaskDefinition(
            stack,
            f"{name}-task",
            cpu=256,
            memory_limit_mib=512,
            execution_role=base["execution_role"],
            task_role=base["task_roles"][name],
        )
        environment = {"PORT": str(port)}
        if name == "frontend":
            environment["BACKEND_URL"] = base["backend_url"]
        task.add_container(
            name,
            image=ecs.ContainerImage.from_ecr_repository(base["repository"], f"{name}-1.0.0"),
            port_mappings=[ecs.PortMapping(container_port=port)],
            environment=environment,
            readonly_root_filesystem=True,
            user="1000",
            logging=ecs.LogDrivers.aws_logs(stream_prefix=name, log_group=base["log_groups"][name]),
        )
        service = ecs.FargateService(
            stack,
            f"{name}-service",
            cluster=base["cluster"],
            task_definition=task,
            desired_count=2,
            security_groups=[base["security_groups"][name]],
            vpc_subnets=base["subnets"],
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )
        service.attach_to_application_target_group(base["target_groups"][name])
        scaling = service.auto_scale_task_count(min_capacity=2, max_capacity=4)
        scaling.scale_on_cpu_utilization(f"{name}-cpu", target_utilization_percent=60)


def main() -> None:
    app = App()
    services(app, foundation(app))
    app.synth()


if __name__ == "__main__":
    main()
