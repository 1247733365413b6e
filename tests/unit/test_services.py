"""Services stack: one task definition, service and scaling policy set per app."""

import json

import pytest
from cdktf import Testing
from cdktf_cdktf_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.ecs_service import EcsService
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition

from tests.synth import mask

STACK = "dev-services"
REMOTE = "${data.terraform_remote_state.cross-stack-reference-input-dev-foundation.outputs."
# A foundation output, masked (tests.synth.mask), is
# FOUNDATION + "aws_iam_roletask-execution-role_#arn}".
FOUNDATION = REMOTE + "cross-stack-output-"
IMAGES = "${data.terraform_remote_state.cross-stack-reference-input-dev-images.outputs."


def container(synthed, service, stack=STACK):
    task = synthed.resource_by_path(
        stack, EcsTaskDefinition.TF_RESOURCE_TYPE, f"{service}-service/task-definition"
    )
    (definition,) = json.loads(task["container_definitions"])
    return task, definition


def test_task_definitions_are_fargate_awsvpc_with_configured_size(synthed):
    for family in ("ecs-learn-dev-frontend", "ecs-learn-dev-backend"):
        assert Testing.to_have_resource_with_properties(
            synthed.stacks[STACK],
            EcsTaskDefinition.TF_RESOURCE_TYPE,
            {
                "family": family,
                "requires_compatibilities": ["FARGATE"],
                "network_mode": "awsvpc",
                "cpu": "256",
                "memory": "512",
            },
        )
    task, _ = container(synthed, "backend", "prod-services")
    assert (task["cpu"], task["memory"]) == ("512", "1024")


def test_the_frontend_container_definition_is_exactly_this(synthed):
    # GIVEN the whole definition, references masked: a field ECS reads differently
    # (essential, user, ports, logs) cannot change without this test changing too.
    task = synthed.resource_by_path(
        STACK, EcsTaskDefinition.TF_RESOURCE_TYPE, "frontend-service/task-definition"
    )
    assert mask(task["container_definitions"]) == [
        {
            "name": "frontend",
            "image": FOUNDATION
            + "aws_ecr_repositoryregistry_repository_#repository_url}@"
            + IMAGES
            + "cross-stack-output-docker_registry_imagefrontend-image_push_#sha256_digest}",
            # A service's only container: ECS refuses a task definition without an
            # essential container.
            "essential": True,
            "portMappings": [{"containerPort": 3000, "hostPort": 3000, "protocol": "tcp"}],
            "environment": [
                {"name": "APP_VERSION", "value": "1.2.3"},
                {
                    "name": "BACKEND_URL",
                    "value": "http://" + FOUNDATION + "aws_lbinternal-alb_#dns_name}",
                },
                {"name": "PORT", "value": "3000"},
            ],
            "secrets": [],
            "readonlyRootFilesystem": True,
            "privileged": False,
            "user": "10001",
            "healthCheck": {
                "command": ["CMD", "python", "/app/common/healthcheck.py"],
                "interval": 15,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 10,
            },
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": FOUNDATION
                    + "aws_cloudwatch_log_groupcluster_log-group-frontend_#name}",
                    "awslogs-region": "ap-northeast-1",
                    "awslogs-stream-prefix": "frontend",
                },
            },
            # dev has ECS Exec on: its agent writes to task volumes, the root stays read-only.
            "mountPoints": [
                {
                    "sourceVolume": "exec-managed-agents",
                    "containerPath": "/managed-agents",
                    "readOnly": False,
                },
                {
                    "sourceVolume": "exec-ssm-lib",
                    "containerPath": "/var/lib/amazon/ssm",
                    "readOnly": False,
                },
                {
                    "sourceVolume": "exec-ssm-log",
                    "containerPath": "/var/log/amazon/ssm",
                    "readOnly": False,
                },
            ],
        }
    ]


def test_exec_is_on_in_dev_with_its_volumes_and_off_in_prod(synthed):
    for stack, enabled in (("dev-services", True), ("prod-services", False)):
        for service in synthed.resources(stack, EcsService.TF_RESOURCE_TYPE):
            assert service["enable_execute_command"] is enabled, (stack, service["name"])
        for task in synthed.resources(stack, EcsTaskDefinition.TF_RESOURCE_TYPE):
            volumes = sorted(v["name"] for v in task.get("volume", []))
            assert volumes == (
                ["exec-managed-agents", "exec-ssm-lib", "exec-ssm-log"] if enabled else []
            )
            (container,) = mask(task["container_definitions"])
            assert container["readonlyRootFilesystem"] is True
            assert ("mountPoints" in container) is enabled


def test_every_container_is_essential(synthed):
    for stack in ("dev-services", "prod-services"):
        for task in synthed.resources(stack, EcsTaskDefinition.TF_RESOURCE_TYPE):
            assert [c["essential"] for c in mask(task["container_definitions"])] == [True]


@pytest.mark.parametrize("service", ["frontend", "backend"])
def test_the_app_gets_its_task_role_and_the_agent_the_execution_role(synthed, service):
    task = synthed.resource_by_path(
        STACK, EcsTaskDefinition.TF_RESOURCE_TYPE, f"{service}-service/task-definition"
    )
    roles = mask({k: task[k] for k in ("task_role_arn", "execution_role_arn")})
    assert roles == {
        "task_role_arn": FOUNDATION + f"aws_iam_roletask-role-{service}_role_#arn}}",
        "execution_role_arn": FOUNDATION + "aws_iam_roletask-execution-role_#arn}",
    }


def test_container_port_equals_host_port(synthed):
    for service, port in (("frontend", 3000), ("backend", 8080)):
        _, definition = container(synthed, service)
        assert definition["portMappings"] == [
            {"containerPort": port, "hostPort": port, "protocol": "tcp"}
        ]


def test_containers_log_with_awslogs_to_their_group(synthed):
    _, definition = container(synthed, "backend")
    log = definition["logConfiguration"]
    assert log["logDriver"] == "awslogs"
    assert log["options"]["awslogs-region"] == "ap-northeast-1"
    assert log["options"]["awslogs-group"].startswith(REMOTE)


def test_frontend_gets_internal_alb_url_as_backend_url(synthed):
    _, definition = container(synthed, "frontend")
    env = {e["name"]: e["value"] for e in definition["environment"]}
    assert env["BACKEND_URL"].startswith("http://" + REMOTE)
    assert "internal-alb" in env["BACKEND_URL"] and env["BACKEND_URL"].endswith("dns_name}")
    assert (env["PORT"], env["APP_VERSION"]) == ("3000", "1.2.3")


def test_images_are_digest_pinned_from_images_stack(synthed):
    _, definition = container(synthed, "backend")
    repo, digest = definition["image"].split("@")
    assert repo.startswith(REMOTE) and repo.endswith("repository_url}")
    assert "cross-stack-reference-input-dev-images" in digest
    assert digest.endswith("sha256_digest}")


def test_existing_tags_are_used_without_images_stack(synthed_tag_https):
    assert "dev-images" not in synthed_tag_https.stacks
    _, definition = container(synthed_tag_https, "frontend")
    assert definition["image"].endswith("repository_url}:frontend-1.2.3")


def test_containers_are_hardened(synthed):
    _, definition = container(synthed, "frontend")
    assert definition["readonlyRootFilesystem"] is True
    assert definition["privileged"] is False
    assert definition["user"] == "10001"
    assert definition["healthCheck"]["command"] == ["CMD", "python", "/app/common/healthcheck.py"]


def test_services_run_in_private_subnets_without_public_ips(synthed):
    for service in synthed.resources(STACK, EcsService.TF_RESOURCE_TYPE):
        network = service["network_configuration"]
        assert network["assign_public_ip"] is False
        assert all("private-subnet" in s for s in network["subnets"])


def test_each_service_has_its_own_sg_and_target_group(synthed):
    by_name = {s["name"]: s for s in synthed.resources(STACK, EcsService.TF_RESOURCE_TYPE)}
    assert "frontend-tasks" in by_name["frontend"]["network_configuration"]["security_groups"][0]
    assert "backend-tasks" in by_name["backend"]["network_configuration"]["security_groups"][0]
    assert by_name["frontend"]["load_balancer"][0]["container_port"] == 3000
    assert (
        "external-alb_target-group" in by_name["frontend"]["load_balancer"][0]["target_group_arn"]
    )
    assert "internal-alb_target-group" in by_name["backend"]["load_balancer"][0]["target_group_arn"]


def test_deployments_roll_back_and_keep_capacity(synthed):
    assert Testing.to_have_resource_with_properties(
        synthed.stacks[STACK],
        EcsService.TF_RESOURCE_TYPE,
        {
            "launch_type": "FARGATE",
            "platform_version": "1.4.0",
            "deployment_circuit_breaker": {"enable": True, "rollback": True},
            "deployment_minimum_healthy_percent": 100,
            "health_check_grace_period_seconds": 60,
            "desired_count": 2,
        },
    )


def test_deploys_wait_for_a_steady_state_within_fargate_start_times(synthed):
    # GIVEN new tasks that never become healthy WHEN the services stack is applied
    # THEN the apply waits for the steady state (and fails), instead of reporting success.
    for name in ("frontend", "backend"):
        assert Testing.to_have_resource_with_properties(
            synthed.stacks[STACK],
            EcsService.TF_RESOURCE_TYPE,
            {
                "name": name,
                "wait_for_steady_state": True,
                "timeouts": {"create": "20m", "update": "20m", "delete": "20m"},
            },
        )


def test_services_stack_outputs_what_the_deployment_check_needs(synthed):
    outputs = synthed.json(STACK)["output"]
    for name in ("frontend", "backend"):
        assert outputs[f"{name}_task_definition_arn"]["value"].startswith("${aws_ecs_task_def")
        assert outputs[f"{name}_log_group_name"]["value"].startswith(REMOTE)
        assert outputs[f"{name}_service_name"]["value"].startswith("${aws_ecs_service.")
    assert outputs["cluster_name"]["value"].startswith(REMOTE)


def test_desired_count_is_left_to_the_autoscaler(synthed):
    for service in synthed.resources(STACK, EcsService.TF_RESOURCE_TYPE):
        assert service["lifecycle"] == {"ignore_changes": ["desired_count"]}


def test_frontend_and_backend_scale_separately(synthed):
    targets = synthed.resources(STACK, AppautoscalingTarget.TF_RESOURCE_TYPE)
    assert len(targets) == 2
    assert {t["scalable_dimension"] for t in targets} == {"ecs:service:DesiredCount"}
    assert {(t["min_capacity"], t["max_capacity"]) for t in targets} == {(2, 4)}


def test_scaling_tracks_cpu_and_alb_requests(synthed):
    policies = synthed.resources(STACK, AppautoscalingPolicy.TF_RESOURCE_TYPE)
    metrics = sorted(
        (
            p["name"],
            p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"][
                "predefined_metric_type"
            ],
        )
        for p in policies
    )
    assert metrics == [
        ("ecs-learn-dev-backend-cpu-tracking", "ECSServiceAverageCPUUtilization"),
        ("ecs-learn-dev-backend-requests-tracking", "ALBRequestCountPerTarget"),
        ("ecs-learn-dev-frontend-cpu-tracking", "ECSServiceAverageCPUUtilization"),
        ("ecs-learn-dev-frontend-requests-tracking", "ALBRequestCountPerTarget"),
    ]


def test_request_scaling_label_names_the_alb_and_its_target_group(synthed):
    policies = synthed.resources(STACK, AppautoscalingPolicy.TF_RESOURCE_TYPE)
    (requests,) = [p for p in policies if p["name"] == "ecs-learn-dev-frontend-requests-tracking"]
    spec = requests["target_tracking_scaling_policy_configuration"]
    label = spec["predefined_metric_specification"]["resource_label"]
    alb, tg = label.split("}/")
    assert "aws_lbexternal-alb_" in alb and alb.endswith("arn_suffix")
    assert "aws_lb_target_groupexternal-alb_target-group" in tg
    assert spec["target_value"] == 500


@pytest.mark.parametrize("service, alb", [("frontend", "external"), ("backend", "internal")])
def test_request_scaling_label_is_the_alb_then_the_target_group(synthed, service, alb):
    # ALBRequestCountPerTarget's label is app/<lb>/<id>/targetgroup/<tg>/<id>: the two
    # arn_suffix values in that order, or Application Auto Scaling refuses the policy.
    (policy,) = [
        p
        for p in synthed.resources(STACK, AppautoscalingPolicy.TF_RESOURCE_TYPE)
        if p["name"] == f"ecs-learn-dev-{service}-requests-tracking"
    ]
    spec = policy["target_tracking_scaling_policy_configuration"]
    assert mask(spec["predefined_metric_specification"]) == {
        "predefined_metric_type": "ALBRequestCountPerTarget",
        "resource_label": FOUNDATION
        + f"aws_lb{alb}-alb_#arn_suffix}}/"
        + FOUNDATION
        + f"aws_lb_target_group{alb}-alb_target-group_#arn_suffix}}",
    }
