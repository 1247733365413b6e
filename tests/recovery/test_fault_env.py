"""The fault rehearsal's chains deploy the same stacks whatever the caller's shell holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.recovery.faults import Chain


def test_ci_settings_from_the_shell_do_not_reach_the_chains(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # GIVEN GitHub Actions' GITHUB_REPOSITORY and the CI bootstrap settings in the shell
    monkeypatch.setenv("GITHUB_REPOSITORY", "my-org/ecs-learn")
    monkeypatch.setenv("GITHUB_OIDC_PROVIDER", "existing")
    monkeypatch.setenv("BOOTSTRAP_STATE_BUCKET", "existing")
    # WHEN a chain builds the environment of its make commands
    env = Chain("c1", [], "dev", tmp_path)._env("mark")
    # THEN its bootstraps make only their own state bucket, as the leftover check expects
    assert not {"GITHUB_REPOSITORY", "GITHUB_OIDC_PROVIDER", "BOOTSTRAP_STATE_BUCKET"} & set(env)
    assert env["SERVE_APP"] == "0"
