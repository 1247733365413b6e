"""End to end against the emulator: the full rehearsal of dev and prod, and S3 state locking.

Slow (minutes) and needs Terraform, the provider mirror and node_modules;
run with ``pytest -m e2e -s`` to see the stage timings.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.deploy import commands
from tools.deploy.commands import ROOT, Workspace
from tools.deploy.procs import kill_tree
from tools.deploy.target import LocalTarget, local_target
from tools.emulator import inventory
from tools.emulator.emulator import Emulator, port_is_free
from tools.terraform import terraform_binary

STACK = "dev-foundation"
STATE_KEY = "dev/dev-foundation.tfstate"


ENVS = ("dev", "prod")


@pytest.fixture(scope="module")
def rehearsals(background_runs: dict[str, Any]) -> dict[str, tuple[Any, float, Path]]:
    """``python -m tools.rehearsal`` for dev and prod (started with the other long runs,
    each with its own emulator, port and workdir): env -> (result, seconds, workdir).
    Only the runs E2E_RUNS selected; a test of another is skipped (its ``e2e_run`` mark)."""
    return {
        env: background_runs[f"rehearse-{env}"].result()
        for env in ENVS
        if f"rehearse-{env}" in background_runs
    }


@pytest.fixture(scope="module")
def rehearsal(rehearsals: dict[str, tuple[Any, float, Path]]) -> tuple[Any, float, Path]:
    """The dev rehearsal."""
    return rehearsals["dev"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    "env", [pytest.param(env, marks=pytest.mark.e2e_run(f"rehearse-{env}")) for env in ENVS]
)
def test_full_rehearsal(rehearsals: dict[str, tuple[Any, float, Path]], env: str) -> None:
    proc, total, workdir = rehearsals[env]
    print(proc.stdout)
    # Its time is reported here; the budget is checked by `make bench` (tools/perf/bench.py).
    print(f"{env} rehearsal total: {total:.1f} s")
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert "REHEARSAL PASSED" in proc.stdout
    # Day 2 ran on the same state: release 2 under the probe, make status, the refused
    # rollback and, in dev's run (prod's is lean: tests/e2e/runs.py), the diff and the PR
    # plans before the first deploy, the release plan, the alarm rollback and the rollback.
    for stage in (
        "ok     apply release 0.2.0",
        "outage: ecs-learn-" + env + "-external:80 0.0 s, ecs-learn-" + env + "-internal:80 0.0 s",
        "ok     make status shows release 0.2.0",
        "ok     re-plan " + env + "-services (release 0.2.0)",
        "ok     roll back to 0.0.9 (never pushed) is refused, nothing changes",
    ):
        assert stage in proc.stdout
    for stage in (
        "ok     diff before the first deploy (deploy role)",
        "ok     PR plans before the first deploy (plan role)",
        "ok     plan summary of release 0.2.0",
        "ok     check release 0.3.0 was rolled back by ecs-learn-dev-backend-target-5xx",
        "ok     check every service runs the rolled-back task definition",
    ):
        assert (stage in proc.stdout) == (env == "dev"), stage
    # Every app-stack command ran as a CI role, and IAM refused only what must be refused.
    assert f"ok     apply {env}-foundation + {env}-services (deploy role)" in proc.stdout
    assert "ok     drift plans (plan role) + re-plan of the bootstrap: no changes" in proc.stdout
    evaluated = re.search(
        r"IAM: (\d+) role-session requests evaluated; 3 denied as the checks above require, "
        r"0 denied otherwise",
        proc.stdout,
    )
    assert evaluated and int(evaluated[1]) > 500, proc.stdout[-3000:]
    if env == "prod":  # protected ALBs: refused first, nothing lost, then torn down on purpose
        assert "the destroy guard refused" in proc.stdout
        assert "ok     the refused destroy lost nothing" in proc.stdout
    # The emulator is gone: port free, no record, no process of this workdir.
    port = int(re.search(r"http://127\.0\.0\.1:(\d+)", proc.stdout)[1])  # type: ignore[index]
    assert port_is_free(port)
    assert not (workdir / "emulator.json").exists()
    assert Emulator.find(workdir) is None


def _wait_for_object(s3: Any, bucket: str, key: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            time.sleep(0.2)
    raise AssertionError(f"s3://{bucket}/{key} did not appear within {timeout} s")


@pytest.fixture
def foundation(
    tmp_path: Path, background_runs: dict[str, Any]
) -> Iterator[tuple[LocalTarget, Workspace, dict[str, str]]]:
    """dev synthesized for a fresh emulator that has the (versioned) state bucket.

    It asks for the long runs so that they have started: this test runs first, beside them
    (tests/e2e/conftest.py), instead of after them.
    """
    ws = Workspace(tmp_path)
    emulator = Emulator.start(tmp_path)
    try:
        target = local_target("dev").at(emulator.endpoint)
        env = target.child_env()
        assert commands.synth(ws, env, log=ws.log("synth")).returncode == 0
        # The rehearsal creates the bucket with the bootstrap stack; boto3 keeps this test short.
        s3 = inventory.client("s3", target.endpoint, target.region)
        s3.create_bucket(
            Bucket=target.state_bucket,
            CreateBucketConfiguration={"LocationConstraint": target.region},
        )
        s3.put_bucket_versioning(
            Bucket=target.state_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        init = ["init", "-input=false", "-no-color"]
        assert commands.terraform(ws, STACK, init, env, log=ws.log("init")).returncode == 0
        yield target, ws, env
    finally:
        emulator.stop()


@pytest.mark.e2e
# It needs no long run: it runs in the dev rehearsal's job (E2E_RUNS), so in exactly one.
@pytest.mark.e2e_run("rehearse-dev")
def test_second_apply_is_refused_while_the_first_holds_the_lock(
    foundation: tuple[LocalTarget, Workspace, dict[str, str]],
) -> None:
    target, ws, env = foundation
    s3 = inventory.client("s3", target.endpoint, target.region)
    first_log = ws.log("first-apply")
    with first_log.open("w") as out:
        first = subprocess.Popen(
            [terraform_binary(), "apply", "-auto-approve", "-input=false", "-no-color"],
            cwd=ws.stack_dir(STACK),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # The first apply holds the S3 lockfile while it creates the VPC, ALBs, ... (~1 min).
        lock = _wait_for_object(s3, target.state_bucket, f"{STATE_KEY}.tflock", timeout=120)
        assert lock["Operation"] == "OperationTypeApply"

        args = ["apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s"]
        second = commands.terraform(ws, STACK, args, env, log=ws.log("second-apply"))
        print(second.output)
        assert second.returncode == 1
        assert "Error acquiring the state lock" in second.output
        assert lock["ID"] in second.output  # refused because of the first one's lock
        assert "Creating..." not in second.output
        assert first.poll() is None, "the first apply must still hold the lock"

        assert first.wait(timeout=600) == 0, first_log.read_text()[-3000:]
    finally:
        if first.poll() is None:
            kill_tree(first.pid)
            first.wait()

    # The lock is released and the state is whole: every resource, nothing left to do.
    listed = s3.list_objects_v2(Bucket=target.state_bucket, Prefix=STATE_KEY)
    assert [o["Key"] for o in listed.get("Contents", [])] == [STATE_KEY]
    state = json.loads(s3.get_object(Bucket=target.state_bucket, Key=STATE_KEY)["Body"].read())
    synthesized = json.loads((ws.stack_dir(STACK) / "cdk.tf.json").read_text())
    expected = sum(len(blocks) for blocks in synthesized["resource"].values())
    assert len([r for r in state["resources"] if r["mode"] == "managed"]) == expected
    replan = commands.replan(ws, STACK, env, ws.log("replan"))
    assert replan.returncode == 0, commands.plan_changes(replan.output)


@pytest.mark.e2e
@pytest.mark.e2e_run("rehearse-dev")
def test_checkov_plan_scan_of_rehearsed_stacks(rehearsal: tuple[Any, float, Path]) -> None:
    # GIVEN the plans the rehearsal kept (container definitions resolved, unlike cdk.tf.json)
    proc, _, workdir = rehearsal
    assert proc.returncode == 0, proc.stdout[-6000:]  # stderr is merged into stdout
    plans = {p.stem: p for p in (workdir / "plans").glob("*.json")}
    assert set(plans) == {"dev-bootstrap", "dev-foundation", "dev-services"}
    # WHEN the security gate scans them beside the synthesized stacks
    args = [f"--plan={stack}={path}" for stack, path in sorted(plans.items())]
    scan = subprocess.run(
        [sys.executable, "-m", "tools.review.security", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    # THEN nothing is found beyond the reasoned suppressions
    print(scan.stdout)
    assert scan.returncode == 0, scan.stdout + scan.stderr


@pytest.mark.e2e
@pytest.mark.e2e_run("rehearse-dev")
def test_plan_summary_reads_the_rehearsed_plans(rehearsal: tuple[Any, float, Path]) -> None:
    # GIVEN the zero-change re-plans of the rehearsal, as `terraform show -json` wrote them
    from tools.review.plan_summary import changes, counts, load_plan, summarize

    proc, _, workdir = rehearsal
    assert proc.returncode == 0, proc.stdout[-6000:]  # stderr is merged into stdout
    plan = load_plan(workdir / "plans" / "dev-foundation.json")
    # WHEN it is summarized THEN every resource is a no-op and the summary says so
    tally = counts(changes(plan))
    synthesized = json.loads((workdir / "cdktf.out/stacks/dev-foundation/cdk.tf.json").read_text())
    assert tally["no-op"] == sum(len(blocks) for blocks in synthesized["resource"].values()) > 40
    assert sum(v for k, v in tally.items() if k not in ("no-op", "read")) == 0
    assert "No changes" in summarize(plan, "dev-foundation")
