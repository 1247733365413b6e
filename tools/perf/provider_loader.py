"""Lazy submodule loading for the prebuilt CDKTF provider packages.

Why this exists
---------------
The prebuilt provider bindings on PyPI (``cdktf-cdktf-provider-aws`` 20.1.0 here) ship a
package ``__init__.py`` that eagerly runs ``from . import <submodule>`` for every one of the
provider's 2,135 resources and data sources. Importing *anything* from the package, even
``from cdktf_cdktf_provider_aws.vpc import Vpc``, therefore imports all of them (4,270
modules counting the ``publication`` twins): 10-25 s and ~500 MB of extra Python RSS on this
machine (docs/performance.md). Upstream cdktf fixed this only for locally
generated bindings (hashicorp/terraform-cdk PR #3030); the prebuilt packages still import
eagerly (hashicorp/terraform-cdk issue #3753).

How it works
------------
``install()`` (called automatically when this module is imported) puts a small finder at
the front of ``sys.meta_path``. When a package in ``PROVIDERS`` (``cdktf_cdktf_provider_aws``
and ``cdktf_cdktf_provider_docker``) is first imported, the finder locates the
real, unmodified package on disk with ``importlib.machinery.PathFinder`` and hands the
import system a spec for the *same* directory and ``__init__.py`` (so ``__path__``,
``__file__``, ``__spec__`` and ``__cached__`` are what they would be), but whose loader does
NOT execute ``__init__.py``. Instead it checks the file has the expected shape (see Failure
mode) and reproduces its observable effect without the submodule imports:

* ``__path__ = pkgutil.extend_path(__path__, __name__)``; ``__doc__`` and ``__all__`` are
  taken from the real file;
* ``<package>._jsii`` is imported, exactly as the real ``from ._jsii import *`` does; this
  loads the jsii assembly (``jsii.JSIIAssembly.load``) into the jsii kernel;
* each submodule the real file would import is instead imported on first use: by the
  normal import system (``from cdktf_cdktf_provider_aws.vpc import Vpc``) or through a
  PEP 562 module ``__getattr__`` (``cdktf_cdktf_provider_aws.vpc`` after a bare
  ``import cdktf_cdktf_provider_aws``);
* the provider's jsii submodule names are added to jsii's lazy type-resolution map
  (``jsii._reference_map._submodule_fqn_map``; present in jsii 1.142, skipped if absent),
  so if the JavaScript side ever hands back an object whose Python class lives in a
  submodule that was never imported, jsii imports it instead of failing with
  "Unknown type" (with the stock package every class is always registered).

Everything the real ``__init__.py`` defines beyond that (``check_type``,
``TYPEGUARD_MAJOR_VERSION``, the ``_private`` namespace created by
``publication.publish()``) is private: no submodule uses it (each submodule defines its own
copy and only does ``from .._jsii import *``), so ``cdktf_cdktf_provider_aws._private``
does not exist under the loader. Submodules are loaded from the real files, unchanged (their
loader only adds a clearer error message); nothing in site-packages is edited.

``import cdktf_cdktf_provider_aws.vpc`` then imports only ``cdktf_cdktf_provider_aws``,
``._jsii`` and ``.vpc`` (plus the ``._private`` twins that ``publication`` registers).
This removes Python's share only; the node side's (the provider's JavaScript index requires
all of its modules) is removed by ``tools/perf/lazy_index.cjs``, for the same verified
versions (``tools/perf/jsii_node.py``).

Usage
-----
Import it before any provider import, e.g. first thing in ``main.py``::

    import tools.perf.provider_loader  # noqa: F401  (must precede provider imports)
    from cdktf_cdktf_provider_aws.vpc import Vpc

In pytest, import it at the top of the first ``conftest.py`` so that test modules importing
provider classes at module level get it too (otherwise a later ``install()``, e.g. from an
in-process ``import main``, raises ``ProviderAlreadyImportedError``). To check that an app
synthesizes identically with and without it: ``python -m tools.perf.synth_compare main.py`` or
``tools.perf.synth_compare.synth_in_subprocess``.

How to disable
--------------
Set ``CDKTF_STOCK_IMPORTS=1`` (also ``true``/``yes``/``on``): ``install()`` then does
nothing and the provider packages import exactly as shipped (slow). Use it to compare
output (``tools.perf.synth_compare``) or to rule the loader out when debugging.

Failure mode
------------
The loader never breaks a synth. When a provider is not what was verified, it prints one
warning naming the package and the reason, and that package imports the stock way (slow,
but correct):

* (checked by ``install()``) the installed distribution version is not in
  ``supported_versions``, or (checked on the package's first import)
  the package layout differs from what was verified: ``__init__.py`` contains a statement
  other than the known preamble / ``from ._jsii import *`` / ``__all__`` /
  ``from . import <submodule>`` / ``publication.publish()``; ``_jsii/__init__.py`` does not
  load the expected assembly; a submodule directory is missing.

It raises ``ProviderLoaderError`` (a ``RuntimeError``) only for mistakes in how it is
used or a broken install, where a fallback would hide the cause:

* a supported provider package was already imported the stock way before ``install()``
  (``ProviderAlreadyImportedError``): import this module first;
* the package is not a plain source install (``ProviderLayoutError``);
* a provider submodule fails to import while the loader is active
  (``ProviderLayoutError`` chained to the original exception).

To support a new provider version: bump ``supported_versions``, run
``tests/unit/test_provider_loader.py`` (it checks byte-identical synth against
``CDKTF_STOCK_IMPORTS=1``) and, ideally, ``python -m tools.perf.synth_compare main.py``.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import pkgutil
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.perf import layout_cache

__all__ = [
    "AWS",
    "DOCKER",
    "PROVIDERS",
    "STOCK_ENV_VAR",
    "ProviderAlreadyImportedError",
    "ProviderLayoutError",
    "ProviderLoaderError",
    "ProviderPackage",
    "install",
    "is_installed",
    "is_lazy_module",
    "stock_imports_requested",
    "uninstall",
]

STOCK_ENV_VAR = "CDKTF_STOCK_IMPORTS"
_TRUTHY = {"1", "true", "yes", "on"}


class ProviderLoaderError(RuntimeError):
    """Base class for every error raised by the lazy provider loader."""


class ProviderAlreadyImportedError(ProviderLoaderError):
    """A provider package was imported the stock (eager) way before ``install()``."""


class ProviderLayoutError(ProviderLoaderError):
    """The installed provider package does not look like the layout this loader verified."""


@dataclass(frozen=True)
class ProviderPackage:
    """A prebuilt provider package the loader handles."""

    module: str  # top-level import name
    distribution: str  # name in importlib.metadata
    jsii_assembly: str  # first argument of jsii.JSIIAssembly.load in <module>/_jsii
    supported_versions: frozenset[str]  # versions whose layout was verified


AWS = ProviderPackage(
    module="cdktf_cdktf_provider_aws",
    distribution="cdktf-cdktf-provider-aws",
    jsii_assembly="@cdktf/provider-aws",
    supported_versions=frozenset({"20.1.0"}),
)

# Its eager __init__ imports only 18 submodules, of which a synth uses 3: ~50 ms a synth.
DOCKER = ProviderPackage(
    module="cdktf_cdktf_provider_docker",
    distribution="cdktf-cdktf-provider-docker",
    jsii_assembly="@cdktf/provider-docker",
    supported_versions=frozenset({"12.0.3"}),
)

# The packages install() handles.
PROVIDERS: tuple[ProviderPackage, ...] = (AWS, DOCKER)

_HINT = (
    f"Set {STOCK_ENV_VAR}=1 to import the provider the stock (slow) way, or update "
    "tools/perf/provider_loader.py after re-verifying the new layout."
)


def stock_imports_requested() -> bool:
    """True when ``CDKTF_STOCK_IMPORTS`` asks for the stock, eager provider imports."""
    return os.environ.get(STOCK_ENV_VAR, "").strip().lower() in _TRUTHY


# --------------------------------------------------------------------------- layout check


@dataclass(frozen=True)
class _PackageLayout:
    doc: str | None
    all_names: tuple[str, ...]
    submodules: tuple[str, ...]


# Statements the stock __init__.py may contain besides the submodule imports. Each one only
# defines private names or imports modules every submodule imports itself.
_PREAMBLE_IMPORTS = {
    "abc",
    "builtins",
    "datetime",
    "enum",
    "typing",
    "jsii",
    "publication",
    "typing_extensions",
    "typeguard",
}


_warned: set[str] = set()


def _fall_back(pkg: ProviderPackage, error: ProviderLayoutError) -> None:
    """Say once, on stderr, that ``pkg`` imports the stock way and why."""
    if pkg.module in _warned:
        return
    _warned.add(pkg.module)
    print(
        f"warning: tools/perf/provider_loader.py: {error} Falling back to stock imports for "
        f"{pkg.module}: the synth is unchanged, only slower.",
        file=sys.stderr,
    )


def _layout_error(pkg: ProviderPackage, what: str) -> ProviderLayoutError:
    return ProviderLayoutError(
        f"{pkg.module} ({pkg.distribution}): unexpected package layout: {what}. "
        f"The lazy loader only supports verified layouts (versions "
        f"{sorted(pkg.supported_versions)}). {_HINT}"
    )


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _classify(stmt: ast.stmt) -> tuple[str, Any]:
    """Return (kind, payload) for one top-level statement of the stock ``__init__.py``."""
    if isinstance(stmt, ast.ImportFrom):
        names = [(a.name, a.asname) for a in stmt.names]
        if stmt.level == 1 and stmt.module is None and len(names) == 1 and names[0][1] is None:
            return "submodule", names[0][0]
        if stmt.level == 1 and stmt.module == "_jsii" and names == [("*", None)]:
            return "jsii_star", None
        if stmt.level == 0 and stmt.module == "pkgutil" and names == [("extend_path", None)]:
            return "preamble", None
        if (
            stmt.level == 0
            and stmt.module == "importlib.metadata"
            and names == [("version", "_metadata_package_version")]
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
        if (
            _is_name(target, "__path__")
            and isinstance(value, ast.Call)
            and _is_name(value.func, "extend_path")
            and len(value.args) == 2
            and _is_name(value.args[0], "__path__")
            and _is_name(value.args[1], "__name__")
            and not value.keywords
        ):
            return "extend_path", None
        if (
            _is_name(target, "__all__")
            and isinstance(value, ast.List)
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts)
        ):
            return "all", tuple(str(getattr(e, "value", "")) for e in value.elts)
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        if (
            isinstance(call.func, ast.Attribute)
            and _is_name(call.func.value, "publication")
            and call.func.attr == "publish"
            and not call.args
            and not call.keywords
        ):
            return "publish", None
    return "unknown", None


def _parse_init(pkg: ProviderPackage, init_path: Path) -> _PackageLayout:
    try:
        tree = ast.parse(init_path.read_bytes(), filename=str(init_path))
    except (OSError, SyntaxError) as exc:
        raise _layout_error(pkg, f"cannot read/parse {init_path}: {exc}") from exc
    doc = ast.get_docstring(tree, clean=False)
    body = tree.body[1:] if doc is not None else tree.body
    counts: dict[str, int] = {}
    submodules: list[str] = []
    all_names: tuple[str, ...] | None = None
    for stmt in body:
        kind, payload = _classify(stmt)
        if kind == "unknown":
            raise _layout_error(
                pkg,
                f"{init_path}:{stmt.lineno} has a statement the loader does not reproduce: "
                f"{ast.unparse(stmt)[:200]!r}",
            )
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "submodule":
            submodules.append(payload)
        elif kind == "all":
            all_names = payload
    for kind in ("extend_path", "jsii_star", "all", "publish"):
        if counts.get(kind) != 1:
            raise _layout_error(
                pkg,
                f"{init_path} should contain exactly one {kind!r} statement "
                f"(found {counts.get(kind, 0)})",
            )
    if not submodules:
        raise _layout_error(pkg, f"{init_path} has no 'from . import <submodule>' lines")
    if len(set(submodules)) != len(submodules) or "_jsii" in submodules:
        raise _layout_error(pkg, f"{init_path} imports duplicate or reserved submodules")
    assert all_names is not None
    missing_in_imports = sorted(set(all_names) - set(submodules))
    if missing_in_imports:
        raise _layout_error(
            pkg, f"__all__ names that are not imported submodules: {missing_in_imports[:5]}"
        )
    return _PackageLayout(doc=doc, all_names=all_names, submodules=tuple(submodules))


def _check_jsii_init(pkg: ProviderPackage, pkg_dir: Path, version: str) -> str:
    """Verify ``_jsii/__init__.py`` loads this version's assembly; returns its tarball."""
    jsii_init = pkg_dir / "_jsii" / "__init__.py"
    if not jsii_init.is_file():
        raise _layout_error(pkg, f"expected a _jsii subpackage at {jsii_init}")
    try:
        tree = ast.parse(jsii_init.read_bytes(), filename=str(jsii_init))
    except (OSError, SyntaxError) as exc:
        raise _layout_error(pkg, f"cannot read/parse {jsii_init}: {exc}") from exc
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "load"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "JSIIAssembly"
            and len(node.args) == 4
            and all(isinstance(a, ast.Constant) for a in (node.args[0], node.args[1], node.args[3]))
        ):
            name, ver, tarball = (str(getattr(node.args[i], "value", "")) for i in (0, 1, 3))
            if name != pkg.jsii_assembly or ver != version:
                raise _layout_error(
                    pkg,
                    f"{jsii_init} loads assembly {name}@{ver}, expected "
                    f"{pkg.jsii_assembly}@{version}",
                )
            return tarball
    raise _layout_error(pkg, f"{jsii_init} does not call jsii.JSIIAssembly.load(...)")


def _installed_version(pkg: ProviderPackage) -> str:
    try:
        version = importlib.metadata.version(pkg.distribution)
    except importlib.metadata.PackageNotFoundError as exc:
        raise _layout_error(pkg, f"no distribution metadata for {pkg.distribution}") from exc
    if version not in pkg.supported_versions:
        raise _layout_error(pkg, f"installed version is {version}")
    return version


def _checked_files(pkg: ProviderPackage, pkg_dir: Path, version: str) -> tuple[_PackageLayout, str]:
    """The layout and assembly tarball of ``pkg_dir``: parsed, or as stored after a check."""
    init, jsii_init = pkg_dir / "__init__.py", pkg_dir / "_jsii" / "__init__.py"
    try:
        cache_key = layout_cache.key(version, init, jsii_init)
    except OSError:
        cache_key = ""  # the checks below say what is missing
    stored = layout_cache.load(pkg.module, cache_key) if cache_key else None
    if stored is not None:
        layout = _PackageLayout(
            doc=stored["doc"],
            all_names=tuple(stored["all_names"]),
            submodules=tuple(stored["submodules"]),
        )
        return layout, str(stored["tarball"])
    layout = _parse_init(pkg, init)
    tarball = _check_jsii_init(pkg, pkg_dir, version)
    if cache_key:
        value = {**dataclasses.asdict(layout), "tarball": tarball}
        layout_cache.store(pkg.module, cache_key, value)
    return layout, tarball


def _inspect_package(pkg: ProviderPackage, pkg_dir: Path) -> _PackageLayout:
    """Verify ``pkg_dir`` has the verified stock layout; return what ``__init__`` defines."""
    version = _installed_version(pkg)
    layout, tarball = _checked_files(pkg, pkg_dir, version)
    if not (pkg_dir / "_jsii" / tarball).is_file():
        raise _layout_error(pkg, f"assembly tarball {tarball} missing from {pkg_dir / '_jsii'}")
    with os.scandir(pkg_dir) as it:
        present = {e.name for e in it if e.is_dir()}
    missing = [s for s in layout.submodules if s not in present]
    if missing:
        raise _layout_error(pkg, f"submodule directories missing from {pkg_dir}: {missing[:5]}")
    return layout


# --------------------------------------------------------------------------- import hooks


def _snake_to_lower_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _register_jsii_submodules(pkg: ProviderPackage, submodules: tuple[str, ...]) -> None:
    """Let jsii import an unloaded submodule when it must deserialize one of its types."""
    try:
        from jsii import _reference_map
    except ImportError:  # pragma: no cover - jsii is a hard dependency of the package
        return
    fqn_map = getattr(_reference_map, "_submodule_fqn_map", None)
    if not isinstance(fqn_map, dict):
        return  # older jsii without lazy type resolution: nothing to register
    for sub in submodules:
        fqn_map.setdefault(
            f"{pkg.jsii_assembly}.{_snake_to_lower_camel(sub)}", f"{pkg.module}.{sub}"
        )


class _LazyPackageLoader(importlib.machinery.SourceFileLoader):
    """Loader for the provider package itself: sets it up without running ``__init__``."""

    def __init__(self, fullname: str, path: str, pkg: ProviderPackage) -> None:
        super().__init__(fullname, path)
        self.provider = pkg

    def exec_module(self, module: types.ModuleType) -> None:
        pkg = self.provider
        pkg_dir = Path(self.path).parent
        try:
            layout = _inspect_package(pkg, pkg_dir)
        except ProviderLayoutError as exc:
            _fall_back(pkg, exc)
            importlib.machinery.SourceFileLoader.exec_module(self, module)  # the stock __init__
            return
        submodules = frozenset(layout.submodules)
        name = module.__name__

        def __getattr__(attr: str) -> Any:  # PEP 562 hook
            if attr in submodules:
                # importlib sets the attribute on the package as a side effect.
                return importlib.import_module(f"{name}.{attr}")
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")

        def __dir__() -> list[str]:  # PEP 562 hook
            return sorted(set(vars(module)) | submodules)

        module.__doc__ = layout.doc
        module.__path__ = pkgutil.extend_path(list(module.__path__), name)
        vars(module)["__all__"] = list(layout.all_names)
        vars(module)["__getattr__"] = __getattr__  # PEP 562 module hooks
        vars(module)["__dir__"] = __dir__
        # Same as the stock `from ._jsii import *`: loads the jsii assembly now. The stock
        # public module has no `_jsii` attribute (publication.publish() drops it), so neither
        # does this one.
        importlib.import_module(f"{name}._jsii")
        vars(module).pop("_jsii", None)
        _register_jsii_submodules(pkg, layout.submodules)


class _CheckedSubmoduleLoader(importlib.machinery.SourceFileLoader):
    """Stock loader for a provider submodule that names the loader when the import fails."""

    def __init__(self, fullname: str, path: str, pkg: ProviderPackage) -> None:
        super().__init__(fullname, path)
        self.provider = pkg

    def exec_module(self, module: types.ModuleType) -> None:
        try:
            super().exec_module(module)
        except ProviderLoaderError:
            raise  # already explained (e.g. ._jsii failed while importing this submodule)
        except Exception as exc:
            raise ProviderLayoutError(
                f"{module.__name__}: submodule failed to import under the lazy provider loader "
                f"(tools/perf/provider_loader.py): {type(exc).__name__}: {exc}. If it imports with "
                f"{STOCK_ENV_VAR}=1, it relies on something {self.provider.module}/__init__.py "
                f"does that the loader does not reproduce (a layout change). {_HINT}"
            ) from exc


class _LazyProviderFinder:
    """``sys.meta_path`` finder for the supported provider packages and their submodules."""

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
            raise _layout_error(
                pkg, f"{fullname} is not a plain source install (loader {real.loader!r})"
            )
        if not rest:
            if not real.submodule_search_locations:
                raise _layout_error(pkg, f"{fullname} at {real.origin} is not a package")
            loader: importlib.machinery.SourceFileLoader = _LazyPackageLoader(
                fullname, real.origin, pkg
            )
        else:
            loader = _CheckedSubmoduleLoader(fullname, real.origin, pkg)
        return importlib.util.spec_from_file_location(
            fullname,
            real.origin,
            loader=loader,
            submodule_search_locations=real.submodule_search_locations,
        )

    def invalidate_caches(self) -> None:
        pass


_lock = threading.Lock()
_finder: _LazyProviderFinder | None = None


def is_lazy_module(module: object) -> bool:
    """True if ``module`` is a provider package set up by this loader."""
    spec = getattr(module, "__spec__", None)
    return isinstance(getattr(spec, "loader", None), _LazyPackageLoader)


def is_installed() -> bool:
    """True if the lazy finder is active in ``sys.meta_path``."""
    return _finder is not None and _finder in sys.meta_path


def _check_not_stock_imported(providers: tuple[ProviderPackage, ...]) -> None:
    for pkg in providers:
        mod = sys.modules.get(pkg.module)
        if mod is not None and not is_lazy_module(mod):
            raise ProviderAlreadyImportedError(
                f"{pkg.module} was already imported the stock (eager) way before "
                "tools.perf.provider_loader.install() ran, so all its submodules are loaded "
                "and the loader cannot take effect. Import tools.perf.provider_loader before any "
                f"provider import (or set {STOCK_ENV_VAR}=1 to opt out explicitly)."
            )


def install() -> bool:
    """Activate lazy provider imports. Idempotent; called when this module is imported.

    Returns True when the loader is active, False when ``CDKTF_STOCK_IMPORTS`` disabled it.
    Raises ``ProviderAlreadyImportedError`` if a provider package was already imported the
    stock way. A provider whose installed version is not verified is left to the stock
    import, with one warning.
    """
    global _finder
    if stock_imports_requested():
        return False
    with _lock:
        _check_not_stock_imported(PROVIDERS)
        lazy = []
        for pkg in PROVIDERS:
            # Cheap early check (~ms); the full layout check runs on first import.
            if importlib.machinery.PathFinder.find_spec(pkg.module) is not None:
                try:
                    _installed_version(pkg)
                except ProviderLayoutError as exc:
                    _fall_back(pkg, exc)
                    continue
            lazy.append(pkg)
        if _finder is None or _finder.providers != {p.module: p for p in lazy}:
            if _finder is not None and _finder in sys.meta_path:
                sys.meta_path.remove(_finder)
            _finder = _LazyProviderFinder(tuple(lazy))
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
    return True


def uninstall() -> None:
    """Remove the finder (already imported provider modules stay as they are)."""
    with _lock:
        if _finder is not None and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)


install()
