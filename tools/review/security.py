"""``make security``: checkov on every synthesized stack, with reasoned suppressions only.

    python -m tools.review.security [--synth-dir DIR] [--plan STACK=plan.json ...]

Scans each ``cdk.tf.json`` of dev and prod (synthesized, or read from DIR), and each plan
given (``--framework terraform_plan``: there container definitions are resolved). Every
failed check, as ``<stack>/<construct path>``, needs an entry of ``security/suppressions.toml``,
and every entry a failure; otherwise the run fails (docs/security.md).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.synthesize import SynthError, synth_settings, synthesize

ROOT = Path(__file__).resolve().parents[2]
SUPPRESSIONS = ROOT / "security" / "suppressions.toml"
CHECKOV = ROOT / ".venv-security" / "bin" / "checkov"
# The bootstrap then holds the CI roles too, so they are scanned.
SYNTH_SETTINGS = synth_settings(GITHUB_REPOSITORY="example-org/ecs-learn")


class SecurityScanError(RuntimeError):
    """The scan could not run (missing checkov, bad suppressions file, ...)."""


@dataclass(frozen=True)
class Suppression:
    check: str
    resource: str  # fnmatch pattern on "<stack>/<construct path>"
    reason: str
    source: str | None = None  # "plan": only plan scans raise it; None: any scan

    def matches(self, finding: Finding) -> bool:
        return (
            self.check == finding.check
            and fnmatch.fnmatchcase(finding.resource, self.resource)
            and self.source in (None, finding.source)
        )


@dataclass(frozen=True)
class Finding:
    check: str
    name: str
    resource: str  # "<stack>/<construct path>", e.g. "dev-foundation/external-alb/alb"
    source: str  # "synth" or "plan"


def load_suppressions(path: Path = SUPPRESSIONS) -> list[Suppression]:
    """Read and check the suppressions file: every entry needs a check, resource and reason."""
    try:
        entries = tomllib.loads(path.read_text()).get("suppression", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SecurityScanError(f"cannot read {path}: {exc}") from None
    result = []
    for index, entry in enumerate(entries):
        where = f"{path.name} suppression[{index}]"
        missing = [k for k in ("check", "resource", "reason") if not entry.get(k)]
        if missing:
            raise SecurityScanError(f"{where}={entry!r} lacks {missing}")
        if entry["resource"].strip("*/") == "":
            raise SecurityScanError(f"{where} resource={entry['resource']!r} is a blanket skip")
        if len(entry["reason"]) < 20:
            raise SecurityScanError(f"{where} reason={entry['reason']!r} is too short")
        if entry.get("source") not in (None, "plan"):
            raise SecurityScanError(f"{where} source={entry['source']!r}: only 'plan'")
        result.append(
            Suppression(entry["check"], entry["resource"], entry["reason"], entry.get("source"))
        )
    return result


def construct_paths(stack_json: dict[str, Any]) -> dict[str, str]:
    """Logical id -> construct path (``dev-foundation/external-alb/alb``) for every block."""
    paths: dict[str, str] = {}
    for kind in ("resource", "data"):
        for blocks in stack_json.get(kind, {}).values():
            for logical_id, block in blocks.items():
                if "//" in block:  # cross-stack remote state blocks carry no metadata
                    paths[logical_id] = block["//"]["metadata"]["path"]
    return paths


def _logical_id(checkov_resource: str) -> str:
    # "aws_lb.external-alb_5C7DFF95", "resource.x_1A2B3C4D" or a plan address.
    return checkov_resource.split(".")[-1].split("[")[0]


def run_checkov(files: list[Path], framework: str) -> list[dict[str, Any]]:
    """Failed checks from one checkov run over ``files``."""
    if not CHECKOV.exists():
        raise SecurityScanError(f"{CHECKOV} is missing; run `make install`")
    args = [str(CHECKOV), "--framework", framework, "-o", "json", "--quiet", "--compact"]
    for file in files:
        args += ["-f", str(file)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise SecurityScanError(f"checkov failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout or "[]")
    reports = report if isinstance(report, list) else [report]
    return [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]


def findings_for(synth_dir: Path, plans: dict[str, Path]) -> list[Finding]:
    """checkov findings for every stack in ``synth_dir`` and every plan, by construct path."""
    manifest = json.loads((synth_dir / "manifest.json").read_text())
    stack_files = {
        name: synth_dir / stack["synthesizedStackPath"]
        for name, stack in manifest["stacks"].items()
    }
    paths = {
        name: construct_paths(json.loads(file.read_text())) for name, file in stack_files.items()
    }
    file_to_stack = {str(file.resolve()): name for name, file in stack_files.items()}
    file_to_stack.update({str(plan.resolve()): name for name, plan in plans.items()})

    findings = []
    runs = [("synth", list(stack_files.values()), "terraform_json")]
    if plans:
        runs.append(("plan", list(plans.values()), "terraform_plan"))
    for source, files, framework in runs:
        for failed in run_checkov(files, framework):
            stack = file_to_stack[str(Path(failed["file_abs_path"]).resolve())]
            logical = _logical_id(failed["resource"])
            path = paths[stack].get(logical, f"{stack}/{logical}")
            findings.append(Finding(failed["check_id"], failed["check_name"], path, source))
    return sorted(set(findings), key=lambda f: (f.resource, f.check, f.source))


def evaluate(
    findings: list[Finding], suppressions: list[Suppression], *, plans_scanned: bool = False
) -> tuple[list[Finding], list[Suppression]]:
    """(unsuppressed findings, suppressions that matched nothing).

    A plan-only suppression can only be unused when plans were scanned.
    """
    open_findings = [f for f in findings if not any(s.matches(f) for s in suppressions)]
    unused = [
        s
        for s in suppressions
        if (s.source != "plan" or plans_scanned) and not any(s.matches(f) for f in findings)
    ]
    return open_findings, unused


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.review.security", description=__doc__)
    parser.add_argument("--synth-dir", type=Path, help="an existing cdktf.out directory")
    parser.add_argument("--plan", action="append", default=[], metavar="STACK=PLAN_JSON")
    args = parser.parse_args(argv)
    plans: dict[str, Path] = {}
    for item in args.plan:
        stack, sep, file = item.partition("=")
        if not sep or not Path(file).is_file():
            print(f"error: --plan={item!r}: expected STACK=existing-plan.json", file=sys.stderr)
            return 2
        plans[stack] = Path(file)
    try:
        suppressions = load_suppressions()
        with tempfile.TemporaryDirectory(prefix="security-") as tmp:
            synth_dir = args.synth_dir or Path(tmp)
            if args.synth_dir is None:
                synthesize(synth_dir, SYNTH_SETTINGS)
            findings = findings_for(synth_dir, plans)
    except (SecurityScanError, SynthError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    open_findings, unused = evaluate(findings, suppressions, plans_scanned=bool(plans))
    print(
        f"checkov: {len(findings)} failed checks, {len(findings) - len(open_findings)} suppressed"
    )
    for f in open_findings:
        print(f"  UNSUPPRESSED {f.check} {f.resource} ({f.source}): {f.name}")
    for s in unused:
        print(f"  UNUSED SUPPRESSION {s.check} {s.resource}: remove it from {SUPPRESSIONS.name}")
    return 1 if open_findings or unused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
