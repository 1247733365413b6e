"""Entry point for ``cdktf synth|diff|deploy``: builds every configured environment.

Settings come from environment variables (see ``config/loader.py``) and the
``context`` of cdktf.json. Bad settings print one error line, exit 2 and
leave no synthesized output behind. Any other failure is a bug: it prints the
traceback, exits 1 and also leaves no output.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import traceback
from pathlib import Path

from tools.perf import fast_synth
from tools.terraform import install_lock_file

ROOT = Path(__file__).resolve().parent


def _forget_previous_synth(outdir: Path) -> None:
    """Drop earlier stack files so a stack no longer built cannot be deployed by mistake.

    Terraform's ``.terraform`` working directories are kept: they are only caches.
    """
    (outdir / "manifest.json").unlink(missing_ok=True)
    for stack_file in outdir.glob("stacks/*/cdk.tf.json"):
        stack_file.unlink()


def _context(path: Path) -> dict[str, object]:
    """The ``context`` object of cdktf.json; a broken file is an input error."""
    from config import ConfigError

    try:
        context = json.loads(path.read_text())["context"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError("cdktf.json context", str(path), f"unreadable ({exc})") from None
    if not isinstance(context, dict):
        raise ConfigError("cdktf.json context", context, "must be a JSON object")
    return context


def main() -> int:
    fast_synth.enable(one_short_run=True)  # before any provider import and `import cdktf`
    # jsii would print a large banner on Node 20, which cdktf-cli still supports.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from config import ConfigError, load_environment, settings_from_env

    outdir = Path(os.environ.get("CDKTF_OUTDIR") or ROOT / "cdktf.out")
    try:
        context = _context(ROOT / "cdktf.json")
        settings = settings_from_env(os.environ, context)
        # Validate every environment before synthesizing any of them.
        envs = [load_environment(name, settings) for name in settings.envs]
        # Imported only after the config is valid: the provider bindings are slow to load.
        from cdktf import App

        from modules.environment import build_environment

        _forget_previous_synth(outdir)
        app = App(outdir=str(outdir))
        for env in envs:
            build_environment(app, env, apps_dir=ROOT / "apps")
        app.synth()
        # Every stack pins its providers with the committed lock file.
        for stack_dir in sorted(outdir.glob("stacks/*/")):
            install_lock_file(stack_dir)
    except ConfigError as exc:
        # Bad input: one line naming the field and the value, and no stale or partial stacks.
        shutil.rmtree(outdir, ignore_errors=True)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception:
        # Anything else is a bug, not an input error: show where it happened.
        shutil.rmtree(outdir, ignore_errors=True)
        traceback.print_exc()
        print(
            "error: synth failed unexpectedly (traceback above); no stacks were written",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
