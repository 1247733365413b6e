"""Options for the node process that jsii starts to run cdktf and the providers.

``configure()`` runs jsii's kernel in one node process (``tools/perf/jsii_runtime.py``),
which loads three hooks, in this order (with jsii's own runtime they go into
``NODE_OPTIONS`` instead; docs/performance.md):

- ``tools/perf/code_cache.cjs``: keeps V8's code cache of every module it compiles under
  ``.cache/node-code-cache/`` and reuses it on the next start (``CDKTF_NO_CODE_CACHE=1``
  turns it off). It replaces node's compile step, so it must be the first.
- ``tools/perf/lazy_index.cjs``: the provider packages' ``lib/index.js`` requires each
  submodule on first use instead of all ~2,100 at once (``CDKTF_EAGER_INDEX=1`` turns
  it off). Which package versions it may rewrite comes from ``tools.perf.provider_loader``'s
  verified versions, through ``CDKTF_LAZY_INDEX``; another version loads eagerly, with
  one warning.
- ``tools/perf/strip_sourcemaps.cjs``: drops the inline source maps of loaded JavaScript
  modules before node compiles them (``CDKTF_KEEP_SOURCEMAPS=1`` turns it off).

All leave the synthesized output byte-identical (tests/unit/test_provider_loader.py).
``configure()`` must run before the first ``import cdktf``, which starts node.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from tools.perf import jsii_runtime
from tools.perf.provider_loader import AWS, DOCKER


@dataclass(frozen=True)
class Hook:
    """A ``--require`` script and the variable that turns it off."""

    path: Path
    disable_env_var: str

    def require_flag(self) -> str:
        """``--require="<path>"``, quoted the way NODE_OPTIONS parses it."""
        return f"--require={json.dumps(str(self.path))}"


HERE = Path(__file__).resolve().parent
CODE_CACHE = Hook(HERE / "code_cache.cjs", "CDKTF_NO_CODE_CACHE")
LAZY_INDEX = Hook(HERE / "lazy_index.cjs", "CDKTF_EAGER_INDEX")
STRIP_SOURCEMAPS = Hook(HERE / "strip_sourcemaps.cjs", "CDKTF_KEEP_SOURCEMAPS")
HOOKS = (CODE_CACHE, LAZY_INDEX, STRIP_SOURCEMAPS)  # the order node loads them in
CODE_CACHE_DIR = HERE.parents[1] / ".cache" / "node-code-cache"
CODE_CACHE_ENV_VAR = "CDKTF_CODE_CACHE"
HOOKS_ENV_VAR = "CDKTF_NODE_HOOKS"  # read by tools/perf/jsii_runtime.cjs
# The packages (and versions) whose lib/index.js layout lazy_index.cjs was verified on.
LAZY_INDEX_PACKAGES = {p.jsii_assembly: sorted(p.supported_versions) for p in (AWS, DOCKER)}
LAZY_INDEX_ENV_VAR = "CDKTF_LAZY_INDEX"


def configure(environ: MutableMapping[str, str] = os.environ) -> list[Hook]:
    """Arrange for the hooks not turned off to load into the kernel; returns those.

    With the one-process runtime, the runtime loads them itself (``CDKTF_NODE_HOOKS``),
    so no other node process started from here (npx, cdktf-cli) gets them; with jsii's
    own runtime they go at the end of ``NODE_OPTIONS``. Either way their order is set
    anew, also over what a parent process configured.
    """
    in_runtime = jsii_runtime.configure(environ)
    active = [hook for hook in HOOKS if environ.get(hook.disable_env_var) != "1"]
    for hook in active:
        if not hook.path.is_file():
            raise FileNotFoundError(
                f"{hook.path} is missing; set {hook.disable_env_var}=1 to run without it"
            )
    options = environ.get("NODE_OPTIONS", "")
    for hook in HOOKS:
        options = options.replace(f" {hook.require_flag()}", "").replace(hook.require_flag(), "")
    if in_runtime and active:
        environ[HOOKS_ENV_VAR] = os.pathsep.join(str(hook.path) for hook in active)
    else:
        environ.pop(HOOKS_ENV_VAR, None)
        if not in_runtime:
            options = " ".join([options.strip(), *(hook.require_flag() for hook in active)])
    if options.strip():
        environ["NODE_OPTIONS"] = options.strip()
    else:
        environ.pop("NODE_OPTIONS", None)
    if LAZY_INDEX in active:
        environ[LAZY_INDEX_ENV_VAR] = json.dumps(LAZY_INDEX_PACKAGES, separators=(",", ":"))
    if CODE_CACHE in active:
        environ[CODE_CACHE_ENV_VAR] = str(CODE_CACHE_DIR)
    return active
