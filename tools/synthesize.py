"""Run ``main.py`` in a fresh process into a directory, with pinned settings.

The tools that need synthesized stacks (validate, security, diagram, bench) use
this module, so the caller's shell settings (``ENVS``, ``TARGET``,
``STATE_BACKEND``, ...) never leak into what they check, and ``synth_settings``
is the one place their settings (and the tests') come from.
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
    "EMULATOR_SESSION",
    "DELETION_PROTECTION",
    "CONFIG_OVERRIDES",
    "GITHUB_REPOSITORY",
    "GITHUB_OIDC_PROVIDER",
    "BOOTSTRAP_STATE_BUCKET",
)


# Every stack of both environments as for real AWS, images built by the images stack.
# The bucket only names the S3 backend; nothing reads or writes it during a synth.
AWS_SETTINGS = {
    "ENVS": "dev,prod",
    "TARGET": "aws",
    "TF_STATE_BUCKET": "synth-only-state",
    "IMAGE_SOURCE": "build",
}


class SynthError(RuntimeError):
    """main.py exited non-zero; the message carries its error output."""


def synth_settings(**overrides: str) -> dict[str, str]:
    """The settings a tool or test synthesizes with: ``AWS_SETTINGS`` and ``overrides``,
    e.g. ``synth_settings(ENVS="dev", APP_VERSION="1.2.3")``. Unset settings take
    config/loader.py's defaults (APP_VERSION: cdktf.json's ``context.appVersion``)."""
    return {**AWS_SETTINGS, **overrides}


def synth_environ(outdir: Path | str, settings: Mapping[str, str]) -> dict[str, str]:
    """The environment main.py runs in: this process's, without any of ``SETTINGS_VARS``
    (so the caller's shell cannot change what is synthesized), plus ``settings`` and
    ``CDKTF_OUTDIR``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    env.update(settings)
    env["CDKTF_OUTDIR"] = str(outdir)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return env


def synthesize(outdir: Path, settings: Mapping[str, str]) -> Path:
    """Synthesize with exactly ``settings`` into ``outdir``; returns ``outdir``."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        env=synth_environ(outdir, settings),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SynthError(f"synth with {dict(settings)} failed:\n{result.stderr.strip()}")
    return outdir
