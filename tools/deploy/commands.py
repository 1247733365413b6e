"""The cdktf-cli and Terraform commands the rehearsal and ``tools.deploy`` run.

Every command gets our Terraform CLI config (provider mirror) through
``tools.terraform.terraform_env``. Synthesis happens once per command line (the app of
cdktf.json, as ``cdktf synth`` runs it); deploy/diff/destroy then use ``--skip-synth`` so
all of them act on exactly the same synthesized stacks. ``--skip-provider-lock`` is
always passed: ``terraform providers lock`` ignores the CLI config's mirror
and would try to reach the registry.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.deploy.procs import Result, run
from tools.terraform import terraform_binary, terraform_env

ROOT = Path(__file__).resolve().parents[2]
CDKTF = ("npx", "--no-install", "cdktf")
# What cdktf-cli prints when it was sent SIGINT, SIGTERM or SIGQUIT: its deploy/destroy
# UI (useCdktfProject in cdktf-cli's bundle) answers those signals with hardAbort(),
# which stops the running Terraform (Ctrl-C into its pty, the stack then counts as
# done) and makes its next Terraform call fail with Node's AbortError. cdktf-cli has
# no timeout of its own (it waits for Terraform with timeout Infinity).
INTERRUPTED = "AbortError: The operation was aborted"
INTERRUPTED_NOTE = (
    "cdktf was interrupted: it received SIGINT, SIGTERM or SIGQUIT from another process "
    "and stopped Terraform (cdktf-cli answers those signals with `AbortError: The "
    "operation was aborted`; nothing timed out and the stacks are not at fault). "
    "Re-run; if it recurs, look for what signals processes on this machine."
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


@dataclass(frozen=True)
class Workspace:
    """Where one target's synthesized stacks (``root/cdktf.out`` unless ``out``
    is given), outputs and logs live."""

    root: Path
    out: Path | None = None

    @property
    def outdir(self) -> Path:
        return self.out or self.root / "cdktf.out"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def outputs_file(self) -> Path:
        return self.root / "outputs.json"

    @property
    def plans(self) -> Path:
        """``terraform show -json`` of each re-plan, for checkov's plan scan."""
        return self.root / "plans"

    def stack_dir(self, stack: str) -> Path:
        return self.outdir / "stacks" / stack

    def log(self, name: str) -> Path:
        self.logs.mkdir(parents=True, exist_ok=True)
        return self.logs / f"{name}.log"


def child_env(extra: Mapping[str, str], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: our environment) + ``extra`` + our Terraform CLI config."""
    env = dict(os.environ if base is None else base)
    env.update(extra)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env.setdefault("CHECKPOINT_DISABLE", "1")
    return terraform_env(env)


def _cdktf(
    ws: Workspace, args: Sequence[str], env: Mapping[str, str], log: Path | None, timeout: float
) -> Result:
    cmd = [*CDKTF, *args, "--output", str(ws.outdir)]
    if log is not None:
        cmd.append("--no-color")
    return run(cmd, env=env, cwd=ROOT, log=log, timeout=timeout)


def synth(ws: Workspace, env: Mapping[str, str], log: Path | None = None) -> Result:
    """Synthesize into the workspace: cdktf.json's ``app`` with ``CDKTF_OUTDIR``, which is
    all ``cdktf synth`` does for a Python app, without the CLI's start-up (3-4 s of CPU)."""
    app = shlex.split(json.loads((ROOT / "cdktf.json").read_text())["app"])
    ws.outdir.mkdir(parents=True, exist_ok=True)  # the CLI makes it; cdktf's App does not
    return run(app, env={**env, "CDKTF_OUTDIR": str(ws.outdir)}, cwd=ROOT, log=log, timeout=600)


def deploy(
    ws: Workspace,
    stacks: Sequence[str],
    env: Mapping[str, str],
    *,
    auto_approve: bool,
    log: Path | None = None,
    without_upstreams: bool = False,
) -> Result:
    """``cdktf deploy STACKS`` of the synthesized stacks; outputs go to ``ws.outputs_file``.
    ``without_upstreams`` (default off) deploys ``stacks`` alone, their upstream stacks as
    they are (cdktf's ``--ignore-missing-stack-dependencies``)."""
    args = ["deploy", *stacks, "--skip-synth", "--skip-provider-lock"]
    if without_upstreams:
        args.append("--ignore-missing-stack-dependencies")
    args += ["--outputs-file", str(ws.outputs_file)]
    if auto_approve:
        args.append("--auto-approve")
    return _cdktf(ws, args, env, log, timeout=1200)


def destroy(
    ws: Workspace,
    stacks: Sequence[str],
    env: Mapping[str, str],
    *,
    auto_approve: bool,
    log: Path | None = None,
) -> Result:
    """``cdktf destroy STACKS`` (cdktf destroys dependents first)."""
    args = ["destroy", *stacks, "--skip-synth", "--skip-provider-lock"]
    if auto_approve:
        args.append("--auto-approve")
    return _cdktf(ws, args, env, log, timeout=1200)


def diff(ws: Workspace, stack: str, env: Mapping[str, str], log: Path | None = None) -> Result:
    """``cdktf diff STACK`` (cdktf diffs one stack per call)."""
    args = ["diff", stack, "--skip-synth", "--skip-provider-lock"]
    return _cdktf(ws, args, env, log, timeout=600)


def terraform(
    ws: Workspace,
    stack: str,
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    log: Path | None = None,
    timeout: float = 600,
) -> Result:
    """Plain ``terraform ARGS`` in the stack's synthesized directory."""
    cmd = [terraform_binary(), *args]
    return run(cmd, env=env, cwd=ws.stack_dir(stack), log=log, timeout=timeout)


def stack_outputs(ws: Workspace, stack: str, env: Mapping[str, str]) -> dict[str, object] | None:
    """The stack's outputs from its state (``{}`` before its first deploy), or ``None``
    when Terraform could not read them (for example, the stack was never initialised)."""
    log = ws.log(f"outputs-{stack}")  # captured: without a log the command is interactive
    result = terraform(ws, stack, ["output", "-json", "-no-color"], env, log=log, timeout=120)
    if result.returncode != 0:
        return None
    try:
        outputs = json.loads(result.output[result.output.index("{") :])
    except ValueError:
        return None
    return outputs if isinstance(outputs, dict) else None


def replan(
    ws: Workspace, stack: str, env: Mapping[str, str], log: Path, *, lock: bool = True
) -> Result:
    """``terraform plan -detailed-exitcode``: 0 no changes, 2 changes, 1 error.

    ``lock=False`` plans without the state lock, as a read-only plan role must. The plan
    is kept as ``replan.tfplan`` in the stack directory (see ``save_plan_json``).
    """
    locking = "-lock-timeout=60s" if lock else "-lock=false"
    args = ["plan", "-detailed-exitcode", "-input=false", "-no-color", locking]
    return terraform(ws, stack, [*args, "-out=replan.tfplan"], env, log=log)


def save_plan_json(ws: Workspace, stack: str, env: Mapping[str, str], log: Path) -> Path:
    """Write ``terraform show -json`` of the stack's re-plan to ``ws.plans/<stack>.json``."""
    result = terraform(ws, stack, ["show", "-json", "-no-color", "replan.tfplan"], env, log=log)
    if result.returncode != 0:
        raise RuntimeError(f"terraform show -json failed for {stack}: see {log}")
    try:  # the output is stdout and stderr combined: keep only the JSON document
        plan = json.loads(result.output[result.output.index("{") :])
    except ValueError:
        raise RuntimeError(
            f"terraform show -json for {stack} printed no plan JSON: see {log}"
        ) from None
    ws.plans.mkdir(parents=True, exist_ok=True)
    path = ws.plans / f"{stack}.json"
    path.write_text(json.dumps(without_credentials(plan)))
    return path


CREDENTIALS = ("access_key", "secret_key", "token")


def without_credentials(plan: dict[str, Any]) -> dict[str, Any]:
    """``plan`` (``terraform show -json``) without the keys a provider block carries: an
    emulator target's stacks hold their session's keys, which a kept plan must not."""
    for provider in plan.get("configuration", {}).get("provider_config", {}).values():
        expressions = provider.get("expressions", {})
        for name in CREDENTIALS:
            expressions.pop(name, None)
    return plan


def manifest_stacks(ws: Workspace) -> dict[str, list[str]]:
    """Synthesized stack name -> the stacks it depends on, from ``manifest.json``."""
    manifest = json.loads((ws.outdir / "manifest.json").read_text())
    return {name: list(s.get("dependencies", [])) for name, s in manifest["stacks"].items()}


def in_dependency_order(stacks: Mapping[str, Sequence[str]], names: Sequence[str]) -> list[str]:
    """``names`` sorted so every stack comes after the stacks it depends on."""
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise ValueError(f"stack dependency cycle: {' -> '.join((*path, name))}")
        for dep in stacks.get(name, []):
            if dep in names:
                visit(dep, (*path, name))
        ordered.append(name)

    for name in sorted(names):
        visit(name, ())
    return ordered


def plain(text: str) -> str:
    """``text`` without terminal colour and cursor sequences."""
    return _ANSI.sub("", text).replace("\r", "")


def terraform_errors(text: str, max_lines: int = 60) -> str:
    """The ``Error:`` blocks of Terraform/cdktf output, or its last lines if there are none;
    first a note saying so when cdktf was interrupted by a signal (``INTERRUPTED``)."""
    if INTERRUPTED in plain(text):
        rest = terraform_errors(plain(text).replace(INTERRUPTED, "(aborted)"), max_lines)
        return f"{INTERRUPTED_NOTE}\n{rest}"
    lines = [line.rstrip() for line in plain(text).splitlines()]
    picked: list[str] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if not re.search(r"\bError: ", line) or line.strip() in seen:
            continue
        seen.add(line.strip())
        # A block is its indented lines: the source snippet, then the reason, which
        # Terraform prints after a blank line; it ends at two blank lines or a new line.
        block = [line]
        for follow in lines[index + 1 : index + 24]:
            ends_block = follow[:1] not in ("", " ") or not (follow or block[-1])
            if re.search(r"\bError: ", follow) or ends_block:
                break
            block.append(follow)
        while not block[-1]:
            block.pop()
        picked.extend([*block, ""])
    if not picked:
        picked = [line for line in lines if line.strip()][-30:]
    return "\n".join(picked[:max_lines]).strip()


def plan_changes(text: str) -> str:
    """The resource-change lines of a plan (``# x will be updated``, ``~ attr``, ``Plan:``)."""
    keep = ("#", "~", "+", "-", "Plan:", "Changes to Outputs")
    return "\n".join(
        line for line in plain(text).splitlines() if line.strip().startswith(keep)
    ).strip()


def format_outputs(path: Path) -> str:
    """The stacks' outputs (``--outputs-file``) as ``stack.name = value`` lines."""
    try:
        outputs = json.loads(path.read_text())
    except (OSError, ValueError):
        return f"(no outputs in {path})"
    lines = ["outputs:"]
    for stack, values in sorted(outputs.items()):
        for key, value in sorted(values.items()):
            lines.append(f"  {stack}.{key} = {value}")
    return "\n".join(lines)
