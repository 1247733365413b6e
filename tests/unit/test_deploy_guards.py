"""tools.deploy's guards: a destroy AWS would stop at a protected ALB is refused before
anything is destroyed, and a deploy is checked against what ECS really runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from tools.deploy import cli as deploy
from tools.deploy import deployments, protection
from tools.deploy.commands import Workspace
from tools.deploy.procs import Result

PROD_ALBS = ["ecs-learn-prod-external", "ecs-learn-prod-internal"]


class FakeElbv2:
    """describe_load_balancers / describe_load_balancer_attributes over ``{name: protected}``."""

    def __init__(self, balancers: dict[str, bool]) -> None:
        self.balancers = balancers

    def describe_load_balancers(self, Names: list[str]) -> dict[str, Any]:
        (name,) = Names
        if name not in self.balancers:
            error = {"Error": {"Code": "LoadBalancerNotFound", "Message": "not found"}}
            raise botocore.exceptions.ClientError(error, "DescribeLoadBalancers")
        return {"LoadBalancers": [{"LoadBalancerArn": f"arn:{name}", "LoadBalancerName": name}]}

    def describe_load_balancer_attributes(self, LoadBalancerArn: str) -> dict[str, Any]:
        protected = self.balancers[LoadBalancerArn.removeprefix("arn:")]
        return {
            "Attributes": [
                {"Key": "idle_timeout.timeout_seconds", "Value": "60"},
                {"Key": "deletion_protection.enabled", "Value": str(protected).lower()},
            ]
        }


def test_foundation_stack_declares_both_albs(synthed):
    stack_file = synthed.outdir / "stacks" / "prod-foundation" / "cdk.tf.json"
    assert protection.load_balancer_names(stack_file) == PROD_ALBS


def test_only_existing_protected_balancers_are_reported():
    elbv2 = FakeElbv2({"ecs-learn-prod-external": True, "ecs-learn-prod-internal": False})
    names = [*PROD_ALBS, "never-deployed"]
    assert protection.protected_load_balancers(elbv2, names) == ["ecs-learn-prod-external"]


def test_other_describe_errors_are_not_swallowed():
    class Denied(FakeElbv2):
        def describe_load_balancers(self, Names: list[str]) -> dict[str, Any]:
            error = {"Error": {"Code": "AccessDenied", "Message": "no"}}
            raise botocore.exceptions.ClientError(error, "DescribeLoadBalancers")

    with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
        protection.protected_load_balancers(Denied({}), PROD_ALBS)


def test_refusal_names_the_balancers_and_the_deliberate_way():
    message = protection.refusal("prod", PROD_ALBS)
    assert "ecs-learn-prod-external, ecs-learn-prod-internal" in message
    assert "Nothing was destroyed" in message
    assert "make destroy ENV=prod FORCE_TEARDOWN=1" in message


# --- tools.deploy: the check runs before cdktf destroy --------------------------------


class FakeTarget:
    env_name = "prod"
    bootstrap_stack = "prod-bootstrap"

    def __init__(self, elbv2: FakeElbv2) -> None:
        self.elbv2 = elbv2

    def app_stacks(self, ws: Workspace) -> list[str]:
        return ["prod-foundation", "prod-images", "prod-services"]

    def client(self, service: str) -> Any:
        return self.elbv2 if service == "elbv2" else f"{service}-client"


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Workspace, list[Any]]:
    """A workspace with a synthesized prod-foundation and every cdktf command recorded."""
    ws = Workspace(tmp_path)
    stack = ws.stack_dir("prod-foundation")
    stack.mkdir(parents=True)
    albs = {f"alb-{n}": {"name": n} for n in PROD_ALBS}
    (stack / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_lb": albs}}))
    calls: list[Any] = []

    def record(name: str):
        def command(ws: Workspace, *args: Any, **kwargs: Any) -> Result:
            stacks = args[0] if args and isinstance(args[0], list) else []
            env = next((a for a in args if isinstance(a, dict)), {})
            calls.append((name, stacks, env.get("DELETION_PROTECTION")))
            return Result(returncode=0, seconds=0.0)

        return command

    for name in ("synth", "deploy", "destroy"):
        monkeypatch.setattr(deploy.commands, name, record(name))

    def sweep(ecs: Any, stack_file: Path) -> list[str]:
        calls.append(("sweep", [stack_file.parent.name], ecs))
        return []

    monkeypatch.setattr(deploy.task_definitions, "sweep_after_destroy", sweep)
    return ws, calls


def test_destroy_of_a_protected_environment_is_refused_before_destroying(recorded):
    # GIVEN prod's ALBs are deployed with deletion protection on
    ws, calls = recorded
    target = FakeTarget(FakeElbv2(dict.fromkeys(PROD_ALBS, True)))
    # WHEN destroy runs THEN it refuses, naming both, and cdktf destroy never ran
    with pytest.raises(protection.ProtectedResources, match="ecs-learn-prod-external, ecs-learn-"):
        deploy._run("destroy", target, ws, {}, approve=True)
    assert [c[0] for c in calls] == ["synth"]


def test_destroy_of_an_unprotected_environment_goes_ahead(recorded):
    ws, calls = recorded
    target = FakeTarget(FakeElbv2(dict.fromkeys(PROD_ALBS, False)))
    deploy._run("destroy", target, ws, {}, approve=True)
    # THEN the services stack's leftover task-definition revisions are swept after the destroy
    assert [c[0] for c in calls] == ["synth", "destroy", "sweep"]
    assert calls[-1] == ("sweep", ["prod-services"], "ecs-client")


def test_a_failed_destroy_sweeps_nothing(recorded, monkeypatch: pytest.MonkeyPatch):
    # GIVEN cdktf destroy fails (the services stack may still hold its revisions)
    ws, calls = recorded
    monkeypatch.setattr(
        deploy.commands, "destroy", lambda *a, **k: Result(returncode=1, seconds=0.0)
    )
    # WHEN destroy runs THEN it fails and no revision is deregistered
    with pytest.raises(deploy.DeployError, match="cdktf destroy failed with exit code 1"):
        deploy._run("destroy", FakeTarget(FakeElbv2({})), ws, {}, approve=True)
    assert "sweep" not in [c[0] for c in calls]


def test_disable_protection_applies_the_foundation_unprotected_then_destroys(
    recorded, monkeypatch: pytest.MonkeyPatch
):
    # GIVEN protected ALBs that the foundation apply unprotects
    ws, calls = recorded
    elbv2 = FakeElbv2(dict.fromkeys(PROD_ALBS, True))
    real_deploy = deploy.commands.deploy

    def deploy_unprotects(ws: Workspace, stacks: list[str], env: dict[str, str], **kw: Any):
        elbv2.balancers = dict.fromkeys(PROD_ALBS, False)
        return real_deploy(ws, stacks, env, **kw)

    monkeypatch.setattr(deploy.commands, "deploy", deploy_unprotects)
    # WHEN the deliberate teardown runs
    deploy._run("destroy", FakeTarget(elbv2), ws, {}, approve=True, disable_protection=True)
    # THEN synth and the foundation apply see DELETION_PROTECTION=off, and destroy comes last
    assert calls == [
        ("synth", [], "off"),
        ("deploy", ["prod-foundation"], "off"),
        ("destroy", ["prod-foundation", "prod-images", "prod-services"], "off"),
        ("sweep", ["prod-services"], "ecs-client"),
    ]


def test_a_stray_deletion_protection_setting_is_dropped_without_the_flag(recorded):
    ws, calls = recorded
    target = FakeTarget(FakeElbv2({}))
    deploy._run("destroy", target, ws, {"DELETION_PROTECTION": "off"}, approve=True)
    assert {c[2] for c in calls if c[0] != "sweep"} == {None}


def test_disable_protection_is_refused_for_other_actions(capsys):
    assert deploy.main(["deploy", "--env", "prod", "--disable-protection"]) == 2
    assert "--disable-protection is for destroy only, not deploy" in capsys.readouterr().err


# --- tools.deploy: the deployment check runs after cdktf deploy -------------------------


def test_deploy_checks_the_services_after_applying(recorded, monkeypatch: pytest.MonkeyPatch):
    ws, calls = recorded
    checked: list[Any] = []

    def rolled_back(ecs: Any, outputs_file: Path, stack: str) -> list[Any]:
        checked.append((ecs, stack, [c[0] for c in calls]))
        raise deployments.DeploymentCheckFailed("service backend: rolled back")

    monkeypatch.setattr(deploy.deployments, "check_outputs_file", rolled_back)
    with pytest.raises(deployments.DeploymentCheckFailed, match="backend: rolled back"):
        deploy._run("deploy", FakeTarget(FakeElbv2({})), ws, {}, approve=True)
    assert checked == [("ecs-client", "prod-services", ["synth", "deploy"])]


def test_a_failed_deployment_check_exits_1_with_its_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    def failing(*args: Any) -> int:
        raise deployments.DeploymentCheckFailed("service backend: rolled back")

    monkeypatch.setattr(deploy, "run_aws", failing)
    monkeypatch.setenv("TARGET", "aws")
    assert deploy.main(["deploy", "--env", "prod"]) == 1
    assert "error: service backend: rolled back" in capsys.readouterr().err
