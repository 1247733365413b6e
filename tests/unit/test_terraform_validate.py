"""Terraform itself validates what we synthesize, offline, from the provider mirror."""

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from tools.review.validate import unmirrored_providers
from tools.terraform import (
    LOCK_FILE,
    TerraformSetupError,
    cli_config_text,
    find_mirror,
    install_lock_file,
    terraform_binary,
    validate_many,
    write_cli_config,
)

AWS_ONLY_STACKS = ["dev-foundation", "dev-services", "prod-foundation", "prod-services"]


@pytest.fixture(scope="module")
def reports(synthed, synthed_tag_https):
    """terraform validate of every aws-only stack of both synths, run in parallel once."""
    dirs = {
        **{f"default/{s}": synthed.outdir / "stacks" / s for s in AWS_ONLY_STACKS},
        **{f"https/{s}": synthed_tag_https.outdir / "stacks" / s for s in AWS_ONLY_STACKS[:2]},
    }
    results = validate_many(list(dirs.values()))
    return {name: results[path] for name, path in dirs.items()}


@pytest.mark.parametrize("stack", AWS_ONLY_STACKS)
def test_terraform_validate_passes(reports, stack):
    report = reports[f"default/{stack}"]
    assert report["valid"] is True, report["diagnostics"]
    assert report["error_count"] == 0


@pytest.mark.parametrize("stack", AWS_ONLY_STACKS[:2])
def test_https_and_waf_variant_validates(reports, stack):
    report = reports[f"https/{stack}"]
    assert report["valid"] is True, report["diagnostics"]


def test_validating_together_reports_an_error_against_its_own_stack_only(tmp_path):
    # GIVEN two stacks of the same name (as two synths give) and a third with a typo
    good = [_provider_only_stack(tmp_path / n / "dev-services") for n in ("a", "b")]
    bad = _provider_only_stack(tmp_path / "c" / "dev-foundation")
    doc = json.loads((bad / "cdk.tf.json").read_text())
    doc["resource"] = {"aws_vpc": {"main": {"cidr_blok": "10.0.0.0/16"}}}
    (bad / "cdk.tf.json").write_text(json.dumps(doc))
    # WHEN they are validated in one terraform run
    reports = validate_many([*good, bad])
    # THEN only the bad one is invalid, and its error names its file and the argument
    assert [reports[d]["valid"] for d in (*good, bad)] == [True, True, False]
    (error,) = reports[bad]["diagnostics"]
    assert error["range"]["filename"] == "cdk.tf.json"  # as terraform validate in the stack says
    assert "cidr_blok" in error["detail"]


def test_images_stack_is_the_only_one_needing_an_unmirrored_provider(synthed):
    mirror = find_mirror()
    needs = {name: unmirrored_providers(synthed.json(name), mirror) for name in synthed.stacks}
    assert {name for name, missing in needs.items() if missing} == {"dev-images", "prod-images"}
    assert needs["dev-images"] == ["kreuzwerker/docker 3.6.2"]


def test_missing_mirror_fails_loudly(tmp_path):
    with pytest.raises(TerraformSetupError, match=rf"TF_PROVIDER_MIRROR='{tmp_path}' has no"):
        find_mirror({"TF_PROVIDER_MIRROR": str(tmp_path)})


def test_no_mirror_anywhere_means_the_registry(monkeypatch):
    monkeypatch.setattr("tools.terraform.MIRROR_CANDIDATES", (Path("/nonexistent/mirror"),))
    assert find_mirror({}) is None
    text = cli_config_text(None)
    assert "direct {}" in text
    assert "filesystem_mirror" not in text


def _provider_only_stack(tmp_path: Path) -> Path:
    """A stack that needs hashicorp/aws 5.100.0 as ours do, with the committed lock file."""
    stack = {"terraform": {"required_providers": {"aws": {"source": "aws", "version": "5.100.0"}}}}
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cdk.tf.json").write_text(json.dumps(stack))
    install_lock_file(tmp_path)
    return tmp_path


def _init(stack_dir: Path, cli_config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config)}
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    return subprocess.run(
        [terraform_binary(), "init", "-backend=false", "-input=false", "-no-color"],
        cwd=stack_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_mirror_init_installs_the_locked_provider_from_the_registry(tmp_path):
    # GIVEN the CLI config written when no mirror exists
    stack_dir = _provider_only_stack(tmp_path / "stack")
    cli_config = write_cli_config(None, tmp_path / "terraform.rc")
    # WHEN terraform init runs
    result = _init(stack_dir, cli_config)
    # THEN it asks the registry (unreachable on offline machines) or installs from it
    if result.returncode != 0:
        assert "registry.terraform.io" in result.stderr
    else:
        assert (stack_dir / ".terraform/providers/registry.terraform.io/hashicorp/aws").is_dir()
    assert (stack_dir / LOCK_FILE.name).read_text() == LOCK_FILE.read_text()


def test_the_mirror_matches_the_committed_lock(tmp_path):
    # GIVEN the CLI config with the mirror and the committed lock file
    stack_dir = _provider_only_stack(tmp_path / "stack")
    cli_config = write_cli_config(find_mirror(), tmp_path / "terraform.rc")
    # WHEN terraform init installs from the mirror
    result = _init(stack_dir, cli_config)
    # THEN the mirror's package has a hash the lock lists, and the lock is unchanged
    assert result.returncode == 0, result.stderr
    assert (stack_dir / LOCK_FILE.name).read_text() == LOCK_FILE.read_text()


def test_the_lock_pins_aws_with_hashes_for_every_platform():
    text = LOCK_FILE.read_text()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in text
    assert 'version     = "5.100.0"' in text
    # One zh: hash per published package (linux, darwin, windows, freebsd builds).
    assert text.count('"zh:') >= 14


def test_missing_terraform_fails_loudly(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(TerraformSetupError, match="terraform is not on PATH"):
        terraform_binary()


def test_cli_config_points_at_the_mirror_for_aws_only():
    from tools.terraform import terraform_env

    env = terraform_env(dict(os.environ))
    text = Path(env["TF_CLI_CONFIG_FILE"]).read_text()
    assert f"path    = {json.dumps(str(find_mirror()))}" in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text


def test_parallel_runs_never_read_a_half_written_cli_config(tmp_path):
    # GIVEN writers switching the config between mirror and registry, as parallel runs may
    path = tmp_path / "terraform.rc"
    texts = {cli_config_text(find_mirror()), cli_config_text(None)}
    torn: list[str] = []

    def write() -> None:
        for i in range(200):
            write_cli_config(find_mirror() if i % 2 else None, path)

    def read() -> None:
        for _ in range(2000):
            if path.exists() and (text := path.read_text()) not in texts:
                torn.append(text)

    # WHEN they run beside readers
    threads = [threading.Thread(target=f) for f in (write, write, read, read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN every read saw one whole config (an empty one would send Terraform to the registry)
    assert torn == []
