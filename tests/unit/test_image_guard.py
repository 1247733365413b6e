"""A pushed version is never rebuilt from changed sources: the deploy stops before any push."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tools.deploy import cli as deploy
from tools.deploy import image_guard
from tools.deploy.commands import Workspace
from tools.deploy.procs import Result
from tools.deploy.target import AwsTarget
from tools.rehearsal.release import register_images

REGION = "ap-northeast-1"
REPO = "ecr-learn-app-dev"
OLD, NEW = "a" * 64, "b" * 64


def images_stack(contexts: dict[str, str]) -> dict[str, Any]:
    """A synthesized images stack pushing ``tag -> context hash``."""
    return {
        "resource": {
            "docker_image": {
                f"{tag.split('-')[0]}-image": {
                    "name": f"${{data.terraform_remote_state.f.outputs.repo}}:{tag}",
                    "triggers": {"context_sha": sha},
                }
                for tag, sha in contexts.items()
            }
        }
    }


def state(contexts: dict[str, str]) -> dict[str, Any]:
    """``terraform show -json`` of an images stack state that pushed ``tag -> hash``."""
    resources = [
        {
            "mode": "managed",
            "type": "docker_registry_image",
            "values": {"name": f"123.dkr.ecr/{REPO}:{tag}", "triggers": {"context_sha": sha}},
        }
        for tag, sha in contexts.items()
    ]
    return {"format_version": "1.0", "values": {"root_module": {"resources": resources}}}


@pytest.fixture
def ecr(moto_aws: None) -> Any:
    client = boto3.client("ecr", region_name=REGION)
    client.create_repository(repositoryName=REPO)
    return client


def run_check(ecr: Any, tmp_path: Path, now: dict[str, str], recorded: dict[str, str]) -> list[str]:
    stack_file = tmp_path / "cdk.tf.json"
    stack_file.write_text(json.dumps(images_stack(now)))
    reads: list[str] = []

    def read_state() -> dict[str, Any]:
        reads.append("state")
        return state(recorded)

    image_guard.check(ecr, "dev", REPO, stack_file, read_state)
    return reads


def test_the_synthesized_stack_carries_each_apps_context_hash(synthed) -> None:
    stack = synthed.json("dev-images")
    contexts = image_guard.synthesized_contexts(stack)
    assert set(contexts) == {"frontend-1.2.3", "backend-1.2.3"}
    assert len(set(contexts.values())) == 2 and all(len(h) >= 32 for h in contexts.values())


def test_a_new_version_is_built_without_reading_the_state(ecr: Any, tmp_path: Path) -> None:
    # GIVEN only 0.1.0 is in ECR WHEN 0.2.0 is deployed THEN it goes ahead, state unread
    register_images(ecr, REPO, "0.1.0", ["frontend", "backend"])
    now = {"frontend-0.2.0": NEW, "backend-0.2.0": NEW}
    assert run_check(ecr, tmp_path, now, {}) == []


def test_a_pushed_version_with_unchanged_sources_goes_ahead(ecr: Any, tmp_path: Path) -> None:
    register_images(ecr, REPO, "0.2.0", ["frontend", "backend"])
    now = {"frontend-0.2.0": OLD, "backend-0.2.0": NEW}
    assert run_check(ecr, tmp_path, now, dict(now)) == ["state"]


def test_a_pushed_version_whose_sources_changed_is_refused(ecr: Any, tmp_path: Path) -> None:
    # GIVEN frontend-0.2.0 was pushed from context OLD and apps/frontend changed since
    register_images(ecr, REPO, "0.2.0", ["frontend", "backend"])
    now = {"frontend-0.2.0": NEW, "backend-0.2.0": OLD}
    recorded = {"frontend-0.2.0": OLD, "backend-0.2.0": OLD}
    # WHEN / THEN the deploy is refused, naming the tag, both hashes and what to do
    with pytest.raises(
        image_guard.RebuildRefused,
        match=r"^refusing to deploy dev: frontend-0\.2\.0 \(pushed from build context "
        r"aaaaaaaaaaaa, now bbbbbbbbbbbb\) already in ECR repository ecr-learn-app-dev\..*"
        r"nothing was built or pushed\. Bump APP_VERSION",
    ):
        run_check(ecr, tmp_path, now, recorded)


def test_a_pushed_tag_this_state_never_pushed_is_refused(ecr: Any, tmp_path: Path) -> None:
    # GIVEN backend-0.2.0 is in ECR but was not pushed by this images stack (e.g. by hand)
    register_images(ecr, REPO, "0.2.0", ["backend"])
    now = {"frontend-0.2.0": NEW, "backend-0.2.0": NEW}
    with pytest.raises(
        image_guard.RebuildRefused, match=r"backend-0\.2\.0 \(pushed, but not by this images stack"
    ):
        run_check(ecr, tmp_path, now, {})


def test_recorded_contexts_are_read_from_child_modules_too() -> None:
    nested = {
        "values": {"root_module": {"child_modules": [state({"x-1": OLD})["values"]["root_module"]]}}
    }
    assert image_guard.recorded_contexts(nested) == {"x-1": OLD}


def test_an_empty_state_records_nothing() -> None:
    assert image_guard.recorded_contexts({"format_version": "1.0"}) == {}


def test_make_deploy_on_aws_stops_before_cdktf_deploy_when_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN the guard refuses
    calls: list[str] = []
    monkeypatch.setattr(
        deploy.commands, "synth", lambda *a, **k: calls.append("synth") or Result(0, 0.0)
    )
    monkeypatch.setattr(
        deploy.commands, "deploy", lambda *a, **k: calls.append("deploy") or Result(0, 0.0)
    )

    def refuse(*args: Any) -> None:
        raise image_guard.RebuildRefused("refusing to deploy dev: frontend-0.2.0 ...")

    monkeypatch.setattr(image_guard, "before_deploy", refuse)
    target = AwsTarget(env_name="dev", region=REGION)
    monkeypatch.setattr(
        AwsTarget, "app_stacks", lambda self, ws: ["dev-foundation", "dev-images", "dev-services"]
    )
    # WHEN make deploy runs THEN it stops after the synth, before any cdktf deploy
    with pytest.raises(image_guard.RebuildRefused):
        deploy._run("deploy", target, Workspace(tmp_path), {}, approve=True)
    assert calls == ["synth"]


def test_make_deploy_on_aws_logs_the_images_stack_in_for_that_run_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN an AWS deploy with the images stack, past the guard, and ECR's login
    seen: dict[str, str] = {}
    monkeypatch.setattr(deploy.commands, "synth", lambda *a, **k: Result(0, 0.0))

    def cdktf_deploy(ws: Workspace, stacks: list[str], env: dict[str, str], **k: Any) -> Result:
        seen.update(env)
        return Result(1, 0.0)  # stop here: the deployment check is not under test

    monkeypatch.setattr(deploy.commands, "deploy", cdktf_deploy)
    monkeypatch.setattr(image_guard, "before_deploy", lambda *a: None)
    monkeypatch.setattr(deploy.downtime, "before_deploy", lambda *a, **k: None)
    monkeypatch.setattr(deploy, "preflight", lambda env_name: "")
    monkeypatch.setattr(
        AwsTarget, "app_stacks", lambda self, ws: ["dev-foundation", "dev-images", "dev-services"]
    )

    class Ecr:
        def get_authorization_token(self) -> dict[str, Any]:
            return {"authorizationData": [{"authorizationToken": "QVdTOnNlY3JldC10b2tlbg=="}]}

    monkeypatch.setattr(AwsTarget, "client", lambda self, service: Ecr())
    # WHEN make deploy runs
    with pytest.raises(deploy.DeployError):
        deploy._run(
            "deploy",
            AwsTarget(env_name="dev", region=REGION),
            Workspace(tmp_path),
            {},
            approve=True,
        )
    # THEN cdktf deploy got the login in its environment, and no file holds it
    assert (seen["DOCKER_REGISTRY_USER"], seen["DOCKER_REGISTRY_PASS"]) == ("AWS", "secret-token")
    assert not any("secret-token" in f.read_text() for f in tmp_path.rglob("*") if f.is_file())


def test_the_refusal_exits_1_with_one_line(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    def refused(*args: Any, **kwargs: Any) -> int:
        raise image_guard.RebuildRefused("refusing to deploy dev: ... Bump APP_VERSION")

    monkeypatch.setenv("TARGET", "aws")
    monkeypatch.setattr(deploy, "run_aws", refused)
    assert deploy.main(["deploy", "--env", "dev"]) == 1
    assert capsys.readouterr().err == "error: refusing to deploy dev: ... Bump APP_VERSION\n"
