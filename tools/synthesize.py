"""Run ``main.py`` in a fresh process into a directory, with pinned settings.

The tools that need synthesized stacks (validate, security, diagram) use this
one function, so the caller's shell settings (``ENVS``, ``TARGET``,
``STATE_BACKEND``, ...) never leak into what they check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every variable config/loader.py reads; unset unless the caller pins it.
SETTINGS_VARS = (
    "ENVS",
    "TARGET",
    "TF_STATE_BUCKET",
    "STATE_BACKEND",
    "APP_VERSION",
    "IMAGE_SOURCE",
    "EMULATOR_ENDPOINT",
    "DELETION_PROTECTION",
    "CONFIG_OVERRIDES",
)


class SynthError(RuntimeError):
    """main.py exited non-zero; the message carries its error output."""


def synthesize(outdir: Path, settings: Mapping[str, str]) -> Path:
    """Synthesize with exactly ``settings`` into ``outdir``; returns ``outdir``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.update(settings)
    env["CDKTF_OUTDIR"] = str(outdir)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SynthError(f"synth with {dict(settings)} failed:\n{result.stderr.strip()}")
    return outdir
