"""``make rehearse-faults``: crash deploys on purpose, recover with the documented commands.

    python -m tools.recovery.faults [--env dev] [--workdir .rehearsal/faults] [--only CHAIN]

Chains of fault points run at once, each with an emulator and a workdir of its own. At each
point the command (``python -m tools.deploy``, as ``make`` runs it) gets SIGKILL (every
process it started, as a crash) or SIGINT (its process group, as Ctrl-C) once the stack's
state lock is taken; ``make recover`` and the command again follow. docs/recovery.md lists
the chains and what each checks; a table sums up the run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from config.naming import stack_name, workload_boundary_name
from tools import processes
from tools.deploy import commands
from tools.deploy.procs import take_interrupts
from tools.deploy.target import local_target
from tools.emulator import inventory
from tools.emulator.emulator import Emulator
from tools.recovery import orphans, recover
from tools.recovery.context import Context, local_context
from tools.recovery.locks import list_locks

DEFAULT_WORKDIR = commands.ROOT / ".rehearsal" / "faults"
FAULT_MARK = "FAULT_REHEARSAL_RUN"
COMMAND_TIMEOUT_S = 1500


@dataclass(frozen=True)
class Fault:
    """Deliver ``sig`` to ``command`` ``delay`` s after ``stack``'s lock (and ``after``) appear."""

    name: str
    command: str  # deploy | destroy
    stack: str  # foundation | services
    sig: signal.Signals
    delay: float = 0.0
    after: str = ""  # a regex the command's output must show first
    check_hint: bool = False  # the command, run again, names `make recover` and nothing else
    recover_twice: bool = False  # and a second `make recover` changes nothing
    when: str = "locked"  # or "unlocked": after the stack's lock came and went


CHAINS: dict[str, list[Fault]] = {
    # Kill points in the real apply order: each chain's next deploy goes on from
    # where the recovery left it, so one environment passes several of them. The
    # chains are balanced to end at about the same time.
    "early": [
        Fault(
            "SIGKILL foundation apply, VPC creating",
            "deploy",
            "foundation",
            signal.SIGKILL,
            0.5,
            r"aws_vpc\.\S+: Creating\.\.\.",
            check_hint=True,
        ),
        Fault(
            "SIGKILL foundation apply, mid-network (route table associations)",
            "deploy",
            "foundation",
            signal.SIGKILL,
            0.5,
            r"aws_route_table_association\.\S+: Creating\.\.\.",
        ),
    ],
    "alb": [
        Fault(
            "SIGKILL foundation apply, ALBs creating",
            "deploy",
            "foundation",
            signal.SIGKILL,
            2,
            r"aws_lb\.\S+.*Creating\.\.\.",
            recover_twice=True,
        ),
        Fault(
            "SIGKILL between the stacks (foundation applied, services not begun)",
            "deploy",
            "foundation",
            signal.SIGKILL,
            0,
            when="unlocked",
        ),
    ],
    "int": [
        Fault("SIGINT foundation apply (Ctrl-C)", "deploy", "foundation", signal.SIGINT, 12),
        # Mid-service: as the task definitions are registered (the whole services apply
        # takes seconds against the emulator, so the kill goes on the first line).
        Fault(
            "SIGKILL services apply, task definitions registering",
            "deploy",
            "services",
            signal.SIGKILL,
            0,
            r"aws_ecs_task_definition\.\S+: Creating\.\.\.",
        ),
        Fault(
            "SIGKILL destroy, 8 s into foundation",
            "destroy",
            "foundation",
            signal.SIGKILL,
            8,
            check_hint=True,
        ),
    ],
}


@dataclass
class Row:
    fault: str
    steps: list[str] = field(default_factory=list)
    seconds: float = 0.0
    result: str = "not run"


class ChainFailed(RuntimeError):
    pass


class Chain:
    """One emulator, one workdir, its fault points in turn."""

    def __init__(self, name: str, faults: list[Fault], env_name: str, root: Path) -> None:
        self.name, self.faults, self.env_name = name, faults, env_name
        self.workdir = root / name
        self.rows = [Row(f.name) for f in faults]
        self.log_lines: list[str] = []
        self.started = time.monotonic()
        self.n = 0

    def say(self, text: str) -> None:
        line = f"[{self.name} {time.monotonic() - self.started:6.1f}s] {text}"
        self.log_lines.append(line)
        print(line, flush=True)

    # --- commands, run as `make` runs them ---

    def _env(self, mark: str) -> dict[str, str]:
        # The chains' bootstraps make only the state bucket, whatever the shell (or GitHub
        # Actions, which sets GITHUB_REPOSITORY) says; `make rehearse` rehearses the CI roles.
        unset = ("TARGET", "FORCE", "GITHUB_REPOSITORY", "GITHUB_OIDC_PROVIDER")
        env = {k: v for k, v in os.environ.items() if k not in (*unset, "BOOTSTRAP_STATE_BUCKET")}
        # Chains deploy at once: their stacks only, no app served on the one local port.
        return {**env, "ECS_LEARN_LOCAL_DIR": str(self.workdir), "SERVE_APP": "0", FAULT_MARK: mark}

    def make(
        self, action: str, *, plans: bool = True, fault: Fault | None = None
    ) -> tuple[int, str]:
        """``make ACTION`` as make runs it, ``fault`` delivered if given: (exit code, output)."""
        tool = "tools.deploy" if action in ("deploy", "destroy") else "tools.recovery"
        argv = ["-m", tool, action, "--env", self.env_name]
        if action == "recover" and not plans:
            argv.append("--no-plan")
        self.n += 1
        log = self.workdir / "logs" / f"{self.n:02d}-{action}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        mark = uuid.uuid4().hex
        planned = f"   <- {fault.sig.name} planned" if fault else ""
        self.say(f"$ make {action} ENV={self.env_name}{planned}")
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, *argv],
                cwd=commands.ROOT,
                env=self._env(mark),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group, like a terminal's foreground job
            )
        try:
            if fault is not None:
                self._deliver(proc, fault, mark, log)
            code = proc.wait(timeout=COMMAND_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                _kill_marked(mark)
                proc.wait()
            _kill_marked(mark)  # nothing of it may outlive the step
        text = commands.plain(log.read_text(errors="replace"))
        self.say(f"  exit {code} ({log.name})")
        return code, text

    def _deliver(self, proc: subprocess.Popen[bytes], fault: Fault, mark: str, log: Path) -> None:
        key = f"{self.env_name}/{self.env_name}-{fault.stack}.tfstate.tflock"
        s3 = self.ctx.client("s3")
        deadline = time.monotonic() + COMMAND_TIMEOUT_S

        def wait_for(check: Callable[[], bool], what: str) -> None:
            while not check():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise ChainFailed(f"{fault.name}: the command ended before {what}")
                time.sleep(0.3)

        def locked() -> bool:
            try:
                return "Contents" in s3.list_objects_v2(Bucket=self.ctx.bucket, Prefix=key)
            except s3.exceptions.NoSuchBucket:  # the deploy's bootstrap has not made it yet
                return False

        wait_for(locked, f"{key} appeared")
        if fault.when == "unlocked":
            wait_for(lambda: not locked(), f"{key} was released")
        if fault.after:
            pattern = re.compile(fault.after)
            wait_for(lambda: bool(pattern.search(commands.plain(log.read_text()))), fault.after)
        time.sleep(fault.delay)
        if proc.poll() is not None:
            raise ChainFailed(f"{fault.name}: the command ended before the fault")
        if fault.sig == signal.SIGKILL:
            killed = _kill_marked(mark)
            self.say(f"  SIGKILL -> {len(killed)} processes")
        else:
            os.killpg(proc.pid, fault.sig)
            self.say(f"  {fault.sig.name} -> process group {proc.pid}")

    # --- the chain ---

    def setup(self) -> None:
        stale = Emulator.find(self.workdir)
        if stale is not None:
            stale.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.emulator = Emulator.start(self.workdir)
        target = local_target(self.env_name).at(self.emulator.endpoint)
        self.ctx = local_context(target, self.workdir)
        self.say(f"emulator {self.emulator.endpoint} (pid {self.emulator.pid})")

    def recover(self, row: Row, *, twice: bool) -> None:
        """The documented way back: `make recover` (``twice``: a second one does nothing)."""
        # The plan of what remains is shown once (the chain that recovers twice): the other
        # recoveries are followed by the deploy that does it.
        code, out = self.make("recover", plans=twice)
        if code != 0:
            raise ChainFailed(f"make recover failed:\n{out[-3000:]}")
        adopted = re.search(r"adopted (\d+), deleted (\d+)", out)
        row.steps.append(
            f"recover (adopted {adopted[1]}, deleted {adopted[2]})" if adopted else "recover"
        )
        found = self.vpcs()
        if len(found) > 1:
            raise ChainFailed(f"{found} after make recover: more than one VPC")
        if twice:
            before = state_versions(self.ctx)
            code, out = self.make("recover")
            if code != 0 or recover.NOTHING not in out or state_versions(self.ctx) != before:
                raise ChainFailed(f"a second make recover did something:\n{out[-3000:]}")
            row.steps.append("recover again (nothing to do, state unchanged)")

    def vpcs(self) -> list[str]:
        found = self.ctx.client("ec2").describe_vpcs(
            Filters=[{"Name": "is-default", "Values": ["false"]}]
        )["Vpcs"]
        return [v["VpcId"] for v in found]

    def fault_point(self, fault: Fault, row: Row, next_command: str | None) -> None:
        """Deliver ``fault``, recover; the command runs again here unless the next fault
        point's command (which carries its own fault) is that re-run."""
        begun = time.monotonic()
        try:
            code, out = self.make(fault.command, fault=fault)
            if fault.sig == signal.SIGINT:
                left = [lock.key for lock in list_locks(self.ctx)]
                if code == 0 or left:
                    raise ChainFailed(f"SIGINT: exit {code}, locks left {left}:\n{out[-3000:]}")
                if "make recover" in out:
                    raise ChainFailed("SIGINT: the interrupted command suggested make recover")
                row.steps.append("none: Terraform saved state, released the lock")
            else:
                if fault.check_hint:  # run again on the leftovers: it names the one fix
                    code, out = self.make(fault.command)
                    others = [
                        c for c in ("unlock", "adopt", "purge", "doctor") if f"make {c}" in out
                    ]
                    if code == 0 or f"make recover ENV={self.env_name}" not in out or others:
                        raise ChainFailed(
                            f"{fault.command} on leftovers, not just make recover:\n{out[-3000:]}"
                        )
                    row.steps.append(f"{fault.command} (refused: names make recover)")
                self.recover(row, twice=fault.recover_twice)
            if next_command == fault.command:
                row.steps.append(f"(next row's {fault.command})")
            else:
                code, out = self.make(fault.command)
                row.steps.append(fault.command)
                if code != 0:
                    raise ChainFailed(f"make {fault.command} again failed:\n{out[-3000:]}")
            row.result = "recovered"
        finally:
            row.seconds = time.monotonic() - begun

    def converged(self, stacks: list[str], when: str) -> None:
        """Every stack of ``stacks`` re-plans to zero changes, no orphan, exactly one VPC."""
        for stack in stacks:
            log = self.ctx.ws.log(f"replan-{when}-{stack}")
            result = commands.replan(self.ctx.ws, stack, self.ctx.env, log)
            if result.returncode != 0:
                changes = commands.plan_changes(result.output) or commands.terraform_errors(
                    result.output
                )
                raise ChainFailed(
                    f"re-plan of {stack} ({when}): exit {result.returncode}\n{changes}"
                )
        found = orphans.find_orphans(self.ctx)
        if found:
            raise ChainFailed(
                orphans.report(self.ctx, found, orphans.plan_recovery(self.ctx, found))
            )
        vpcs = self.vpcs()
        if len(vpcs) != 1:
            raise ChainFailed(f"VPCs {vpcs} ({when}), not exactly one")

    def converge_and_destroy(self) -> str:
        if self.faults[-1].command == "destroy":  # its recovery destroyed everything
            return self.nothing_left()
        boot = stack_name(self.env_name, "bootstrap")
        self.converged([boot, *self.ctx.app_stacks()], "final")
        missed = unseen_by_scan(self.ctx)
        if missed:
            raise ChainFailed("tagged resources in state the orphan scan missed: " + str(missed))
        code, out = self.make("destroy")
        if code != 0:
            raise ChainFailed(f"make destroy failed:\n{out[-3000:]}")
        return self.nothing_left()

    def nothing_left(self) -> str:
        if orphans.find_orphans(self.ctx):
            raise ChainFailed("orphans after destroy")
        # What the bootstrap keeps, since make destroy leaves it: the state bucket and
        # the workload boundary.
        boundary = workload_boundary_name(f"{orphans.PROJECT}-{self.ctx.env_name}")
        kept = {f"s3 bucket {self.ctx.bucket}", f"iam policy {boundary}"}
        left = [
            item
            for item in inventory.leftovers(self.ctx.endpoint or "", self.ctx.region)
            if item not in kept
        ]
        if left:
            raise ChainFailed("left after destroy: " + ", ".join(left))
        return "converged (re-plan 0, no orphans, one VPC), destroyed, nothing left"

    def go(self) -> None:
        try:
            self.setup()
            for index, (fault, row) in enumerate(zip(self.faults, self.rows, strict=True)):
                if fault.command == "destroy":  # a destroy needs something deployed
                    self.converged(self.ctx.app_stacks(), "before-destroy")
                    row.steps.append("(re-plan 0, no orphans before it)")
                following = self.faults[index + 1].command if index + 1 < len(self.faults) else None
                self.fault_point(fault, row, following)
            final = self.converge_and_destroy()
            for row in self.rows:
                row.result = f"{row.result}; {final}"
                row.result = "PASS: " + row.result
        except Exception as exc:  # the table reports it; the others chains go on
            self.say(f"FAILED: {exc}")
            for row in self.rows:
                if not row.result.startswith("PASS"):
                    row.result = f"FAIL: {str(exc).splitlines()[0][:160]}"
        finally:
            if getattr(self, "emulator", None) is not None:
                self.emulator.stop()


def state_versions(ctx: Context) -> list[str]:
    """Every version id of the environment's state files, to show nothing wrote them."""
    s3 = ctx.client("s3")
    listed = s3.list_object_versions(Bucket=ctx.bucket, Prefix=f"{ctx.env_name}/")
    return sorted(v["VersionId"] for v in listed.get("Versions", []))


def unseen_by_scan(ctx: Context) -> list[str]:
    """Resources in state that carry our tags but that the orphan scan does not list."""
    seen = orphans.tagged_resources(ctx)
    ids = {t.arn for t in seen} | {t.resource_id for t in seen} | {t.name for t in seen if t.name}
    missed = []
    states = orphans.state_documents(ctx, ctx.app_stacks())
    for stack, resource, attrs in orphans.managed_instances(states):
        if (attrs.get("tags_all") or {}).get("Project") != orphans.PROJECT:
            continue
        keys = {str(attrs.get("arn", "")).removesuffix(":*"), str(attrs.get("id", ""))}
        if not keys & ids:
            missed.append(f"{stack}: {resource['type']}.{resource['name']}")
    return missed


def _kill_marked(mark: str) -> list[int]:
    """SIGKILL, as a crash would, every process carrying ``FAULT_REHEARSAL_RUN=mark``."""
    return processes.signal_all(processes.with_environment(FAULT_MARK, mark), signal.SIGKILL)


def table(rows: list[Row]) -> str:
    lines = [
        "| fault point | recovery steps used | time | result |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        steps = " -> ".join(f"`make {s}`" if " " not in s else s for s in row.steps) or "-"
        lines.append(f"| {row.fault} | {steps} | {row.seconds:.0f} s | {row.result} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.recovery.faults", description=__doc__)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--only", action="append", choices=sorted(CHAINS), help="chains to run")
    args = parser.parse_args(argv)
    started = time.monotonic()
    root = args.workdir.resolve()
    chains = [Chain(n, CHAINS[n], args.env, root) for n in (args.only or sorted(CHAINS))]
    threads = [threading.Thread(target=c.go, name=c.name) for c in chains]
    # The Ctrl-C fault needs `make` to die of SIGINT as in a terminal; a background job of a
    # script starts with SIGINT ignored, and the commands started here would inherit that.
    take_interrupts()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        for c in chains:
            if getattr(c, "emulator", None) is not None:
                c.emulator.stop()
        raise
    rows = [row for c in chains for row in c.rows]
    print()
    print(table(rows))
    print(f"\ntotal {time.monotonic() - started:.0f} s ({len(chains)} chains at once)")
    ok = all(row.result.startswith("PASS") for row in rows)
    print("FAULT REHEARSAL PASSED" if ok else "FAULT REHEARSAL FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
