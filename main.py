"""Entry point for ``cdktf synth|diff|deploy``: builds every configured environment.

Settings come from environment variables (see ``config/loader.py``) and the
``context`` of cdktf.json. Bad settings print one error line, exit 2 and
leave no synthesized output behind.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import tools.provider_loader  # noqa: F401  (before any provider import: lazy loading)
from tools import jsii_node
from tools.terraform import install_lock_file

ROOT = Path(__file__).resolve().parent


def _forget_previous_synth(outdir: Path) -> None:
    """Drop earlier stack files so a stack no longer built cannot be deployed by mistake.

    Terraform's ``.terraform`` working directories are kept: they are only caches.
    """
    (outdir / "manifest.json").unlink(missing_ok=True)
    for stack_file in outdir.glob("stacks/*/cdk.tf.json"):
        stack_file.unlink()


def main() -> int:
    # jsii would print a large banner on Node 20, which cdktf-cli still supports.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    jsii_node.configure()  # before `import cdktf` starts node
    from config import load_environment, settings_from_env

    outdir = Path(os.environ.get("CDKTF_OUTDIR") or ROOT / "cdktf.out")
    try:
        context = json.loads((ROOT / "cdktf.json").read_text())["context"]
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
    except Exception as exc:
        # A failed synth must not leave stale or partial stacks to be deployed.
        shutil.rmtree(outdir, ignore_errors=True)
        kind = "" if isinstance(exc, ValueError) else f"{type(exc).__name__}: "
        print(f"error: {kind}{exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
