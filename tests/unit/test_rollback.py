"""make rollback: only versions whose images are still in ECR, and nothing is built."""

from pathlib import Path
from typing import Any

import boto3
import pytest

from config import load_environment, settings_from_env
from tools.deploy import rollback
from tools.rehearsal.release import register_images

REGION = "ap-northeast-1"
AWS = {"TARGET": "aws", "TF_STATE_BUCKET": "my-state", "APP_VERSION": "0.2.0"}


@pytest.fixture
def ecr(moto_aws: None) -> Any:
    return boto3.client("ecr", region_name=REGION)


def dev() -> Any:
    return load_environment("dev", settings_from_env(AWS))


def pushed(ecr: Any, *versions: str, services: tuple[str, ...] = ("frontend", "backend")) -> None:
    ecr.create_repository(repositoryName="ecr-learn-app-dev")
    for version in versions:
        register_images(ecr, "ecr-learn-app-dev", version, list(services))


def test_a_version_whose_images_are_both_in_ecr_may_be_rolled_back_to(ecr: Any) -> None:
    # GIVEN releases 0.1.0 and 0.2.0 were pushed
    pushed(ecr, "0.1.0", "0.2.0")
    # WHEN 0.1.0 is checked THEN nothing is refused
    rollback.require_images(ecr, dev(), "0.1.0")


def test_a_version_never_pushed_is_refused_naming_what_is_missing_and_what_exists(
    ecr: Any,
) -> None:
    pushed(ecr, "0.1.0", "0.2.0")
    with pytest.raises(
        rollback.RollbackRefused,
        match=r"refusing to roll back dev to 0\.0\.9: ECR repository ecr-learn-app-dev has no "
        r"image frontend-0\.0\.9, backend-0\.0\.9.*nothing was changed\. "
        r"Versions that can be rolled back to: 0\.1\.0, 0\.2\.0$",
    ):
        rollback.require_images(ecr, dev(), "0.0.9")


def test_a_version_with_only_one_service_image_is_refused(ecr: Any) -> None:
    # GIVEN 0.1.0's backend image was pruned (or never pushed)
    pushed(ecr, "0.2.0")
    pushed_frontend_only = ("frontend",)
    register_images(ecr, "ecr-learn-app-dev", "0.1.0", list(pushed_frontend_only))
    # WHEN / THEN the rollback is refused for the missing backend tag only
    with pytest.raises(rollback.RollbackRefused, match=r"has no image backend-0\.1\.0, and"):
        rollback.require_images(ecr, dev(), "0.1.0")


def test_without_the_repository_every_tag_is_missing_and_nothing_can_be_rolled_back_to(
    ecr: Any,
) -> None:
    with pytest.raises(
        rollback.RollbackRefused, match=r"no image frontend-0\.1\.0, backend-0\.1\.0.*: none$"
    ):
        rollback.require_images(ecr, dev(), "0.1.0")


def test_a_rollback_deploys_existing_tags_of_that_version() -> None:
    environ = rollback.rollback_environ({"APP_VERSION": "0.2.0", "IMAGE_SOURCE": "build"}, "0.1.0")
    assert environ == {"APP_VERSION": "0.1.0", "IMAGE_SOURCE": "tag"}
    settings = settings_from_env({**AWS, **environ})
    assert (settings.app_version, settings.image_source) == ("0.1.0", "tag")


def test_the_command_refuses_a_bad_version_before_anything_else(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert rollback.main(["--env", "dev", "--version", "latest"]) == 2
    assert "invalid config: VERSION='latest': must be semver" in capsys.readouterr().err


def test_the_command_refuses_an_unknown_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert rollback.main(["--env", "stage", "--version", "0.1.0"]) == 2
    assert "invalid --env='stage': unknown environment" in capsys.readouterr().err


def test_the_command_refuses_a_local_rollback_with_nothing_deployed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tools.deploy import cli as deploy

    # GIVEN no emulator is running in the local deploy directory
    monkeypatch.setattr(rollback, "LOCAL_DIR", tmp_path)
    monkeypatch.setenv("TARGET", "local")
    called: list[str] = []
    monkeypatch.setattr(deploy, "run_local", lambda *a, **k: called.append("deploy") or 0)
    # WHEN a rollback is asked for THEN it is refused and no deploy runs
    assert rollback.main(["--env", "dev", "--version", "0.1.0"]) == 1
    assert "nothing is deployed locally" in capsys.readouterr().err
    assert called == []


def test_the_command_refuses_a_version_whose_images_are_gone_before_any_deploy(
    ecr: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tools.deploy import cli as deploy

    # GIVEN real AWS (here: moto) holding only 0.2.0
    pushed(ecr, "0.2.0")
    for key, value in AWS.items():
        monkeypatch.setenv(key, value)
    called: list[str] = []
    monkeypatch.setattr(deploy, "run_aws", lambda *a, **k: called.append("deploy") or 0)
    # WHEN rolling back to 0.1.0 THEN it is refused and nothing is deployed
    assert rollback.main(["--env", "dev", "--version", "0.1.0"]) == 1
    assert "no image frontend-0.1.0, backend-0.1.0" in capsys.readouterr().err
    assert called == []


def test_the_command_deploys_a_present_version_as_tags(
    ecr: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from tools.deploy import cli as deploy

    pushed(ecr, "0.1.0", "0.2.0")
    # (set, so that monkeypatch restores what the command writes to os.environ)
    for key, value in {**AWS, "IMAGE_SOURCE": "build"}.items():
        monkeypatch.setenv(key, value)
    seen: list[tuple[str, str, str]] = []
    monkeypatch.setattr(
        deploy,
        "run_aws",
        lambda action, env, approve: (
            seen.append((action, os.environ["APP_VERSION"], os.environ["IMAGE_SOURCE"])) or 0
        ),
    )
    assert rollback.main(["--env", "dev", "--version", "0.1.0"]) == 0
    assert seen == [("deploy", "0.1.0", "tag")]
