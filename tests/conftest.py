"""Session fixtures: each distinct configuration is synthesized once per test run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import runs
from tests.synth import (
    DEFAULT_SETTINGS,
    SECRET_ARN,
    SECRETS_KEY_ARN,
    Synth,
    environments,
    synth,
)  # starts no node
from tools.perf import fast_synth

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
fast_synth.enable()  # what main.py does, before any provider import and before node starts


@pytest.fixture(scope="session")
def synthed(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev and prod, S3 state, images built by the images stack, version 1.2.3."""
    return synth(environments(DEFAULT_SETTINGS), tmp_path_factory.mktemp("synth-default"))


@pytest.fixture(scope="session")
def synth_dir(synthed: Synth) -> Path:
    """The cdktf.out directory of the default synth."""
    return synthed.outdir


@pytest.fixture(scope="session")
def synthed_tag_https(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev deploying existing tags, with an ACM certificate and a WAF web ACL on the public ALB."""
    (dev,) = environments({**DEFAULT_SETTINGS, "ENVS": "dev", "IMAGE_SOURCE": "tag"})
    cert = "arn:aws:acm:ap-northeast-1:123456789012:certificate/abc-123"
    waf = "arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/app/abc-123"
    dev = dev.with_(load_balancer={"certificate_arn": cert, "waf_acl_arn": waf})
    return synth([dev], tmp_path_factory.mktemp("synth-tag-https"))


@pytest.fixture(scope="session")
def synthed_ports(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev as ``synthed`` builds it, with both services on new ports (3001, 8081)."""
    (dev,) = environments({**DEFAULT_SETTINGS, "ENVS": "dev"})
    dev = dev.with_(frontend={"port": 3001}, backend={"port": 8081})
    return synth([dev], tmp_path_factory.mktemp("synth-ports"))


@pytest.fixture(scope="session")
def synthed_secrets(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev whose backend reads ``DB_PASSWORD`` from a secret encrypted with its own KMS key."""
    (dev,) = environments({**DEFAULT_SETTINGS, "ENVS": "dev", "IMAGE_SOURCE": "tag"})
    dev = dev.with_(
        backend={"secrets": {"DB_PASSWORD": SECRET_ARN}, "secrets_kms_key_arn": SECRETS_KEY_ARN}
    )
    return synth([dev], tmp_path_factory.mktemp("synth-secrets"))


@pytest.fixture(scope="session")
def synthed_ci(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev and prod with their ``<env>-bootstrap`` stacks and CI roles (``GITHUB_REPOSITORY``)."""
    envs = environments({**DEFAULT_SETTINGS, "GITHUB_REPOSITORY": "my-org/ecs-learn"})
    return synth(envs, tmp_path_factory.mktemp("synth-ci"), bootstrap=True)


@pytest.fixture(scope="session")
def synthed_local(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev for the local emulator target with on-disk state (offline work)."""
    envs = environments({"ENVS": "dev", "APP_VERSION": "1.2.3", "STATE_BACKEND": "local"})
    return synth(envs, tmp_path_factory.mktemp("synth-local"))


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS with fake credentials; no profile or endpoint from the shell
    (the emulator's or any other) can take a client elsewhere."""
    from moto import mock_aws

    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")] + ["AWS_PROFILE"]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """E2E_RUNS (tests/e2e/runs.py): skip each e2e test whose run is not selected."""
    e2e = {item.nodeid: item for item in items if item.get_closest_marker("e2e")}
    marks = {test: _run_of(item) for test, item in e2e.items()}
    try:
        reasons = runs.skips(marks) if e2e else {}
    except runs.InvalidSelection as exc:
        raise pytest.UsageError(str(exc)) from None
    for test, reason in reasons.items():
        e2e[test].add_marker(pytest.mark.skip(reason=reason))


def _run_of(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("e2e_run")
    return str(mark.args[0]) if mark else None
