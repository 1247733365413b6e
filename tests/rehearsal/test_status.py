"""``make status`` reads each service from ECS and its ALB, here from the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_environment, settings_from_env
from tests.rehearsal.conftest import Clients
from tests.rehearsal.fargate import task_definition, unique_name
from tools.deploy import cli, status

SETTINGS = {"TARGET": "aws", "TF_STATE_BUCKET": "state-bucket", "APP_VERSION": "1.0.0"}


def _deployed(aws: Clients, cluster: str) -> str:
    """frontend and backend services in ``cluster``, the frontend behind an ALB; its DNS."""
    ec2, elbv2, ecs = aws("ec2"), aws("elbv2"), aws("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/24")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.6.0.0/26", "ap-northeast-1a"), ("10.6.0.64/26", "ap-northeast-1c"))
    ]
    lb = elbv2.create_load_balancer(Name=unique_name(), Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(
        Name=unique_name(), Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    ecs.create_cluster(clusterName=cluster)
    sg = ec2.create_security_group(GroupName=unique_name(), Description="t", VpcId=vpc)["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}}
    for name, balancers in (
        ("frontend", [{"targetGroupArn": group, "containerName": "app", "containerPort": 3000}]),
        ("backend", []),
    ):
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=task_definition(aws, f"{cluster}-{name}"),
            desiredCount=2,
            launchType="FARGATE",
            networkConfiguration=network,
            loadBalancers=balancers,
        )
    return str(lb["DNSName"])


def test_each_service_with_its_tasks_revision_deployment_and_url(aws: Clients) -> None:
    # GIVEN dev's two services deployed in the emulator
    env = load_environment("dev", settings_from_env(SETTINGS))
    dns = _deployed(aws, env.name_prefix)
    # WHEN make status collects them
    report = {s.service: s for s in status.collect(env, aws("ecs"), aws("elbv2"))}
    # THEN each shows its counts, revision and rollout, and the frontend its ALB's URL
    front = report["frontend"]
    assert (front.running, front.desired, front.deployment) == (2, 2, "COMPLETED")
    assert front.revision == f"{env.name_prefix}-frontend:1" and front.image == "nginx"
    assert front.url == f"http://{dns}"
    assert report["backend"].url == ""
    text = status.as_text(list(report.values()))
    assert f"frontend   2/2 running   {env.name_prefix}-frontend:1   COMPLETED" in text
    assert '"revision": "ecs-learn-dev-backend:1"' in status.as_json(list(report.values()))


def test_an_environment_with_no_service_is_one_clear_error(aws: Clients) -> None:
    env = load_environment("prod", settings_from_env(SETTINGS))
    with pytest.raises(status.StatusError, match="no service of prod in cluster ecs-learn-prod"):
        status.collect(env, aws("ecs"), aws("elbv2"))


def test_bad_input_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An unknown environment, then a known one with no emulator running: one line each.
    monkeypatch.setattr(cli, "LOCAL_DIR", tmp_path)
    monkeypatch.delenv("TARGET", raising=False)
    assert cli.main(["status", "--env", "bogus"]) == 2
    assert "invalid --env='bogus': unknown environment" in capsys.readouterr().err
    assert cli.main(["status", "--env", "dev"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: no local emulator is running: `make deploy ENV=dev` starts one"


def test_on_aws_status_names_the_environment_s_dashboard() -> None:
    env = load_environment("dev", settings_from_env(SETTINGS))
    assert status.dashboard_url(env) == (
        "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1"
        "#dashboards/dashboard/ecs-learn-dev"
    )
