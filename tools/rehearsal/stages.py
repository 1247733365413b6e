"""The rehearsal's stages: how each is timed and printed, and how one fails.

Shared by ``rehearse`` (the first release, the destroy) and ``release`` (day 2).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tools.deploy import commands, deployments
from tools.deploy.commands import Workspace
from tools.deploy.procs import Result
from tools.deploy.target import LocalTarget

S = TypeVar("S")
T = TypeVar("T")


class StageFailed(RuntimeError):
    """A stage did not hold; ``detail`` is what to show (Terraform's error, leftovers)."""

    def __init__(self, stage: str, detail: str) -> None:
        super().__init__(f"{stage}: {detail}")
        self.stage = stage
        self.detail = detail


class Clock:
    """Prints each stage with the time it took and the time since the start."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.timings: list[tuple[str, float]] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        print(f"[{self.elapsed():6.1f}s] {name} ...", flush=True)
        begun = time.monotonic()
        try:
            yield
        except BaseException:
            print(f"[{self.elapsed():6.1f}s] FAILED {name} after {time.monotonic() - begun:.1f} s")
            raise
        took = time.monotonic() - begun
        self.timings.append((name, took))
        print(f"[{self.elapsed():6.1f}s] ok     {name} ({took:.1f} s)", flush=True)


def check(stage: str, result: Result, log: Path) -> Result:
    """``result`` when it succeeded; else ``StageFailed`` with Terraform's error and the log."""
    if result.returncode != 0:
        detail = commands.terraform_errors(result.output)
        raise StageFailed(stage, f"exit {result.returncode}\n{detail}\n(full log: {log})")
    return result


def cdktf_run(
    stage: str,
    run: Callable[..., Result],
    ws: Workspace,
    stacks: Sequence[str],
    env: Mapping[str, str],
    log: str,
    **options: Any,
) -> None:
    """``run`` (``commands.deploy`` or ``destroy``) of ``stacks``, logged to ``ws.log(log)``;
    ``stage`` fails unless it succeeds. Prints cdktf's ``... complete! Resources:`` lines."""
    path = ws.log(log)
    output = check(stage, run(ws, stacks, env, auto_approve=True, log=path, **options), path).output
    for line in commands.plain(output).splitlines():
        if "complete! Resources:" in line:
            print(f"         {' '.join(line.split())}")


def check_services(target: LocalTarget, ws: Workspace, stack: str, clock: Clock, name: str) -> None:
    """The deployment check of ``make deploy`` as a stage: every service of ``stack``
    runs the task definition its outputs name."""
    with clock.stage(name):
        try:
            deployments.check_outputs_file(target.client("ecs"), ws.outputs_file, stack)
        except deployments.DeploymentCheckFailed as exc:
            raise StageFailed(name, str(exc)) from None


def each_stack(stacks: Sequence[S], work: Callable[[S], T]) -> list[T]:
    """``work(stack)`` for every stack at once (threads; results in ``stacks`` order).

    For independent Terraform runs in separate stack directories: each mostly waits on
    its provider and the emulator. The first exception is raised after all have ended.
    """
    with ThreadPoolExecutor(max_workers=len(stacks)) as pool:
        futures = [pool.submit(work, stack) for stack in stacks]
        return [future.result() for future in futures]


@dataclass(frozen=True)
class Replan:
    """One stack to re-plan to zero changes in ``ws`` with ``env``. ``lock=False`` plans as
    the plan role (it cannot take the state lock); ``keep_plan`` writes the plan's JSON to
    ``ws.plans`` (what the e2e checks scan)."""

    stack: str
    ws: Workspace
    env: dict[str, str]
    lock: bool = True
    keep_plan: bool = False
    label: str = ""


def replan_at_once(jobs: list[Replan], clock: Clock, title: str) -> None:
    """Every job at once, as the stage ``title``: each must plan no changes."""

    def replan(job: Replan) -> float:
        name = f"re-plan {job.stack}{job.label}"
        started = time.monotonic()
        log = job.ws.log(f"replan-{job.stack}{job.label.replace(' ', '-')}")
        if not (job.ws.stack_dir(job.stack) / ".terraform").is_dir():
            init = ["init", "-input=false", "-no-color"]
            check(name, commands.terraform(job.ws, job.stack, init, job.env, log=log), log)
        result = commands.replan(job.ws, job.stack, job.env, log, lock=job.lock)
        if result.returncode == 2:
            changes = commands.plan_changes(result.output)
            raise StageFailed(name, f"plan is not empty:\n{changes}\n(full plan: {log})")
        check(name, result, log)
        if job.keep_plan:
            commands.save_plan_json(job.ws, job.stack, job.env, job.ws.log(f"show-{job.stack}"))
        return time.monotonic() - started

    with clock.stage(title):
        for job, seconds in zip(jobs, each_stack(jobs, replan), strict=True):
            print(f"         ok     re-plan {job.stack}{job.label} ({seconds:.1f} s)")
