"""Options for the node process that jsii starts to run cdktf and the providers.

``configure()`` adds ``--require tools/perf/strip_sourcemaps.cjs`` to ``NODE_OPTIONS``,
which drops the inline source maps of loaded JavaScript modules before node compiles
them. Measured on a tiny stack: ~0.35 s and ~145 MB less per synth, identical output
(docs/performance.md). ``CDKTF_KEEP_SOURCEMAPS=1`` turns it off. It must run before
the first ``import cdktf``, which starts the node process.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from pathlib import Path

HOOK = Path(__file__).resolve().with_name("strip_sourcemaps.cjs")
DISABLE_ENV_VAR = "CDKTF_KEEP_SOURCEMAPS"


def require_flag() -> str:
    """``--require="<hook path>"``, quoted the way NODE_OPTIONS parses it."""
    return f"--require={json.dumps(str(HOOK))}"


def configure(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Add the hook to ``NODE_OPTIONS`` (once). False when turned off."""
    if environ.get(DISABLE_ENV_VAR) == "1":
        return False
    if not HOOK.is_file():
        raise FileNotFoundError(f"{HOOK} is missing; set {DISABLE_ENV_VAR}=1 to run without it")
    current = environ.get("NODE_OPTIONS", "")
    if require_flag() not in current:
        environ["NODE_OPTIONS"] = f"{current} {require_flag()}".strip()
    return True
