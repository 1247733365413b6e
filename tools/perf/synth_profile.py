"""Where one synth's time goes: Python, the jsii kernel, and the round trips between them.

    python -m tools.perf.synth_profile [--runs 3] [--eager] [--root <checkout>]

The median of each phase over ``--runs`` fresh runs of ``main.py`` (the dev synth of
``make bench``); the kernel's ``load`` steps come from its own ``JSII_DEBUG_TIMING``. The
child is instrumented only from the outside: ``jsii``'s process provider is wrapped before
``main.py`` runs; nothing in the project or site-packages changes. Results:
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from tools.perf.bench import synth_environment

ROOT = Path(__file__).resolve().parents[2]

# Runs in the child: argv = [report_path]; then main.py runs as __main__.
_BOOTSTRAP = r"""
import atexit, json, sys, time
T0 = time.perf_counter()
report_path = sys.argv[1]
from jsii._kernel.providers import process as _p
calls, spans = [], {}
_start, _send, _stop = _p._NodeProcess.start, _p._NodeProcess.send, _p._NodeProcess.stop

def start(self):
    t = time.perf_counter(); _start(self); spans["kernel start"] = (t, time.perf_counter())

def stop(self):
    t = time.perf_counter(); _stop(self); spans["kernel stop"] = (t, time.perf_counter())

def send(self, request, response_type):
    t = time.perf_counter()
    try:
        return _send(self, request, response_type)
    finally:
        kind = type(request).__name__.removesuffix("Request").lower() or "complete"
        name = getattr(request, "name", "") if kind == "load" else ""
        calls.append((kind, name, t, time.perf_counter()))

_p._NodeProcess.start, _p._NodeProcess.send, _p._NodeProcess.stop = start, send, stop

def timed(label, fn):
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            spans[label] = (t, time.perf_counter())
    return wrapper

class _Hooks:  # wraps two functions of main.py's call path once their modules ran
    def find_spec(self, name, path=None, target=None):
        if name not in ("modules.environment", "cdktf"):
            return None
        import importlib.machinery
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            if name == "cdktf":
                module.App.synth = timed("app.synth()", module.App.synth)
            else:
                module.build_environment = timed("build constructs", module.build_environment)

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _Hooks())

def _report():
    end = time.perf_counter()
    with open(report_path, "w") as f:
        json.dump({"t0": T0, "end": end, "calls": calls, "spans": spans}, f)

atexit.register(_report)
sys.argv = ["main.py"]
sys.path[0] = "."
import runpy
runpy.run_path("main.py", run_name="__main__")
"""

_TIMING = re.compile(
    r"\[@jsii/kernel:timing\] (tar\.extract|loadAssemblyFromPath|require)\((.+)\)"
    r"(?: => (.+))?: ([\d.]+)(ms|s)\s*$"
)


def _kernel_timings(output: str) -> dict[str, float]:
    """Seconds per ``<step> <package>`` from the kernel's JSII_DEBUG_TIMING lines (on stdout)."""
    found: dict[str, float] = {}
    for line in output.splitlines():
        match = _TIMING.search(line)
        if not match:
            continue
        step, source, dest, amount, unit = match.groups()
        package = re.sub(r".*/node_modules/|/lib/index\.js$", "", dest or source)
        found[f"{step} {package}"] = float(amount) / (1000 if unit == "ms" else 1)
    return found


def profile_once(eager: bool, root: Path = ROOT) -> dict[str, float]:
    """One synth of ``root``'s main.py; seconds per phase (and round-trip counts)."""
    with tempfile.TemporaryDirectory(prefix="synth-profile-") as tmp:
        report = Path(tmp) / "report.json"
        env = synth_environment(Path(tmp) / "out", plain=eager)
        env["JSII_DEBUG_TIMING"] = "1"
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _BOOTSTRAP, str(report)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"profiled synth failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        data = json.loads(report.read_text())
    return _phases(data, wall, _kernel_timings(proc.stdout))


def _phases(data: dict[str, object], wall: float, kernel: dict[str, float]) -> dict[str, float]:
    t0, end = float(data["t0"]), float(data["end"])  # type: ignore[arg-type]
    calls: list[tuple[str, str, float, float]] = data["calls"]  # type: ignore[assignment]
    spans: dict[str, tuple[float, float]] = data["spans"]  # type: ignore[assignment]
    out: dict[str, float] = {"wall (whole process)": wall}
    start = spans["kernel start"]
    stop = spans.get("kernel stop", (end, end))
    out["python: interpreter start-up and teardown"] = wall - (end - t0)
    out["kernel: node start + handshake"] = start[1] - start[0]
    out["kernel: stop (exit message, wait for node)"] = stop[1] - stop[0]
    by_kind: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for kind, name, t_in, t_out in calls:
        if kind == "load":
            out[f"kernel: load {name}"] = t_out - t_in
        else:
            by_kind[kind] += t_out - t_in
            counts[kind] += 1
    for kind in sorted(by_kind):
        out[f"kernel: {counts[kind]} x {kind}"] = by_kind[kind]
    out.update({f"  node: {k}": v for k, v in kernel.items()})
    kernel_total = sum(c[3] - c[2] for c in calls)

    # Python's own time in each window, kernel calls inside it excluded.
    def python_in(a: float, b: float) -> float:
        inside = sum(min(c[3], b) - max(c[2], a) for c in calls if c[3] > a and c[2] < b)
        return (b - a) - inside

    build, synth = spans["build constructs"], spans["app.synth()"]
    out["python: imports and config (kernel excluded)"] = python_in(t0, build[0]) - (
        start[1] - start[0]
    )
    out["python: build constructs (kernel excluded)"] = python_in(*build)
    out["python: app.synth() (kernel excluded)"] = python_in(*synth)
    out["python: lock files, atexit (kernel excluded)"] = python_in(synth[1], end) - (
        stop[1] - stop[0]
    )
    out["kernel calls, total"] = kernel_total
    out["round trips (non-load)"] = float(sum(counts.values()))
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.perf.synth_profile", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="synth runs (default 3)")
    parser.add_argument("--eager", action="store_true", help="profile plain cdktf instead")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the checkout whose main.py runs (default: this)"
    )
    args = parser.parse_args(argv)
    runs = [profile_once(args.eager, args.root.resolve()) for _ in range(args.runs)]
    print(f"load average before: {os.getloadavg()[0]:.2f}; runs: {args.runs}")
    print("| phase | median s |\n| --- | --- |")
    for key in runs[0]:
        values = [r.get(key, 0.0) for r in runs]
        med = statistics.median(values)
        shown = f"{med:.0f}" if key.startswith("round trips") else f"{med:.3f}"
        print(f"| {key} | {shown} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
