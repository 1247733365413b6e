"""A local-target stack can only ever reach the emulator, whatever runs it.

The provider, the S3 backend and the remote-state reads carry the emulator's
endpoint and fake credentials in the synthesized JSON itself, so a plain
``npx cdktf deploy`` or ``terraform apply`` with real credentials in the shell
cannot touch a real account.

The tests that run Terraform are marked ``e2e``: the AWS SDK retries a closed
port for tens of seconds, which belongs in the slow phase of ``make test``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cdktf_cdktf_provider_aws.provider import AwsProvider

from config import ConfigError, settings_from_env
from tests.synth import Synth, environments, synth
from tools.terraform import install_lock_file, terraform_binary, terraform_env

# Credentials that look real: the stacks must ignore them.
REAL_LOOKING = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_REGION": "ap-northeast-1",
}


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> str:
    return f"http://127.0.0.1:{_closed_port()}"


@pytest.fixture(scope="module")
def local_s3(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev for the emulator target (the default), S3 state, no emulator running."""
    envs = environments({"ENVS": "dev", "APP_VERSION": "1.2.3", "EMULATOR_ENDPOINT": endpoint})
    return synth(envs, tmp_path_factory.mktemp("synth-local-s3"))


class _Recorder(socketserver.ThreadingTCPServer):
    """An HTTP(S) proxy that answers nothing and remembers every request line."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _RecordHandler)


class _RecordHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(4096).decode(errors="replace").strip()
        self.server.requests.append(line)  # type: ignore[attr-defined]


@pytest.fixture
def proxy() -> Iterator[_Recorder]:
    """Every connection Terraform makes to a non-loopback host lands here."""
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _shell_env(proxy: _Recorder) -> dict[str, str]:
    """A user's shell with real-looking credentials, every outbound call via ``proxy``."""
    url = f"http://127.0.0.1:{proxy.server_address[1]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(REAL_LOOKING)
    env.update({"HTTPS_PROXY": url, "HTTP_PROXY": url, "NO_PROXY": "", "AWS_MAX_ATTEMPTS": "2"})
    return terraform_env(env)


def _terraform(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [terraform_binary(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _init_with_local_state(
    stack: dict[str, Any], workdir: Path, proxy: _Recorder
) -> dict[str, str]:
    """``terraform init`` of ``stack`` in ``workdir`` with its state on disk; the shell it used."""
    stack["terraform"]["backend"] = {"local": {"path": str(workdir / "t.tfstate")}}
    (workdir / "cdk.tf.json").write_text(json.dumps(stack))
    install_lock_file(workdir)
    env = _shell_env(proxy)
    assert _terraform(["init", "-input=false", "-no-color"], workdir, env).returncode == 0
    return env


# Every AWS API the provider calls for these stacks, written out: sts is the caller
# identity behind every data.aws_caller_identity, and an endpoint left out goes to AWS.
SERVICES = [
    "appautoscaling",
    "cloudwatch",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "iam",
    "kms",
    "logs",
    "resourcegroupstaggingapi",
    "s3",
    "secretsmanager",
    "ssm",
    "sts",
    "wafv2",
]


def test_every_stack_sends_every_service_to_the_emulator_with_fake_keys(local_s3, endpoint):
    for name in local_s3.stacks:
        (provider,) = local_s3.json(name)["provider"][AwsProvider.TF_RESOURCE_TYPE]
        assert provider["endpoints"] == [dict.fromkeys(SERVICES, endpoint)], name
        assert (provider["access_key"], provider["secret_key"]) == ("testing", "testing")
        assert provider["skip_metadata_api_check"] == "true"


def test_state_and_remote_state_reads_go_to_the_emulator_with_fake_keys(local_s3, endpoint):
    services = local_s3.json("dev-services")
    configs = [services["terraform"]["backend"]["s3"]]
    configs += [r["config"] for r in services["data"]["terraform_remote_state"].values()]
    for config in configs:
        assert config["endpoints"] == {"s3": endpoint, "sts": endpoint, "iam": endpoint}
        assert (config["access_key"], config["secret_key"]) == ("testing", "testing")
        assert config["skip_credentials_validation"] is True
        assert config["skip_requesting_account_id"] is True


def test_the_aws_target_carries_no_endpoint_and_no_keys(synthed):
    for name in synthed.stacks:
        stack = synthed.json(name)
        (provider,) = stack["provider"][AwsProvider.TF_RESOURCE_TYPE]
        backend = stack["terraform"]["backend"]["s3"]
        for config in (provider, backend):
            assert not {"endpoints", "access_key", "secret_key"} & set(config), name


@pytest.mark.parametrize(
    "value",
    [
        "https://ec2.ap-northeast-1.amazonaws.com",
        "http://10.0.0.5:4566",
        "http://127.0.0.1",
        "http://127.0.0.1:4566/path",
        "ftp://127.0.0.1:4566",
    ],
)
def test_an_emulator_endpoint_off_loopback_is_refused(value):
    with pytest.raises(ConfigError, match=r"EMULATOR_ENDPOINT=.*(127\.0\.0\.1|scheme)"):
        settings_from_env({"EMULATOR_ENDPOINT": value}, {"appVersion": "1.2.3"})


@pytest.mark.e2e
@pytest.mark.e2e_run("rehearse-dev")  # short: in the dev job only
def test_state_init_with_real_credentials_and_no_emulator_fails_before_any_aws_call(
    local_s3, endpoint, proxy, tmp_path
):
    # GIVEN the local foundation stack, real-looking credentials and no emulator
    stack_dir = tmp_path / "dev-foundation"
    shutil.copytree(local_s3.outdir / "stacks" / "dev-foundation", stack_dir)
    install_lock_file(stack_dir)
    # WHEN terraform initialises its S3 state
    result = _terraform(["init", "-input=false", "-no-color"], stack_dir, _shell_env(proxy))
    # THEN it fails on the emulator's address and nothing went anywhere else
    assert result.returncode != 0
    assert endpoint.removeprefix("http://") in result.stderr + result.stdout
    assert proxy.requests == []


@pytest.mark.e2e
@pytest.mark.e2e_run("rehearse-dev")  # short: in the dev job only
def test_plan_with_real_credentials_and_no_emulator_fails_before_any_aws_call(
    local_s3, endpoint, proxy, tmp_path
):
    # GIVEN the local foundation stack's provider (state kept on disk for this test)
    stack = local_s3.json("dev-foundation")
    env = _init_with_local_state(stack, tmp_path, proxy)
    # WHEN terraform plans with real-looking credentials in the environment
    result = _terraform(["plan", "-input=false", "-no-color", "-refresh=true"], tmp_path, env)
    # THEN the provider fails on the emulator's address and made no other call
    assert result.returncode == 1
    assert endpoint.removeprefix("http://") in result.stderr
    assert proxy.requests == []


@pytest.mark.e2e
@pytest.mark.e2e_run("rehearse-dev")  # short: in the dev job only
def test_the_proxy_does_see_a_stack_that_would_call_aws(synthed, proxy, tmp_path):
    # GIVEN the real-AWS foundation stack (no emulator settings), state on disk
    stack = synthed.json("dev-foundation")
    env = _init_with_local_state(stack, tmp_path, proxy)
    # WHEN it plans with the same shell (stopped once a call was seen: the SDK retries long)
    plan = subprocess.Popen(
        [terraform_binary(), "plan", "-input=false", "-no-color"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not proxy.requests and plan.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        plan.kill()
        plan.wait()
    # THEN its calls to AWS reach the recording proxy: the checks above can fail
    assert any("amazonaws.com" in line for line in proxy.requests), proxy.requests
