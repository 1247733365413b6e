"""The AWS CDK peer of ``make bench``: its own venv, and how its synth is started.

The peer (``tools/perf/cdk_peer/app.py``) builds this project's dev topology with
aws-cdk-lib. aws-cdk-lib is not a project dependency: the peer gets a venv of its own
under the benchmark's work directory, installed from the pinned
``tools/perf/cdk_peer/requirements.txt`` once, and again only when that file changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

PEER_DIR = Path(__file__).resolve().parent / "cdk_peer"
APP = PEER_DIR / "app.py"
REQUIREMENTS = PEER_DIR / "requirements.txt"
# What this project sets for its own synths; none of it may reach the peer's.
PROJECT_ONLY = ("NODE_OPTIONS", "JSII_RUNTIME", "JSII_NODE", "PYTHONDONTWRITEBYTECODE")


class PeerError(RuntimeError):
    """The peer's venv could not be made (the message says why)."""


def ensure_venv(workdir: Path) -> Path:
    """The peer venv's python under ``workdir``, installed from the pinned requirements."""
    venv = workdir / "cdk-venv"
    python = venv / "bin" / "python"
    stamp = venv / "requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    steps = ([sys.executable, "-m", "venv", str(venv)], [*pip, "-r", str(REQUIREMENTS)])
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PeerError(f"{' '.join(step[:4])} failed: {result.stderr.strip()[-500:]}")
    stamp.write_text(digest)
    return python


def environment(outdir: Path, *, validation: bool) -> dict[str, str]:
    """The peer's environment: the shell's, without this project's settings."""
    env = {
        k: v for k, v in os.environ.items() if k not in PROJECT_ONLY and not k.startswith("CDKTF_")
    }
    env.update(CDK_OUTDIR=str(outdir), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    if not validation:
        env["CDK_VALIDATION"] = "false"  # aws-cdk-lib's switch for its template validation
    return env
