"""``make bench``: this project's dev synth side by side with plain cdktf, with each
speed-up switched off and with an AWS CDK peer; then the unit tests, the containers run and
one emulator rehearsal. What each figure means and the results: docs/performance.md.

    python -m tools.perf.bench [--runs 5] [--test-runs 1] [--workdir .cache/bench]
                          [--no-peer] [--no-shares] [--no-containers] [--no-rehearsal]

The exit code is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tools import processes
from tools.containers.check import check
from tools.containers.common import ContainersError
from tools.perf import fast_synth
from tools.synthesize import synth_environ, synth_settings

ROOT = Path(__file__).resolve().parents[2]
# The full dev synth: every dev stack as for real AWS, images built by the images stack.
SYNTH_SETTINGS = synth_settings(ENVS="dev")
# Each speed-up of tools/perf/fast_synth.py and the switch that turns it off.
SPEED_UPS = {
    "lazy provider imports": fast_synth.STOCK_IMPORTS,
    "lazy JavaScript index": fast_synth.EAGER_INDEX,
    "one-process kernel": fast_synth.STOCK_RUNTIME,
    "no cyclic GC": fast_synth.KEEP_GC,
}
# Every switch set: plain cdktf.
PLAIN_ENV = {switch: "1" for switch in fast_synth.SWITCHES}
# A speed-up stays only if it saves at least this share of this project's synth time.
MIN_SHARE = 0.10
# As `make unit` runs them (Makefile, scripts/check).
UNIT_TEST_ARGS = ("-m", "not e2e and not containers", "-q", "-n", "auto", "--dist", "worksteal")
# What this project's synths or a shell may set that would change a measured run (the
# peer's included).
INHERITED = ("NODE_OPTIONS", "JSII_RUNTIME", "JSII_NODE", "PYTHONDONTWRITEBYTECODE")
TARGETS = {"synth_s": 1.2, "largest_mb": 250.0, "tests_s": 90.0, "rehearsal_s": 600.0}
PROJECT, PLAIN = "this project", "plain cdktf"
CDK, CDK_NO_VALIDATION = "AWS CDK, default", "AWS CDK, validation off"
PEER_APP = Path(__file__).resolve().parent / "cdk_peer" / "app.py"
PEER_REQUIREMENTS = PEER_APP.with_name("requirements.txt")
Row = tuple[str, str, str, bool | None]  # measure, value, target, met (None: no target)


class PeerError(RuntimeError):
    """The peer's venv could not be made (the message says why)."""


@dataclass(frozen=True)
class Sample:
    seconds: float
    cpu_seconds: float
    largest_mb: float  # the biggest single process of the tree
    tree_mb: float  # the largest sum over the tree, sampled


def measure(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> Sample:
    """Wall time, CPU time and peak memory of ``cmd``; fails if it fails."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        # (output kept only to show why a run failed)
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=errors, stderr=errors)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, processes.tree_rss_bytes(proc.pid))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4: the child's own accounting, including every descendant it reaped.
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        if proc.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{tail}")
    largest_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return Sample(elapsed, usage.ru_utime + usage.ru_stime, largest_kb / 1024, peak / 2**20)


def synth_environment(
    outdir: Path, *, plain: bool, switches: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a benchmarked synth: only SYNTH_SETTINGS decides what is built."""
    env = synth_environ(outdir, SYNTH_SETTINGS)
    env = {
        k: v
        for k, v in env.items()
        if k not in INHERITED and (k == "CDKTF_OUTDIR" or not k.startswith("CDKTF_"))
    }
    if plain:
        env.update(PLAIN_ENV)
    env.update(switches or {})
    return env


def peer_venv(workdir: Path) -> Path:
    """The peer venv's python under ``workdir``. aws-cdk-lib is not a project dependency: it
    is installed from the pinned PEER_REQUIREMENTS once, and again only when they change."""
    venv = workdir / "cdk-venv"
    python = venv / "bin" / "python"
    stamp = venv / "requirements.sha256"
    digest = hashlib.sha256(PEER_REQUIREMENTS.read_bytes()).hexdigest()
    if python.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    steps = ([sys.executable, "-m", "venv", str(venv)], [*pip, "-r", str(PEER_REQUIREMENTS)])
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PeerError(f"{' '.join(step[:4])} failed: {result.stderr.strip()[-500:]}")
    stamp.write_text(digest)
    return python


Runner = Callable[[Path], Sample]


def without(speed_up: str) -> str:
    return f"this project without {speed_up}"


def runners(workdir: Path, with_peer: bool, with_shares: bool = True) -> dict[str, Runner]:
    """One function per synth of the comparison: output directory in, sample out."""

    def project(plain: bool, switches: dict[str, str] | None = None) -> Runner:
        return lambda out: measure(
            [sys.executable, "main.py"], synth_environment(out, plain=plain, switches=switches)
        )

    found = {PROJECT: project(False), PLAIN: project(True)}
    if with_shares:
        for name, switch in SPEED_UPS.items():
            found[without(name)] = project(False, {switch: "1"})
    if with_peer:
        python = peer_venv(workdir)
        # The shell's environment, without this project's settings.
        shell = {
            k: v for k, v in os.environ.items() if k not in INHERITED and not k.startswith("CDKTF_")
        }
        shell["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"

        def peer(validation: bool) -> Runner:
            # CDK_VALIDATION=false: aws-cdk-lib's switch for its template validation.
            off = {} if validation else {"CDK_VALIDATION": "false"}
            return lambda out: measure(
                [str(python), str(PEER_APP)], {**shell, "CDK_OUTDIR": str(out), **off}, cwd=workdir
            )

        found |= {CDK: peer(True), CDK_NO_VALIDATION: peer(False)}
    return found


def compare(run: dict[str, Runner], rounds: int) -> dict[str, list[Sample]]:
    """One untimed run each, then ``rounds`` rounds, each in another order."""
    names = list(run)
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    for round_ in range(-1, rounds):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            with tempfile.TemporaryDirectory(prefix="bench-") as out:
                sample = run[name](Path(out) / "out")
            if round_ >= 0:
                samples[name].append(sample)
    return samples


def containers_section() -> None:
    """One run of tools/containers (engine, synth, build, start, browser), as table rows."""
    try:
        timings = check("dev", port=0)
    except ContainersError as exc:
        print(f"| containers | skipped: {str(exc).splitlines()[0]} | | |")
        return
    for stage, seconds in timings.items():
        print(f"| containers: {stage} | {seconds:.1f} s | | |")


def at_most(name: str, value: float, fmt: str, target: str, unit: str) -> Row:
    """A row whose ``value`` (shown with ``fmt``) must not exceed ``TARGETS[target]``."""
    limit = TARGETS[target]
    return (name, f"{value:{fmt}} {unit}", f"<= {limit:g} {unit}", value <= limit)


def rehearsal_row() -> Row:
    """One ``make rehearse`` (dev) in a private workdir: its wall time against the budget."""
    with tempfile.TemporaryDirectory(prefix="bench-rehearse-") as tmp:
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "tools.rehearsal", "--workdir", str(Path(tmp) / "rehearse")],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.monotonic() - started
    if proc.returncode != 0:
        return ("rehearsal (dev)", f"failed after {seconds:.0f} s", "passes", False)
    return at_most("rehearsal (dev), whole run", seconds, ".0f", "rehearsal_s", "s")


def _median(samples: list[Sample], attr: str) -> float:
    return float(statistics.median(getattr(s, attr) for s in samples))


def synth_table(samples: dict[str, list[Sample]]) -> list[str]:
    """The side-by-side table, with ratios to this project."""
    ours = samples[PROJECT]
    lines = [
        "| synth | wall (median) | CPU (median) | largest process (max) | process tree (max) "
        "| wall / this project | largest / this project |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, runs in samples.items():
        if name.startswith(without("")):
            continue  # (in the shares table)
        wall, largest = _median(runs, "seconds"), max(s.largest_mb for s in runs)
        lines.append(
            f"| {name} | {wall:.2f} s | {_median(runs, 'cpu_seconds'):.2f} s "
            f"| {largest:.0f} MB | {max(s.tree_mb for s in runs):.0f} MB "
            f"| {wall / _median(ours, 'seconds'):.2f}x "
            f"| {largest / max(s.largest_mb for s in ours):.2f}x |"
        )
    return lines


def shares_table(samples: dict[str, list[Sample]]) -> list[str]:
    """What each speed-up saves: this project's synth with only that one switched off."""
    ours = samples[PROJECT]
    wall, cpu = _median(ours, "seconds"), _median(ours, "cpu_seconds")
    lines = [
        "| speed-up (off switch) | without it: wall | CPU | largest process "
        f"| saves (wall) | share of {wall:.2f} s | saves (CPU) | share of {cpu:.2f} s CPU |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, switch in SPEED_UPS.items():
        runs = samples.get(without(name))
        if not runs:
            continue
        off_wall, off_cpu = _median(runs, "seconds"), _median(runs, "cpu_seconds")
        lines.append(
            f"| {name} (`{switch}=1`) | {off_wall:.2f} s | {off_cpu:.2f} s "
            f"| {max(s.largest_mb for s in runs):.0f} MB | {off_wall - wall:+.2f} s "
            f"| {(off_wall - wall) / wall:.0%} | {off_cpu - cpu:+.2f} s "
            f"| {(off_cpu - cpu) / cpu:.0%} |"
        )
    return lines


def target_rows(samples: dict[str, list[Sample]]) -> list[Row]:
    """This project's synth against the targets, and against the peer without validation."""
    ours = samples[PROJECT]
    wall, largest = _median(ours, "seconds"), max(s.largest_mb for s in ours)
    rows = [
        at_most("dev synth, this project (median wall)", wall, ".2f", "synth_s", "s"),
        at_most("dev synth, this project (largest process)", largest, ".0f", "largest_mb", "MB"),
    ]
    at_least = f">= {MIN_SHARE:.0%}"
    for name in SPEED_UPS:
        runs = samples.get(without(name))
        if runs:
            share = (_median(runs, "seconds") - wall) / wall
            rows.append(
                (f"{name}: share of the synth", f"{share:.0%}", at_least, share >= MIN_SHARE)
            )
    peer = samples.get(CDK_NO_VALIDATION)
    if peer:
        ratios = {
            "faster": _median(peer, "seconds") / wall,
            "less memory": max(s.largest_mb for s in peer) / largest,
        }
        rows += [
            (f"{what} than AWS CDK, validation off", f"{ratio:.2f}x", "> 1x", ratio > 1)
            for what, ratio in ratios.items()
        ]
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.perf.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--test-runs", type=int, default=1, help="unit test runs (default 1)")
    parser.add_argument(
        "--workdir", type=Path, default=ROOT / ".cache" / "bench", help="the peer's venv lives here"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the AWS CDK peer")
    parser.add_argument(
        "--no-shares", action="store_true", help="skip the runs with one speed-up switched off"
    )
    parser.add_argument("--no-containers", action="store_true", help="skip the containers section")
    parser.add_argument(
        "--no-rehearsal", action="store_true", help="skip the emulator rehearsal (minutes)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.test_runs < 0:
        print(f"error: --runs={args.runs} must be >= 1, --test-runs >= 0", file=sys.stderr)
        return 2
    args.workdir.mkdir(parents=True, exist_ok=True)
    try:
        run = runners(
            args.workdir.resolve(), with_peer=not args.no_peer, with_shares=not args.no_shares
        )
    except PeerError as exc:
        print(f"error: the AWS CDK peer: {exc} (--no-peer skips it)", file=sys.stderr)
        return 1
    load_before = os.getloadavg()
    samples = compare(run, args.runs)
    load_after = os.getloadavg()
    rows = target_rows(samples)
    tests = [
        measure(
            [sys.executable, "-m", "pytest", *UNIT_TEST_ARGS, "-x"],
            {k: v for k, v in os.environ.items() if k not in INHERITED},
        )
        for _ in range(args.test_runs)
    ]
    if tests:
        tests_s = _median(tests, "seconds")
        rows.append(at_most("unit tests, not e2e (median)", tests_s, ".1f", "tests_s", "s"))
    if not args.no_rehearsal:
        rows.append(rehearsal_row())
    print(
        f"rounds: {args.runs}; cpus: {os.cpu_count()}; load average before "
        f"{load_before[0]:.2f}, after {load_after[0]:.2f} (1 min); "
        f"Python {sys.version.split()[0]}; node {_node_version()}"
    )
    print("\n".join(synth_table(samples)))
    print()
    if not args.no_shares:
        print("\n".join(shares_table(samples)))
        print()
    print("| measure | value | target | met |\n| --- | --- | --- | --- |")
    for name, value, target, met in rows:
        print(
            f"| {name} | {value} | {target} | {'' if met is None else ('yes' if met else 'NO')} |"
        )
    if not args.no_containers:
        containers_section()
    for name, runs in samples.items():
        print(f"{name} runs (s):", " ".join(f"{s.seconds:.2f}" for s in runs))
    return 0 if all(met is not False for *_, met in rows) else 1


def _node_version() -> str:
    result = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
