"""Plan every synthesized stack for review, dependencies first: what the PR workflow runs.

    python -m tools.review.plan_stacks [--outdir cdktf.out] [--plans plans] [--env ENV]

Skips, with the reason, ``<env>-bootstrap`` and a stack that reads outputs of a stack not
deployed yet (docs/plan-review.md). Plans with ``-lock=false`` (a read-only plan role cannot
write the lock), ``<env>-images`` with the caller's ECR login in the docker provider's
environment, never in a file (``tools/deploy/ecr.py``). Writes ``<plans>/<stack>.json``
(``terraform show -json``) and ``<plans>/results.json``, and under GitHub Actions the step
outputs ``results`` and ``has_changes``. Exit status 1 when any plan failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from config.naming import is_bootstrap_stack
from tools.deploy import commands, ecr
from tools.deploy.commands import Workspace
from tools.terraform import TerraformSetupError, terraform_env

BOOTSTRAP_REASON = (
    "not planned: its state is a local file of the machine that ran `make bootstrap`, "
    "so a plan anywhere else would show the state bucket as new"
)


@dataclass(frozen=True)
class StackPlan:
    """One stack's outcome: ``status`` is changes, no-changes, skipped or error."""

    status: str
    reason: str = ""


def _plan_one(ws: Workspace, stack: str, plans: Path, env: dict[str, str]) -> StackPlan:
    log = plans / "logs" / f"{stack}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    init = commands.terraform(ws, stack, ["init", "-input=false", "-no-color"], env, log=log)
    if init.returncode != 0:
        return StackPlan("error", f"terraform init failed (log: {log})")
    args = ["plan", "-input=false", "-no-color", "-lock=false", "-detailed-exitcode"]
    plan = commands.terraform(ws, stack, [*args, "-out=tfplan"], env, log=log)
    if plan.returncode not in (0, 2):
        return StackPlan("error", commands.terraform_errors(plan.output, max_lines=12))
    show_log = log.with_suffix(".show.log")  # captured: it holds the plan JSON
    shown = commands.terraform(
        ws, stack, ["show", "-json", "-no-color", "tfplan"], env, log=show_log
    )
    if shown.returncode != 0:
        return StackPlan("error", f"terraform show -json failed (log: {log})")
    document = json.loads(shown.output[shown.output.index("{") :])
    (plans / f"{stack}.json").write_text(json.dumps(commands.without_credentials(document)))
    return StackPlan("changes" if plan.returncode == 2 else "no-changes")


def plan_stacks(
    ws: Workspace,
    plans: Path,
    env: dict[str, str],
    *,
    env_name: str | None = None,
    at_once: bool = False,
) -> dict[str, StackPlan]:
    """Plan every stack of ``ws`` (of ``env_name`` only, if given; default all) in
    dependency order; see the module docstring. ``at_once`` (default off) plans every
    stack but the bootstrap at the same time, with no skips: for a caller that knows
    every stack is deployed (the rehearsal's release plan)."""
    plans.mkdir(parents=True, exist_ok=True)
    deps = commands.manifest_stacks(ws)
    results: dict[str, StackPlan] = {}
    chosen = [s for s in deps if env_name is None or s.startswith(f"{env_name}-")]
    if at_once:
        todo = [s for s in chosen if not is_bootstrap_stack(s)]
        with ThreadPoolExecutor(max_workers=max(len(todo), 1)) as pool:
            futures = {
                s: pool.submit(_plan_one, ws, s, plans, {**env, **_registry_login(s)}) for s in todo
            }
        skipped = {s: StackPlan("skipped", BOOTSTRAP_REASON) for s in chosen if s not in todo}
        return skipped | {s: future.result() for s, future in futures.items()}
    for stack in commands.in_dependency_order(deps, chosen):
        if is_bootstrap_stack(stack):
            results[stack] = StackPlan("skipped", BOOTSTRAP_REASON)
            continue
        missing = [
            up
            for up in deps[stack]
            if results.get(up, StackPlan("error")).status in ("skipped", "error")
            or not commands.stack_outputs(ws, up, env)
        ]
        if missing:
            reason = f"not planned: it reads the outputs of {', '.join(missing)}, not deployed yet"
            results[stack] = StackPlan("skipped", reason)
            continue
        results[stack] = _plan_one(ws, stack, plans, {**env, **_registry_login(stack)})
    return results


def _registry_login(stack: str) -> dict[str, str]:
    """For ``<env>-images``: the docker provider's ECR login, from the caller's credentials."""
    if not stack.endswith("-images"):
        return {}
    import boto3  # type: ignore[import-untyped]  # ships no type information

    return ecr.registry_credentials(boto3.client("ecr"))


def _publish(results: dict[str, StackPlan], plans: Path) -> None:
    data = {stack: asdict(result) for stack, result in results.items()}
    (plans / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    github_output = os.environ.get("GITHUB_OUTPUT")
    if github_output:
        has_changes = any(r.status == "changes" for r in results.values())
        with open(github_output, "a", encoding="utf-8") as out:
            out.write(f"results={json.dumps(data)}\n")
            out.write(f"has_changes={'true' if has_changes else 'false'}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.review.plan_stacks", description=__doc__)
    parser.add_argument("--outdir", type=Path, default=commands.ROOT / "cdktf.out")
    parser.add_argument("--plans", type=Path, default=Path("plans"))
    parser.add_argument("--env", help="plan only this environment's stacks (default: all)")
    args = parser.parse_args(argv)
    if not (args.outdir / "manifest.json").is_file():
        print(f"error: no synthesized stacks in {args.outdir}; run `make synth`", file=sys.stderr)
        return 2
    try:
        env = terraform_env()
    except TerraformSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ws = Workspace(root=args.outdir, out=args.outdir)
    if args.env and not any(s.startswith(f"{args.env}-") for s in commands.manifest_stacks(ws)):
        print(f"error: --env {args.env}: no such environment in {args.outdir}", file=sys.stderr)
        return 2
    results = plan_stacks(ws, args.plans, env, env_name=args.env)
    _publish(results, args.plans)
    for stack, result in results.items():
        print(f"{stack:24} {result.status:10} {result.reason}".rstrip())
    return 1 if any(r.status == "error" for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
