"""Input validation and the environment handed to cdktf/Terraform."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config.loader import LOCAL_STATE_BUCKET
from tools.deploy.commands import ROOT
from tools.deploy.target import TargetError, aws_target, local_target


def test_unknown_env_names_the_field_and_value() -> None:
    with pytest.raises(TargetError) as caught:
        local_target("staging")
    assert str(caught.value) == (
        "invalid --env='staging': unknown environment; known: ['dev', 'prod']"
    )


def test_aws_needs_a_state_bucket() -> None:
    with pytest.raises(TargetError, match="TF_STATE_BUCKET=None: required when TARGET=aws"):
        aws_target("dev", {"TARGET": "aws"})


def test_bad_app_version_is_reported() -> None:
    with pytest.raises(TargetError, match="APP_VERSION='banana'"):
        local_target("dev", {"APP_VERSION": "banana"})


def test_local_target_points_everything_at_the_emulator() -> None:
    base = {"AWS_PROFILE": "prod-admin", "AWS_SESSION_TOKEN": "x", "PATH": os.environ["PATH"]}
    target = local_target("dev", base).at("http://127.0.0.1:5555")
    assert (target.region, target.state_bucket) == ("ap-northeast-1", LOCAL_STATE_BUCKET)
    env = target.child_env(base)
    assert env["AWS_ENDPOINT_URL"] == env["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:5555"
    assert env["AWS_ENDPOINT_URL_STS"] == "http://127.0.0.1:5555"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_REGION"]) == ("testing", "ap-northeast-1")
    assert "AWS_PROFILE" not in env and "AWS_SESSION_TOKEN" not in env
    assert (env["ENVS"], env["TARGET"], env["STATE_BACKEND"]) == ("dev", "local", "s3")
    assert env["TF_CLI_CONFIG_FILE"].endswith("terraform.rc")


def test_aws_target_has_no_emulator_settings() -> None:
    base = {"TARGET": "aws", "TF_STATE_BUCKET": "my-state", "PATH": os.environ["PATH"]}
    env = aws_target("prod", base).child_env(base)
    assert not any(k.startswith("AWS_ENDPOINT_URL") for k in env)
    assert (env["ENVS"], env["TARGET"]) == ("prod", "aws")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deploy", "--env", "nope"], "error: invalid --env='nope': unknown environment"),
        (["destroy"], "error: --env is required for destroy"),
    ],
)
def test_deploy_cli_rejects_bad_input_in_one_line(args: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.deploy", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(message) and proc.stderr.count("\n") == 1


def test_rehearsal_cli_rejects_an_unknown_env() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.rehearsal", "--env", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr == "error: invalid --env='nope': unknown environment; known: ['dev', 'prod']\n"
    )
