"""The rehearsal's day 2: image manifests, release-2 changes and what they must produce."""

import json
from typing import Any

import boto3
import pytest

from config import load_environment, settings_from_env
from tools.deploy import status
from tools.rehearsal import release

REGION = "ap-northeast-1"


@pytest.fixture
def ecr(moto_aws: None) -> Any:
    client = boto3.client("ecr", region_name=REGION)
    client.create_repository(repositoryName="repo")
    return client


def test_each_release_registers_one_distinct_image_per_service(ecr: Any) -> None:
    first = release.register_images(ecr, "repo", "0.1.0", ["frontend", "backend"])
    second = release.register_images(ecr, "repo", "0.2.0", ["frontend", "backend"])
    assert list(first) == ["frontend-0.1.0", "backend-0.1.0"]
    assert len({*first.values(), *second.values()}) == 4
    tags = {
        t
        for i in ecr.describe_images(repositoryName="repo")["imageDetails"]
        for t in i["imageTags"]
    }
    assert tags == {*first, *second}


def test_release_two_changes_validate_for_both_environments() -> None:
    # GIVEN the rehearsal's release-2 changes, sized from each environment's backend
    arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ecs-learn/dev/api-token-AbCdEf"
    for name in ("dev", "prod"):
        base = load_environment(name, settings_from_env({"APP_VERSION": "0.2.0"}))
        size = release.bigger_task(base.backend.cpu, base.backend.memory)
        # WHEN applied the way CONFIG_OVERRIDES applies them
        changed = base.with_(**release.second_release_changes(arn, size))
        # THEN both ports, a valid bigger task size and the secret are in; the rest is kept
        assert (changed.frontend.port, changed.backend.port) == (3001, 8081)
        assert (changed.backend.cpu, changed.backend.memory) == (size["cpu"], size["memory"])
        assert changed.backend.cpu > base.backend.cpu
        assert changed.backend.secrets == {"API_TOKEN": arn}
        assert changed.backend.health_check_path == base.backend.health_check_path


def test_dev_backend_grows_from_256_512_to_512_1024() -> None:
    assert release.bigger_task(256, 512) == {"cpu": 512, "memory": 1024}


def plan(*entries: tuple[str, str, list[str]]) -> dict[str, Any]:
    return {
        "resource_changes": [
            {
                "address": address,
                "type": kind,
                "change": {
                    "actions": actions,
                    "before": {"name": f"{address.split('.')[1]}-old"},
                    "after": {"name": f"{address.split('.')[1]}-new"},
                },
            }
            for address, kind, actions in entries
        ]
    }


def test_create_before_destroy_replacements_are_found() -> None:
    found = release.replaced_before_destroyed(
        plan(
            ("aws_lb_target_group.frontend", "aws_lb_target_group", ["create", "delete"]),
            ("aws_lb_target_group.backend", "aws_lb_target_group", ["no-op"]),
            ("aws_lb_listener.http", "aws_lb_listener", ["create", "delete"]),
        ),
        "aws_lb_target_group",
    )
    assert found == ["aws_lb_target_group.frontend (frontend-old -> frontend-new)"]


def test_a_rule_replacement_is_named_by_its_name_tag() -> None:
    entry = {
        "address": "aws_vpc_security_group_ingress_rule.r",
        "type": "aws_vpc_security_group_ingress_rule",
        "change": {
            "actions": ["create", "delete"],
            "before": {"tags": {"Name": "frontend-tasks-from-external-alb"}},
            "after": {"tags": {"Name": "frontend-tasks-from-external-alb"}},
        },
    }
    found = release.replaced_before_destroyed(
        {"resource_changes": [entry]}, "aws_vpc_security_group_ingress_rule"
    )
    name = "frontend-tasks-from-external-alb"
    assert found == [f"aws_vpc_security_group_ingress_rule.r ({name} -> {name})"]


def test_a_destroy_before_create_replacement_does_not_count() -> None:
    found = release.replaced_before_destroyed(
        plan(("aws_lb_target_group.frontend", "aws_lb_target_group", ["delete", "create"])),
        "aws_lb_target_group",
    )
    assert found == []


def definition(name: str, image: str) -> dict[str, Any]:
    return {"containerDefinitions": [{"name": name, "image": image}]}


def test_a_service_on_another_versions_image_is_reported() -> None:
    definitions = {
        "ecs-learn-dev-frontend": definition("frontend", "repo:frontend-0.1.0"),
        "ecs-learn-dev-backend": definition("backend", "repo:backend-0.2.0"),
    }
    assert release.wrong_images(definitions, "0.1.0") == [
        "ecs-learn-dev-backend runs repo:backend-0.2.0, not 0.1.0"
    ]


def test_the_manifest_is_a_docker_v2_manifest() -> None:
    manifest = json.loads(release.image_manifest("frontend", "0.1.0"))
    assert manifest["schemaVersion"] == 2
    assert manifest["mediaType"] == release.MANIFEST_TYPE


def test_a_state_missing_a_synthesized_resource_is_reported(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, moto_aws: None
) -> None:
    from tools.deploy.commands import Workspace
    from tools.deploy.target import LocalTarget

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(
        Bucket="state-bucket", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    monkeypatch.setattr(LocalTarget, "client", lambda self, service: s3)
    ws = Workspace(tmp_path)
    ws.stack_dir("prod-foundation").mkdir(parents=True)
    synthesized = {"resource": {"aws_vpc": {"vpc": {}}, "aws_lb": {"ext": {}, "int": {}}}}
    (ws.stack_dir("prod-foundation") / "cdk.tf.json").write_text(json.dumps(synthesized))
    # GIVEN a state listing the VPC and one ALB (the other has no instance left)
    resources = [
        {"mode": "managed", "type": "aws_vpc", "name": "vpc", "instances": [{}]},
        {"mode": "managed", "type": "aws_lb", "name": "ext", "instances": [{}]},
        {"mode": "managed", "type": "aws_lb", "name": "int", "instances": []},
    ]
    body = json.dumps({"resources": resources})
    s3.put_object(Bucket="state-bucket", Key="prod/prod-foundation.tfstate", Body=body)
    target = LocalTarget(env_name="prod", region=REGION, state_bucket="state-bucket")
    # WHEN / THEN the missing one is named
    assert release.missing_from_state(target, ws, "prod-foundation") == ["aws_lb.int"]


def _status(service: str, revision: str, targets: dict[str, int]) -> status.ServiceStatus:
    return status.ServiceStatus(service, 2, 2, revision, "img", "COMPLETED", "", targets, "")


def _definition(service: str, revision: int) -> dict[str, Any]:
    return {
        "family": f"ecs-learn-dev-{service}",
        "revision": revision,
        "containerDefinitions": [{"name": service}],
    }


def test_make_status_agreeing_with_the_release_is_fine() -> None:
    definitions = {"frontend": _definition("frontend", 2)}
    report = [_status("frontend", "ecs-learn-dev-frontend:2", {"healthy": 2})]
    assert release.status_problems(report, definitions) == []


def test_make_status_on_another_revision_or_unhealthy_targets_is_reported() -> None:
    definitions = {"frontend": _definition("frontend", 2), "backend": _definition("backend", 2)}
    report = [
        _status("frontend", "ecs-learn-dev-frontend:1", {"healthy": 2}),
        _status("backend", "ecs-learn-dev-backend:2", {"unhealthy": 2}),
    ]
    assert release.status_problems(report, definitions) == [
        "backend: 2/2 running, targets {'unhealthy': 2}",
        "frontend: make status shows ecs-learn-dev-frontend:1, not ecs-learn-dev-frontend:2",
    ]
