"""Terraform itself validates what we synthesize, offline, from the provider mirror."""

import json
import os
from pathlib import Path

import pytest

from tools.terraform import TerraformSetupError, find_mirror, terraform_binary, validate_many
from tools.validate import unmirrored_providers

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


def test_images_stack_is_the_only_one_needing_an_unmirrored_provider(synthed):
    mirror = find_mirror()
    needs = {name: unmirrored_providers(synthed.json(name), mirror) for name in synthed.stacks}
    assert {name for name, missing in needs.items() if missing} == {"dev-images", "prod-images"}
    assert needs["dev-images"] == ["kreuzwerker/docker 3.6.2"]


def test_missing_mirror_fails_loudly(tmp_path):
    with pytest.raises(TerraformSetupError, match=rf"TF_PROVIDER_MIRROR='{tmp_path}' has no"):
        find_mirror({"TF_PROVIDER_MIRROR": str(tmp_path)})


def test_no_mirror_anywhere_fails_loudly(monkeypatch):
    monkeypatch.setattr("tools.terraform.MIRROR_CANDIDATES", (Path("/nonexistent/mirror"),))
    with pytest.raises(TerraformSetupError, match=r"no filesystem mirror of registry\.terraform"):
        find_mirror({})


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
