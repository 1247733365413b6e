"""Run jsii's kernel in one node process instead of two (docs/performance.md).

jsii's client starts ``node <its runtime script>``, and that script starts a second node
for the kernel and relays every message between them. ``configure()`` points jsii at
``tools/perf/jsii_runtime.cjs`` instead (``JSII_RUNTIME``), which runs the same kernel, jsii's
own ``lib/program.js``, in the first process. Only for the jsii version and kernel file
verified here: anything else prints one warning and keeps jsii's own runtime.

The kernel file is copied unchanged from the jsii package to
``.cache/jsii-runtime/<version>-<digest>/lib/`` (beside its index worker, which it
finds by its own directory), so site-packages is never written to. A ``JSII_RUNTIME``
set by someone else wins; a ``JSII_NODE`` set by someone else is the node that runs it.
``CDKTF_STOCK_RUNTIME=1`` turns this off.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNTIME = HERE / "jsii_runtime.cjs"
LAUNCHER = HERE / "jsii-node.sh"
CACHE = HERE.parents[1] / ".cache" / "jsii-runtime"
DISABLE_ENV_VAR = "CDKTF_STOCK_RUNTIME"
# jsii version -> sha256 of its embedded lib/program.js, as verified with jsii_runtime.cjs.
VERIFIED = {"1.142.0": "ae39a922c041b41d2fc0acc0164699f779b7afd48f50aad05b3f70d3b96a0841"}
# The embedded files the kernel needs, and their names in the kernel's lib/ directory.
KERNEL_FILES = {
    "lib__program.js": "program.js",
    "lib__runtime-index-worker.js": "runtime-index-worker.js",
}


def _warn(why: str) -> None:
    print(
        f"warning: tools/perf/jsii_runtime.py: {why}; jsii's own runtime is used "
        "(the synth is unchanged, only slower).",
        file=sys.stderr,
    )


def _embedded_dir() -> Path | None:
    spec = importlib.util.find_spec("jsii")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "_embedded" / "jsii"


def _kernel_copy(embedded: Path, version: str, digest: str) -> Path:
    """The verified kernel's directory under .cache/, written once (atomically)."""
    target = CACHE / f"{version}-{digest[:16]}"
    if not (target / "lib" / "program.js").is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=CACHE))
        (staging / "lib").mkdir()
        for source, name in KERNEL_FILES.items():
            shutil.copyfile(embedded / source, staging / "lib" / name)
        try:
            staging.rename(target)
        except OSError:  # another synth got there first: its copy is the same
            shutil.rmtree(staging, ignore_errors=True)
    return target / "lib" / "program.js"


def _undo(environ: MutableMapping[str, str]) -> None:
    """Drop what a ``configure()`` of a parent process left in an inherited environment."""
    if environ.get("JSII_RUNTIME") == str(RUNTIME):
        del environ["JSII_RUNTIME"]
        environ.pop("CDKTF_JSII_PROGRAM", None)
    if environ.get("JSII_NODE") == str(LAUNCHER):
        del environ["JSII_NODE"]
        if "CDKTF_JSII_NODE" in environ:
            environ["JSII_NODE"] = environ.pop("CDKTF_JSII_NODE")


def configure(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Point jsii at the one-process runtime; False when off or not verified (warns)."""
    if environ.get(DISABLE_ENV_VAR) == "1":
        _undo(environ)
        return False
    if environ.get("JSII_RUNTIME", str(RUNTIME)) != str(RUNTIME):
        return False  # someone chose their own runtime
    version = importlib.metadata.version("jsii")
    embedded = _embedded_dir()
    if version not in VERIFIED or embedded is None:
        _warn(f"jsii {version} is not a verified version ({', '.join(sorted(VERIFIED))})")
        return False
    try:
        digest = hashlib.sha256((embedded / "lib__program.js").read_bytes()).hexdigest()
    except OSError as exc:
        _warn(f"jsii {version}'s kernel cannot be read ({exc})")
        return False
    if digest != VERIFIED[version]:
        _warn(f"jsii {version}'s lib/program.js is not the verified file (sha256 {digest})")
        return False
    program = _kernel_copy(embedded, version, digest)
    if environ.get("JSII_NODE", str(LAUNCHER)) != str(LAUNCHER):
        environ["CDKTF_JSII_NODE"] = environ["JSII_NODE"]
    environ.update(JSII_RUNTIME=str(RUNTIME), JSII_NODE=str(LAUNCHER))
    environ["CDKTF_JSII_PROGRAM"] = str(program)
    return True
