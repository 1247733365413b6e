"""Synthesize a CDKTF app in a subprocess, with or without the lazy provider loader.

Used to prove that ``tools.perf.provider_loader`` does not change the synthesized output::

    from tools.perf.synth_compare import synth_in_subprocess, diff_synth_outputs

    lazy = synth_in_subprocess("main.py", tmp_path / "lazy", stock=False)
    stock = synth_in_subprocess("main.py", tmp_path / "stock", stock=True)
    assert diff_synth_outputs(lazy, stock) == []

or from the command line (runs both and compares every stack)::

    python -m tools.perf.synth_compare main.py

The app script is run as ``__main__`` (like ``python main.py``) with its directory as the
working directory and ``sys.path[0]``, and with ``CDKTF_OUTDIR`` pointing at ``outdir``;
cdktf's ``App()`` honours that variable unless the script passes ``outdir=`` itself. With
``stock=False`` the loader is imported before the script runs (so the script does not need
to import it itself); with ``stock=True`` ``CDKTF_STOCK_IMPORTS=1`` is set so that
``tools.perf.provider_loader`` is a no-op even when the script imports it. The child verifies
that the loader is (or is not) active and fails otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Runs in the child: argv = [script, repo_root, "lazy"|"stock", report_path].
_BOOTSTRAP = r"""
import atexit, json, os, runpy, sys
script, root, mode, report = sys.argv[1:5]
sys.path[0] = os.path.dirname(script)
if root not in sys.path:
    sys.path.insert(1, root)
import tools.perf.provider_loader as _pl
if _pl.is_installed() != (mode == "lazy"):
    raise SystemExit(f"synth_compare: expected loader mode {mode!r}, is_installed()="
                     f"{_pl.is_installed()}")

def _report():
    names = [n for n in sys.modules if n.startswith("cdktf_cdktf_provider_")]
    with open(report, "w") as f:
        json.dump({"mode": mode, "loader_active": _pl.is_installed(),
                   "provider_modules": len(names)}, f)

atexit.register(_report)
sys.argv = [script] + sys.argv[5:]
runpy.run_path(script, run_name="__main__")
"""


def synth_in_subprocess(
    script: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    stock: bool,
    *,
    args: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 900,
    python: str = sys.executable,
    stats: dict[str, object] | None = None,
) -> dict[str, bytes]:
    """Run ``script`` in a fresh interpreter and return ``{stack_name: cdk.tf.json bytes}``.

    ``outdir`` must not already contain stacks. ``stock=True`` disables the lazy loader via
    ``CDKTF_STOCK_IMPORTS=1``. ``env`` adds/overrides environment variables. If ``stats`` is
    given it is filled with ``wall_s``, ``loader_active`` and ``provider_modules`` (number of
    ``cdktf_cdktf_provider_*`` entries in the child's ``sys.modules`` at exit).
    Raises ``RuntimeError`` (with the child's output) if the child fails or writes no stack.
    """
    script_path = Path(script).resolve()
    out = Path(outdir).resolve()
    if (out / "stacks").exists() and any((out / "stacks").iterdir()):
        raise RuntimeError(f"{out}/stacks is not empty; use a fresh outdir")
    out.mkdir(parents=True, exist_ok=True)
    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env["CDKTF_OUTDIR"] = str(out)
    child_env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    if stock:
        child_env["CDKTF_STOCK_IMPORTS"] = "1"
    else:
        child_env.pop("CDKTF_STOCK_IMPORTS", None)
    mode = "stock" if stock else "lazy"
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [python, "-c", _BOOTSTRAP, str(script_path), str(REPO_ROOT), mode, str(report)]
        start = time.perf_counter()
        proc = subprocess.run(
            [*cmd, *(args or [])],
            cwd=script_path.parent,
            env=child_env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(
                f"synth of {script_path} ({mode}) exited {proc.returncode}\n"
                f"--- stdout ---\n{proc.stdout.decode(errors='replace')[-4000:]}\n"
                f"--- stderr ---\n{proc.stderr.decode(errors='replace')[-4000:]}"
            )
        child_report = json.loads(report.read_text()) if report.exists() else {}
    if stats is not None:
        stats.update(child_report, wall_s=wall)
    stacks = {p.parent.name: p.read_bytes() for p in sorted((out / "stacks").glob("*/cdk.tf.json"))}
    if not stacks:
        raise RuntimeError(f"synth of {script_path} ({mode}) wrote no stacks under {out}")
    return stacks


def diff_synth_outputs(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    """Human-readable differences between two ``synth_in_subprocess`` results ([] if equal)."""
    problems = []
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            problems.append(f"stack {name!r} only in {'first' if name in a else 'second'}")
        elif a[name] != b[name]:
            problems.append(
                f"stack {name!r}: cdk.tf.json differs ({len(a[name])} vs {len(b[name])} bytes)"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("script", help="CDKTF app script, e.g. main.py")
    parser.add_argument("--outdir", help="keep outputs here (default: a temp dir)")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(opts.outdir or tmp)
        results = {}
        for stock in (False, True):
            stats: dict[str, object] = {}
            label = "stock" if stock else "lazy"
            results[label] = synth_in_subprocess(
                opts.script, base / label, stock=stock, stats=stats
            )
            print(
                f"{label}: {len(results[label])} stacks, {stats['wall_s']:.1f} s, "
                f"{stats.get('provider_modules')} provider modules imported"
            )
        problems = diff_synth_outputs(results["lazy"], results["stock"])
    for p in problems:
        print(p)
    print("IDENTICAL" if not problems else "DIFFERENT")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
