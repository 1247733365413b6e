"""``make rehearse``: the whole deploy, once, against a private emulator.

    python -m tools.rehearsal [--env dev] [--lean]

Emulator up, synth, apply the bootstrap, diff and plan on the empty state, apply the app
stacks (as the CI roles, ``tools.rehearsal.ci_roles``), check the services, re-plan every
stack to zero changes, day 2 (``tools.rehearsal.release``), the destroy guard, destroy,
check that the emulator holds nothing, emulator down. Exit 0 only when every stage held;
a failing stage prints Terraform's error and its log's path; the emulator always stops.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from config.naming import stack_name
from tools.deploy import commands, protection, task_definitions
from tools.deploy.cli import diff_stacks, not_deployed_upstreams
from tools.deploy.commands import Workspace
from tools.deploy.procs import CommandTimeout, take_interrupts
from tools.deploy.target import LocalTarget, TargetError, local_target
from tools.emulator import inventory, replay
from tools.emulator.emulator import LOG_FILE, Emulator
from tools.rehearsal import ci_roles, release
from tools.rehearsal.stages import (
    Clock,
    Replan,
    StageFailed,
    cdktf_run,
    check,
    check_services,
    each_stack,
    replan_at_once,
)

DEFAULT_WORKDIR = commands.ROOT / ".rehearsal" / "rehearse"


def _reset(workdir: Path) -> None:
    """Stop an emulator a crashed earlier run left in ``workdir``, then empty it."""
    stale = Emulator.find(workdir)
    if stale is not None:
        print(f"stopping a stale emulator (pid {stale.pid}) left in {workdir}")
        stale.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def _diff_before_first_deploy(
    apps: list[str], ws: Workspace, roles: ci_roles.Roles, clock: Clock
) -> None:
    """At once: `make diff` on an empty state (the first stack plans, its dependents say
    why not), as the deploy role; and the pull-request workflow's plans, as the plan role."""

    def diff_stage() -> None:
        name = "diff before the first deploy (deploy role)"
        with clock.stage(name):
            ws.logs.mkdir(parents=True, exist_ok=True)
            result = diff_stacks(ws, apps, roles.deploy_env, log_dir=ws.logs)
            if result.failed:
                failed = result.failed
                raise StageFailed(name, f"cdktf diff failed for {failed} (logs in {ws.logs})")
            if list(result.skipped) != apps[1:]:
                skipped = result.skipped
                raise StageFailed(name, f"expected {apps[1:]} to be skipped, got {skipped}")

    def pr_plans() -> None:
        expected = {apps[0]: "changes", **dict.fromkeys(apps[1:], "skipped")}
        name = "PR plans before the first deploy (plan role)"
        ci_roles.plan_role_plans(name, ws, roles, expected, clock)

    ci_roles.plan_copy(ws, roles)  # before cdktf diff initialises the stacks it copies
    each_stack([diff_stage, pr_plans], lambda work: work())


def _protection_off_if_refused(
    target: LocalTarget, ws: Workspace, env: dict[str, str], clock: Clock
) -> dict[str, str]:
    """The destroy guard, as ``make destroy`` runs it; when it refuses (prod's protected
    ALBs), the deliberate teardown: re-synth and apply the foundation with protection off.

    Returns the environment the destroy must run with.
    """
    foundation = stack_name(target.env_name, "foundation")
    stack_file = ws.stack_dir(foundation) / "cdk.tf.json"
    try:
        protection.check_destroy_allowed(target.client("elbv2"), stack_file, target.env_name)
        return env
    except protection.ProtectedResources as exc:
        print(f"         the destroy guard refused, as make destroy would:\n         {exc}")
    name = "the refused destroy lost nothing: every state lists all its resources"
    with clock.stage(name):
        for stack in target.app_stacks(ws):
            lost = release.missing_from_state(target, ws, stack)
            if lost:
                raise StageFailed(name, f"{stack}'s state lacks {lost}")
            print(f"         {stack}: every synthesized resource is in the state")
    env = {**env, "DELETION_PROTECTION": "off"}
    name = f"deliberate teardown: apply {foundation} with deletion protection off"
    with clock.stage(name):
        log = ws.log("synth-protection-off")
        check(name, commands.synth(ws, env, log=log), log)
        cdktf_run(name, commands.deploy, ws, [foundation], env, "apply-protection-off")
        try:
            protection.check_destroy_allowed(target.client("elbv2"), stack_file, target.env_name)
        except protection.ProtectedResources as exc:
            raise StageFailed(name, f"still protected after the apply: {exc}") from None
    return env


def _apply_andcheck(
    target: LocalTarget,
    ws: Workspace,
    env: dict[str, str],
    clock: Clock,
    *,
    lean: bool = False,
) -> None:
    boot, apps = target.bootstrap_stack, target.app_stacks(ws)
    name = f"apply {boot} (admin keys, as a person bootstraps)"
    with clock.stage(name):
        cdktf_run(name, commands.deploy, ws, [boot], env, f"apply-{boot}")
    with clock.stage("CI roles: assume the deploy and plan roles; the app stacks act as deploy"):
        roles = ci_roles.start(target, ws, env)
        env = roles.deploy_env
        ci_roles.act_as_deploy_role(ws, apps, roles)
    if lean:
        print(
            "         make diff and the PR plans before the first deploy: not in this run (--lean)"
        )
    else:
        _diff_before_first_deploy(apps, ws, roles, clock)
    name = f"apply {' + '.join(apps)} (deploy role)"
    with clock.stage(name):
        cdktf_run(name, commands.deploy, ws, apps, env, f"apply-{'-'.join(apps)}")
    print(commands.format_outputs(ws.outputs_file))
    name = "diff sees every upstream deployed"
    with clock.stage(name):
        deps = commands.manifest_stacks(ws)
        waiting = {s: not_deployed_upstreams(ws, s, env, deps) for s in apps}
        if any(waiting.values()):
            raise StageFailed(name, f"after the deploy, stacks still wait for {waiting}")
    # The CI roles hold no KMS grant for the state: that holds while Terraform writes it
    # with SSE-S3 (the backend's `encrypt = true`), whatever the bucket's default.
    name = "check every state object is SSE-S3, as the backend's encrypt = true asks"
    with clock.stage(name):
        s3 = target.client("s3")
        for stack in apps:
            key = f"{target.env_name}/{stack}.tfstate"
            head = s3.head_object(Bucket=target.state_bucket, Key=key)
            found = head.get("ServerSideEncryption")
            if found != "AES256":
                raise StageFailed(name, f"s3://{target.state_bucket}/{key}: {found}, not AES256")
    services = stack_name(target.env_name, "services")
    if services in apps:
        check_services(
            target, ws, services, clock, "check every service runs its new task definition"
        )
    # The drift workflow's plans of the app stacks, as the plan role (no lock), and the
    # bootstrap's re-plan, at once. Day 2 re-plans and keeps plans: these would be overwritten.
    plan_ws = ci_roles.plan_copy(ws, roles)
    keep = services not in apps
    replan_at_once(
        [Replan(boot, ws, env, keep_plan=keep)]
        + [Replan(s, plan_ws, roles.plan_env, lock=False, label=" (plan role)") for s in apps],
        clock,
        "drift plans (plan role) + re-plan of the bootstrap: no changes, at once",
    )
    name = "CI roles: what each must not do is refused"
    with clock.stage(name):
        try:
            lines, expected = ci_roles.check_refusals(target, ws, roles)
        except ci_roles.RoleCheckFailed as exc:
            raise StageFailed(name, str(exc)) from None
        for line in lines:
            print(f"         {line}")
    if services in apps:
        # Day 2 on the same state: a second release, a rollback, a refused rollback.
        env = release.day_two(target, ws, env, roles, clock, lean=lean)
    env = _protection_off_if_refused(target, ws, env, clock)
    name = f"destroy {' + '.join(reversed(apps))} (deploy role)"
    with clock.stage(name):
        cdktf_run(name, commands.destroy, ws, apps, env, "destroy-apps")
        if services in apps:  # as make destroy does
            stack_file = ws.stack_dir(services) / "cdk.tf.json"
            ecs = inventory.client("ecs", target.endpoint, target.region, roles.deploy)
            for line in task_definitions.sweep_after_destroy(ecs, stack_file):
                print(f"         {line}")
        if release.delete_secret(target):
            print(f"         deleted the secret {release.secret_name(target.env_name)} (boto3)")
    name = "IAM: every role-session request was allowed, but for the refusals above"
    with clock.stage(name):
        report, unexpected = ci_roles.iam_report(ws, expected=expected)
        print(f"         {report}")
        if unexpected:
            raise StageFailed(name, f"{report}:\n  " + "\n  ".join(ci_roles.denials(ws)))
    name = f"empty state bucket + destroy {boot}"
    with clock.stage(name):
        removed = inventory.empty_bucket(target.endpoint, target.region, target.state_bucket)
        print(f"         removed {removed} state object versions from {target.state_bucket}")
        cdktf_run(name, commands.destroy, ws, [boot], env, "destroy-bootstrap")
    name = "check the emulator holds nothing"
    with clock.stage(name):
        left = inventory.leftovers(target.endpoint, target.region)
        if left:
            raise StageFailed(name, "left over after destroy:\n  " + "\n  ".join(left))


def rehearse(env_name: str, workdir: Path, *, lean: bool = False) -> int:
    """Run every stage; 0 when all held, 1 otherwise (2 for bad input)."""
    clock = Clock()
    ws = Workspace(workdir)
    emulator: Emulator | None = None
    failed: StageFailed | None = None
    try:
        target = local_target(env_name)  # validates --env and the settings first
        _reset(workdir)
        with clock.stage("emulator up"):
            emulator = Emulator.start(workdir)
            print(f"         {emulator.endpoint} (pid {emulator.pid})")
        target = target.at(emulator.endpoint)
        # Release 1 is FIRST with the environments as configured; day 2 changes both.
        env = {k: v for k, v in target.child_env().items() if k != "CONFIG_OVERRIDES"}
        env["APP_VERSION"] = release.FIRST
        # The bootstrap then creates the state bucket, the GitHub OIDC provider and the CI
        # roles, whatever the shell says.
        env["GITHUB_REPOSITORY"] = ci_roles.REPOSITORY
        env["GITHUB_OIDC_PROVIDER"] = env["BOOTSTRAP_STATE_BUCKET"] = "create"
        with clock.stage("synth"):
            log = ws.log("synth")
            check("synth", commands.synth(ws, env, log=log), log)
        _apply_andcheck(target, ws, env, clock, lean=lean)
    except TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StageFailed as exc:
        failed = exc
    except CommandTimeout as exc:
        failed = StageFailed("timeout", str(exc))
    finally:
        if emulator is not None:
            with clock.stage("emulator down"):
                emulator.stop()
    print(f"total {clock.elapsed():.1f} s")
    replayed = replay.count(workdir / LOG_FILE)
    if replayed:
        print(f"emulator: {replayed} SDK retries answered with their first attempt's response")
    if failed is not None:
        print(f"\nREHEARSAL FAILED at stage: {failed.stage}\n{failed.detail}", file=sys.stderr)
        return 1
    print(json.dumps({"timings_s": {k: round(v, 1) for k, v in clock.timings}}))
    print("REHEARSAL PASSED")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.rehearsal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--env", default="dev", help="environment to rehearse (default: dev)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=argparse.SUPPRESS)
    parser.add_argument(
        "--lean",
        action="store_true",
        help="leave out what the dev run rehearses on the same code paths: make diff and the "
        "PR plans before the first deploy, the release's plan summary, the alarm rollback and "
        "the rollback",
    )
    args = parser.parse_args(argv)
    take_interrupts()  # SIGTERM runs the finally blocks: the emulator stops, children die
    return rehearse(args.env, args.workdir.resolve(), lean=args.lean)


if __name__ == "__main__":
    sys.exit(main())
