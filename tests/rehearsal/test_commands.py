"""tools.deploy.commands: ordering, error extraction, outputs, and the synth itself."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tools.deploy import commands
from tools.deploy.commands import Workspace

CDKTF_FAILURE = """\
\x1b[2K\x1b[1Adev-foundation  Initializing the backend...
dev-foundation  \x1b[31mError: Error refreshing state: Unable to access object "dev/x.tfstate"
                in S3 bucket "b": StatusCode: 403

0 Stacks deploying     0 Stacks done     2 Stacks waiting
Error: terraform init failed with exit code 1
"""


def test_terraform_errors_picks_error_blocks_without_colour() -> None:
    text = commands.terraform_errors(CDKTF_FAILURE)
    assert (
        text.splitlines()[0]
        == 'dev-foundation  Error: Error refreshing state: Unable to access object "dev/x.tfstate"'
    )
    assert "StatusCode: 403" in text
    assert "terraform init failed" in text
    assert "\x1b" not in text and "Initializing" not in text


def test_terraform_errors_falls_back_to_the_last_lines() -> None:
    text = "\n".join(f"line {i}" for i in range(100))
    assert commands.terraform_errors(text).splitlines() == [f"line {i}" for i in range(70, 100)]


def test_plan_changes_keeps_change_lines() -> None:
    plan = """\
Refreshing state...
  # aws_ecs_service.svc will be updated in-place
  ~ resource "aws_ecs_service" "svc" {
      + availability_zone_rebalancing = "DISABLED"
        # (13 unchanged attributes hidden)
    }
Plan: 0 to add, 1 to change, 0 to destroy.
"""
    kept = commands.plan_changes(plan).splitlines()
    assert kept[0] == "# aws_ecs_service.svc will be updated in-place"
    assert kept[-1] == "Plan: 0 to add, 1 to change, 0 to destroy."
    assert not any("Refreshing" in line for line in kept)


def test_in_dependency_order() -> None:
    deps = {"dev-services": ["dev-foundation", "dev-images"], "dev-images": ["dev-foundation"]}
    names = ["dev-services", "dev-images", "dev-foundation"]
    assert commands.in_dependency_order(deps, names) == [
        "dev-foundation",
        "dev-images",
        "dev-services",
    ]
    # Dependencies outside the selection are not pulled in.
    assert commands.in_dependency_order(deps, ["dev-services"]) == ["dev-services"]


def test_in_dependency_order_refuses_cycles() -> None:
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        commands.in_dependency_order({"a": ["b"], "b": ["a"]}, ["a", "b"])


def test_manifest_and_outputs(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.outdir.mkdir()
    manifest = {
        "stacks": {"dev-services": {"dependencies": ["dev-foundation"]}, "dev-foundation": {}}
    }
    (ws.outdir / "manifest.json").write_text(json.dumps(manifest))
    assert commands.manifest_stacks(ws) == {
        "dev-services": ["dev-foundation"],
        "dev-foundation": [],
    }
    ws.outputs_file.write_text(json.dumps({"dev-foundation": {"cluster_name": "ecs-learn-dev"}}))
    assert commands.format_outputs(ws.outputs_file).splitlines() == [
        "outputs:",
        "  dev-foundation.cluster_name = ecs-learn-dev",
    ]
    assert "no outputs" in commands.format_outputs(tmp_path / "missing.json")


def test_workspace_layout(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    assert ws.outdir == tmp_path / "cdktf.out"
    assert ws.stack_dir("dev-foundation") == tmp_path / "cdktf.out" / "stacks" / "dev-foundation"
    assert ws.log("synth") == tmp_path / "logs" / "synth.log"
    assert Workspace(tmp_path, out=tmp_path / "elsewhere").outdir == tmp_path / "elsewhere"


def test_a_cdktf_run_aborted_by_a_signal_is_explained() -> None:
    # GIVEN the end of a cdktf deploy that received SIGTERM while prod-foundation was planning
    text = (
        "\x1b[2K\x1b[1A\x1b[2K\x1b[G\n\n1 Stack deploying     0 Stacks done     1 Stack waiting\n"
        "\x1b[2K\x1b[1A\x1b[2K\x1b[G\n\n0 Stacks deploying     1 Stack done     1 Stack waiting\n"
        "AbortError: The operation was aborted\n"
    )
    # WHEN its error is extracted THEN it says what happened first, then the output's tail
    lines = commands.terraform_errors(text).splitlines()
    assert lines[0].startswith("cdktf was interrupted: it received SIGINT, SIGTERM or SIGQUIT")
    assert "nothing timed out" in lines[0]
    assert lines[-1] == "(aborted)"


def test_a_plain_failure_gets_no_interruption_note() -> None:
    assert "interrupted" not in commands.terraform_errors(CDKTF_FAILURE)


def test_terraform_errors_keep_the_reason_printed_after_the_source_snippet() -> None:
    # GIVEN a provider error whose reason follows the snippet of cdk.tf.json
    text = (
        "prod-foundation  Error: creating VPC Security Group Rule\n"
        "\n"
        "                   with aws_vpc_security_group_egress_rule.r (endpoints/r),\n"
        "                   on cdk.tf.json line 1115, in resource.x.r:\n"
        "                 1115:       },\n"
        "\n"
        "                 operation error EC2: AuthorizeSecurityGroupEgress, api error\n"
        "                 InvalidPermission.Duplicate: The specified rule already exists\n"
        "\n"
        "\n"
        "0 Stacks deploying     1 Stack done     1 Stack waiting\n"
    )
    # WHEN its error is extracted THEN the reason is kept and the progress line is not
    lines = commands.terraform_errors(text).splitlines()
    assert lines[-1].strip() == "InvalidPermission.Duplicate: The specified rule already exists"
    assert not any("Stacks deploying" in line for line in lines)


def test_a_kept_plan_holds_no_provider_credentials() -> None:
    # GIVEN a plan whose provider carries an emulator session's keys
    plan = {
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "expressions": {
                        "region": {"constant_value": "ap-northeast-1"},
                        "access_key": {"constant_value": "ASIAEXAMPLEEXAMPLE01"},
                        "secret_key": {"constant_value": "s"},
                        "token": {"constant_value": "t"},
                    },
                }
            }
        }
    }
    # WHEN it is prepared for keeping THEN the keys are gone and the rest is intact
    expressions = commands.without_credentials(plan)["configuration"]["provider_config"]["aws"][
        "expressions"
    ]
    assert expressions == {"region": {"constant_value": "ap-northeast-1"}}


@pytest.mark.parametrize(("alone", "flag"), [(False, False), (True, True)])
def test_a_stack_deployed_alone_leaves_its_upstreams_as_they_are(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, alone: bool, flag: bool
) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(commands, "_cdktf", lambda ws, args, *a, **k: seen.append(args))
    commands.deploy(
        Workspace(tmp_path), ["dev-services"], {}, auto_approve=True, without_upstreams=alone
    )
    assert ("--ignore-missing-stack-dependencies" in seen[0]) is flag
    assert seen[0][:2] == ["deploy", "dev-services"]


def test_synth_writes_exactly_what_cdktf_synth_writes(tmp_path: Path) -> None:
    # GIVEN the same settings (dev, the emulator target)
    env = {**os.environ, "ENVS": "dev", "TARGET": "local", "STATE_BACKEND": "s3"}
    cli_out = tmp_path / "cli"
    # WHEN the workspace synth runs the app directly and the cdktf CLI synthesizes beside it
    cli = subprocess.run(
        [*commands.CDKTF, "synth", "--output", str(cli_out)],
        cwd=commands.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    ws = Workspace(tmp_path / "ws")
    result = commands.synth(ws, env, log=tmp_path / "synth.log")
    # THEN both succeed and write the same manifest and stack files, byte for byte
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert result.returncode == 0, result.output
    ours = sorted(p.relative_to(ws.outdir) for p in ws.outdir.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(cli_out) for p in cli_out.rglob("*") if p.is_file())
    assert ours == theirs and Path("manifest.json") in ours
    for rel in ours:
        assert (ws.outdir / rel).read_bytes() == (cli_out / rel).read_bytes(), rel
