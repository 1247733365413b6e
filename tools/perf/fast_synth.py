"""Fast synth: the speed-ups of a synth that pay (docs/performance.md), in one place.

``main.py`` calls ``enable(one_short_run=True)`` first thing, ``tests/conftest.py`` calls
``enable()``: before any provider import and before ``import cdktf`` starts jsii's node.
Each speed-up has an off switch (set it to ``1``); all off is plain cdktf, byte for byte.

- **Lazy provider imports** (``CDKTF_STOCK_IMPORTS``). The prebuilt bindings' ``__init__.py``
  (``cdktf-cdktf-provider-aws``) runs ``from . import <submodule>`` for all 2,135 resources
  of hashicorp/aws. A finder at the front of ``sys.meta_path`` gives the provider packages a
  loader that does what that ``__init__.py`` does (``__path__``, ``__doc__``, ``__all__``,
  ``from ._jsii import *``) except those imports: a submodule is imported on first use
  (``import`` or a PEP 562 ``__getattr__``), and jsii learns where each lives
  (``jsii._reference_map._submodule_fqn_map``) to import one when it meets its type.
- **Lazy JavaScript index** (``CDKTF_EAGER_INDEX``). ``lazy_index.cjs``, in ``NODE_OPTIONS``,
  compiles the provider's ``lib/index.js`` (``exports.x = require("./x")`` for every
  submodule) with each ``require`` deferred to the first read of its export.
- **One-process kernel** (``CDKTF_STOCK_RUNTIME``). jsii's runtime script starts a second
  node for its kernel and relays every message; ``jsii_runtime.cjs`` (``JSII_RUNTIME``, started
  by ``jsii-node.sh`` with ``--preserve-symlinks``) runs jsii's own kernel, ``lib/program.js``
  copied unchanged to ``.cache/jsii-runtime/``, in the first process, and serves the 32 MB
  type-definition file of hashicorp/aws by byte ranges instead of reading it whole.
- **No cyclic GC in one short run** (``CDKTF_KEEP_GC``; ``one_short_run=True`` only): the
  collector is off and everything is frozen at exit, so no collection walks the ~75,000
  objects the bindings create.

They rely on the exact files of the provider versions in ``PROVIDERS`` and of jsii
``JSII_VERSION``; anything else fails loudly, never silently slower, with a message that
names the switch to synthesize without the speed-up (docs/performance.md says where each
fails). Nothing in site-packages or node_modules is written.
"""

from __future__ import annotations

import ast
import atexit
import gc
import hashlib
import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import os
import pkgutil
import re
import shutil
import sys
import tempfile
import types
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STOCK_IMPORTS = "CDKTF_STOCK_IMPORTS"  # off switch of the lazy Python imports
EAGER_INDEX = "CDKTF_EAGER_INDEX"  # off switch of the lazy JavaScript index
STOCK_RUNTIME = "CDKTF_STOCK_RUNTIME"  # off switch of the one-process kernel
KEEP_GC = "CDKTF_KEEP_GC"  # off switch of the GC settings of one short run
SWITCHES = (STOCK_IMPORTS, EAGER_INDEX, STOCK_RUNTIME, KEEP_GC)
HERE = Path(__file__).resolve().parent
LAZY_INDEX = HERE / "lazy_index.cjs"
RUNTIME, LAUNCHER = HERE / "jsii_runtime.cjs", HERE / "jsii-node.sh"
KERNEL_CACHE = HERE.parents[1] / ".cache" / "jsii-runtime"
# The jsii version, and the sha256 of its lib/program.js, that jsii_runtime.cjs runs.
JSII_VERSION = "1.142.0"
PROGRAM_SHA256 = "ae39a922c041b41d2fc0acc0164699f779b7afd48f50aad05b3f70d3b96a0841"
LAZY_INDEX_ENV_VAR = "CDKTF_LAZY_INDEX"  # the verified versions, for lazy_index.cjs


class FastSynthError(RuntimeError):
    """What the speed-ups were verified on has changed, or they are enabled too late."""


@dataclass(frozen=True)
class ProviderPackage:
    module: str  # top-level import name
    distribution: str  # name in importlib.metadata
    jsii_assembly: str  # the npm package, first argument of JSIIAssembly.load in <module>/_jsii
    supported_versions: frozenset[str]  # versions whose layout was verified


AWS = ProviderPackage(
    "cdktf_cdktf_provider_aws",
    "cdktf-cdktf-provider-aws",
    "@cdktf/provider-aws",
    frozenset({"20.1.0"}),
)
DOCKER = ProviderPackage(
    "cdktf_cdktf_provider_docker",
    "cdktf-cdktf-provider-docker",
    "@cdktf/provider-docker",
    frozenset({"12.0.3"}),
)
PROVIDERS = (AWS, DOCKER)


def _off(environ: Mapping[str, str], switch: str) -> bool:
    return environ.get(switch, "").strip().lower() in {"1", "true", "yes", "on"}


def _error(pkg: ProviderPackage, what: str, switch: str = STOCK_IMPORTS) -> FastSynthError:
    return FastSynthError(
        f"{pkg.module} ({pkg.distribution}): {what}. tools/perf/fast_synth.py was verified on "
        f"{', '.join(sorted(pkg.supported_versions))} only: add the new version to its "
        f"supported_versions once tests/unit/test_fast_synth.py passes with it, or set "
        f"{switch}=1 to synthesize without this speed-up (slower, same output)."
    )


def _check_version(pkg: ProviderPackage, switch: str) -> str:
    try:
        version = importlib.metadata.version(pkg.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise _error(pkg, "not installed", switch) from None
    if version not in pkg.supported_versions:
        raise _error(pkg, f"installed version is {version}", switch)
    return version


# ------------------------------------------------------------------ the __init__.py check

# Statements of the stock __init__.py that only define private names or import modules.
_PREAMBLE_IMPORTS = {"abc", "builtins", "datetime", "enum", "typing", "jsii", "publication"}
_PREAMBLE_IMPORTS |= {"typing_extensions", "typeguard"}


@dataclass(frozen=True)
class _Layout:
    doc: str | None
    all_names: tuple[str, ...]
    submodules: tuple[str, ...]


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _classify(stmt: ast.stmt) -> tuple[str, Any]:
    """(kind, payload) of one top-level statement of the stock ``__init__.py``."""
    if isinstance(stmt, ast.ImportFrom):
        names = [(a.name, a.asname) for a in stmt.names]
        if stmt.level == 1 and stmt.module is None and len(names) == 1 and names[0][1] is None:
            return "submodule", names[0][0]
        if stmt.level == 1 and stmt.module == "_jsii" and names == [("*", None)]:
            return "jsii_star", None
        if (stmt.level, stmt.module, names) in (
            (0, "pkgutil", [("extend_path", None)]),
            (0, "importlib.metadata", [("version", "_metadata_package_version")]),
        ):
            return "preamble", None
    elif isinstance(stmt, ast.Import):
        if all(a.asname is None and a.name in _PREAMBLE_IMPORTS for a in stmt.names):
            return "preamble", None
    elif isinstance(stmt, ast.FunctionDef) and stmt.name == "check_type":
        return "preamble", None
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
        if _is_name(target, "TYPEGUARD_MAJOR_VERSION"):
            return "preamble", None
        if _is_name(target, "__path__") and ast.unparse(value) == "extend_path(__path__, __name__)":
            return "extend_path", None
        if (
            _is_name(target, "__all__")
            and isinstance(value, ast.List)
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts)
        ):
            return "all", tuple(str(getattr(e, "value", "")) for e in value.elts)
    elif isinstance(stmt, ast.Expr) and ast.unparse(stmt) == "publication.publish()":
        return "publish", None
    return "unknown", None


def _inspect(pkg: ProviderPackage, pkg_dir: Path) -> _Layout:
    """What the stock ``__init__.py`` defines; raises ``FastSynthError`` for another shape."""
    version = _check_version(pkg, STOCK_IMPORTS)
    init = pkg_dir / "__init__.py"
    try:
        tree = ast.parse(init.read_bytes(), filename=str(init))
    except (OSError, SyntaxError) as exc:
        raise _error(pkg, f"cannot parse {init}: {exc}") from exc
    doc = ast.get_docstring(tree, clean=False)
    counts: dict[str, int] = {}
    submodules: list[str] = []
    all_names: tuple[str, ...] = ()
    for stmt in tree.body[1:] if doc is not None else tree.body:
        kind, payload = _classify(stmt)
        if kind == "unknown":
            raise _error(pkg, f"{init}:{stmt.lineno} is new: {ast.unparse(stmt)[:200]!r}")
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "submodule":
            submodules.append(payload)
        elif kind == "all":
            all_names = payload
    for kind in ("extend_path", "jsii_star", "all", "publish"):
        if counts.get(kind) != 1:
            raise _error(pkg, f"{init} has {counts.get(kind, 0)} {kind!r} statements, not 1")
    if not submodules or len(set(submodules)) != len(submodules) or "_jsii" in submodules:
        raise _error(pkg, f"{init} has no, duplicate or reserved submodule imports")
    if set(all_names) - set(submodules):
        raise _error(
            pkg,
            f"__all__ names no imported submodule: {sorted(set(all_names) - set(submodules))[:5]}",
        )
    with os.scandir(pkg_dir) as entries:
        missing = set(submodules) - {e.name for e in entries if e.is_dir()}
    if missing:
        raise _error(pkg, f"submodule directories missing from {pkg_dir}: {sorted(missing)[:5]}")
    jsii_init = pkg_dir / "_jsii" / "__init__.py"
    load = (
        rf'jsii\.JSIIAssembly\.load\(\s*"{re.escape(pkg.jsii_assembly)}",\s*"{re.escape(version)}",'
    )
    if not jsii_init.is_file() or not re.search(load, jsii_init.read_text()):
        raise _error(pkg, f"{jsii_init} does not load {pkg.jsii_assembly} {version}")
    return _Layout(doc, all_names, tuple(submodules))


def _jsii_fqn_map() -> dict[str, str]:
    """jsii's map of submodule type names to Python modules (an internal of jsii 1.x)."""
    from jsii import _reference_map

    fqn_map = getattr(_reference_map, "_submodule_fqn_map", None)
    if not isinstance(fqn_map, dict):
        raise FastSynthError(
            f"jsii {importlib.metadata.version('jsii')} has no dict "
            "jsii._reference_map._submodule_fqn_map, which tools/perf/fast_synth.py registers "
            f"the unimported provider submodules in; set {STOCK_IMPORTS}=1 to synthesize "
            "without the lazy imports."
        )
    return fqn_map


def _lower_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


# ------------------------------------------------------------------------- import hooks


class _LazyPackageLoader(importlib.machinery.SourceFileLoader):
    """Sets a provider package up as its ``__init__.py`` would, without the submodules."""

    def __init__(self, fullname: str, path: str, pkg: ProviderPackage) -> None:
        super().__init__(fullname, path)
        self.provider = pkg

    def exec_module(self, module: types.ModuleType) -> None:
        pkg, name = self.provider, module.__name__
        layout = _inspect(pkg, Path(self.path).parent)
        submodules = frozenset(layout.submodules)

        def __getattr__(attr: str) -> Any:
            if attr in submodules:
                return importlib.import_module(f"{name}.{attr}")
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")

        def __dir__() -> list[str]:
            return sorted(set(vars(module)) | submodules)

        module.__doc__ = layout.doc
        module.__path__ = pkgutil.extend_path(list(module.__path__), name)
        vars(module).update(
            __all__=list(layout.all_names), __getattr__=__getattr__, __dir__=__dir__
        )
        importlib.import_module(f"{name}._jsii")  # loads the assembly, like `from ._jsii import *`
        vars(module).pop("_jsii", None)  # (publication.publish() drops it from the stock module)
        fqn_map = _jsii_fqn_map()
        for sub in layout.submodules:
            fqn_map.setdefault(f"{pkg.jsii_assembly}.{_lower_camel(sub)}", f"{name}.{sub}")


class _SubmoduleLoader(importlib.machinery.SourceFileLoader):
    """The stock loader of a provider submodule; a failure names this module."""

    def exec_module(self, module: types.ModuleType) -> None:
        try:
            super().exec_module(module)
        except FastSynthError:
            raise
        except Exception as exc:
            raise FastSynthError(
                f"{module.__name__} failed to import under tools/perf/fast_synth.py "
                f"({type(exc).__name__}: {exc}); if it imports with {STOCK_IMPORTS}=1, it "
                "relies on something its package's __init__.py does that the lazy loader does not."
            ) from exc


class _LazyProviderFinder:
    """``sys.meta_path`` finder for the provider packages and their direct submodules."""

    def __init__(self, providers: tuple[ProviderPackage, ...]) -> None:
        self.providers = {p.module: p for p in providers}

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        top, _, rest = fullname.partition(".")
        pkg = self.providers.get(top)
        if pkg is None or "." in rest:
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None:
            return None
        if type(real.loader) is not importlib.machinery.SourceFileLoader or not real.origin:
            raise _error(pkg, f"{fullname} is not a plain source install ({real.loader!r})")
        loader: importlib.machinery.SourceFileLoader
        if rest:
            loader = _SubmoduleLoader(fullname, real.origin)
        else:
            loader = _LazyPackageLoader(fullname, real.origin, pkg)
        return importlib.util.spec_from_file_location(
            fullname,
            real.origin,
            loader=loader,
            submodule_search_locations=real.submodule_search_locations,
        )


def is_lazy_module(module: object) -> bool:
    """True if ``module`` is a provider package set up by the lazy loader."""
    return isinstance(
        getattr(getattr(module, "__spec__", None), "loader", None), _LazyPackageLoader
    )


def _enable_lazy_imports() -> None:
    if any(isinstance(f, _LazyProviderFinder) for f in sys.meta_path):
        return
    for pkg in PROVIDERS:
        if pkg.module in sys.modules and not is_lazy_module(sys.modules[pkg.module]):
            raise FastSynthError(
                f"{pkg.module} was imported before tools.perf.fast_synth.enable(), so all its "
                "submodules are loaded: call enable() before any provider import."
            )
        _check_version(pkg, STOCK_IMPORTS)
    _jsii_fqn_map()
    sys.meta_path.insert(0, _LazyProviderFinder(PROVIDERS))


def _node_options(environ: MutableMapping[str, str], lazy_index: bool) -> None:
    """Add (or, switched off, remove) the lazy index hook in ``NODE_OPTIONS``."""
    flag = f"--require={json.dumps(str(LAZY_INDEX))}"
    options = " ".join(o for o in environ.get("NODE_OPTIONS", "").split(" ") if o and o != flag)
    if lazy_index:
        for pkg in PROVIDERS:
            _check_version(pkg, EAGER_INDEX)
        verified = {p.jsii_assembly: sorted(p.supported_versions) for p in PROVIDERS}
        environ[LAZY_INDEX_ENV_VAR] = json.dumps(verified, separators=(",", ":"))
        options = f"{options} {flag}".strip()
    if options:
        environ["NODE_OPTIONS"] = options
    else:
        environ.pop("NODE_OPTIONS", None)


def _kernel_error(what: str) -> FastSynthError:
    return FastSynthError(
        f"{what}: tools/perf/jsii_runtime.cjs runs jsii {JSII_VERSION}'s kernel only (sha256 "
        f"{PROGRAM_SHA256[:12]}...). Check the new kernel with tests/unit/test_fast_synth.py "
        f"and update JSII_VERSION and PROGRAM_SHA256 in tools/perf/fast_synth.py, or set "
        f"{STOCK_RUNTIME}=1 to synthesize with jsii's own runtime (slower, same output)."
    )


def _kernel_copy() -> Path:
    """jsii's kernel files, checked, copied once (atomically) under .cache/jsii-runtime/."""
    version = importlib.metadata.version("jsii")
    if version != JSII_VERSION:
        raise _kernel_error(f"jsii {version} is installed")
    spec = importlib.util.find_spec("jsii")
    assert spec is not None and spec.submodule_search_locations
    embedded = Path(next(iter(spec.submodule_search_locations))) / "_embedded" / "jsii"
    try:
        digest = hashlib.sha256((embedded / "lib__program.js").read_bytes()).hexdigest()
    except OSError as exc:
        raise _kernel_error(f"jsii {version}'s lib/program.js cannot be read ({exc})") from exc
    if digest != PROGRAM_SHA256:
        raise _kernel_error(f"jsii {version}'s lib/program.js has sha256 {digest}")
    target = KERNEL_CACHE / f"{version}-{digest[:16]}" / "lib"
    if not (target / "program.js").is_file():
        KERNEL_CACHE.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=KERNEL_CACHE))
        (staging / "lib").mkdir()
        # (the kernel finds its index worker beside itself)
        for name in ("program.js", "runtime-index-worker.js"):
            shutil.copyfile(embedded / f"lib__{name}", staging / "lib" / name)
        try:
            staging.rename(target.parent)
        except OSError:  # another synth got there first: its copy is the same
            shutil.rmtree(staging, ignore_errors=True)
    return target / "program.js"


def _runtime(environ: MutableMapping[str, str], on: bool) -> None:
    """Point jsii at the one-process runtime, or (switched off) undo what a parent did."""
    if not on:
        if environ.get("JSII_RUNTIME") == str(RUNTIME):
            del environ["JSII_RUNTIME"]
        if environ.get("JSII_NODE") == str(LAUNCHER):
            del environ["JSII_NODE"]
            if "CDKTF_JSII_NODE" in environ:  # the node a user chose
                environ["JSII_NODE"] = environ.pop("CDKTF_JSII_NODE")
        return
    if environ.get("JSII_RUNTIME", str(RUNTIME)) != str(RUNTIME):
        return  # a runtime the user chose
    environ["CDKTF_JSII_PROGRAM"] = str(_kernel_copy())
    if environ.get("JSII_NODE", str(LAUNCHER)) != str(LAUNCHER):
        environ["CDKTF_JSII_NODE"] = environ["JSII_NODE"]  # jsii-node.sh runs that node
    environ.update(JSII_RUNTIME=str(RUNTIME), JSII_NODE=str(LAUNCHER))


def enable(environ: MutableMapping[str, str] = os.environ, *, one_short_run: bool = False) -> None:
    """Turn on the speed-ups not switched off; idempotent. Call before any provider import
    and before ``import cdktf``. ``one_short_run``: this process only synthesizes and exits
    (``main.py``), so it may also do without the cyclic GC. Raises ``FastSynthError`` when
    what the speed-ups were verified on has changed."""
    if not _off(environ, STOCK_IMPORTS):
        _enable_lazy_imports()
    _node_options(environ, lazy_index=not _off(environ, EAGER_INDEX))
    _runtime(environ, on=not _off(environ, STOCK_RUNTIME))
    if one_short_run and not _off(environ, KEEP_GC) and gc.isenabled():
        gc.disable()
        atexit.register(gc.freeze)  # (atexit runs before the collections of shutdown)
