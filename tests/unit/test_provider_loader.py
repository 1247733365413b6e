"""Tests for tools/perf/provider_loader.py (lazy provider submodule imports).

The byte-identical test synthesizes every stack of main.py twice, once with the stock
(eager) import: ~15-30 s.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.machinery
import json
import os
import re
import subprocess
import sys
import textwrap
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Imported after the sys.path fix-up so the tests also run from another directory. Importing
# the loader calls install(), which (correctly) raises if another test module of this pytest
# session already imported the aws provider the stock way; so import it disabled here. The
# tests that need it active run in subprocesses or call install() with a fixture.
_saved_env = os.environ.get("CDKTF_STOCK_IMPORTS")
os.environ["CDKTF_STOCK_IMPORTS"] = "1"
try:
    pl = importlib.import_module("tools.perf.provider_loader")
finally:
    if _saved_env is None:
        del os.environ["CDKTF_STOCK_IMPORTS"]
    else:
        os.environ["CDKTF_STOCK_IMPORTS"] = _saved_env
synth_compare = importlib.import_module("tools.perf.synth_compare")
layout_cache = importlib.import_module("tools.perf.layout_cache")
diff_synth_outputs = synth_compare.diff_synth_outputs
synth_in_subprocess = synth_compare.synth_in_subprocess
synth_settings = importlib.import_module("tools.synthesize").synth_settings

AWS = "cdktf_cdktf_provider_aws"
# Every node-side speed-up of tools/perf/jsii_node.py off: the node side of plain cdktf.
PLAIN_NODE = {
    "CDKTF_NO_CODE_CACHE": "1",
    "CDKTF_KEEP_SOURCEMAPS": "1",
    "CDKTF_EAGER_INDEX": "1",
    "CDKTF_STOCK_RUNTIME": "1",
}


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(pl.STOCK_ENV_VAR, None)
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _run(code: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        env=_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(autouse=True)
def private_layout_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """In-process checks store layouts in a directory of their own, not the project's."""
    cache = tmp_path_factory.mktemp("provider-layout")
    monkeypatch.setattr(layout_cache, "CACHE", cache)
    return cache


@pytest.fixture
def restore_loader(monkeypatch: pytest.MonkeyPatch):
    """Let a test call install() in-process and undo its effect on sys.meta_path."""
    monkeypatch.delenv(pl.STOCK_ENV_VAR, raising=False)
    meta_path = list(sys.meta_path)
    finder = pl._finder
    yield
    sys.meta_path[:] = meta_path
    pl._finder = finder


def test_import_vpc_loads_only_a_handful_of_modules() -> None:
    proc = _run(
        """
        import sys
        import tools.perf.provider_loader as pl
        from cdktf_cdktf_provider_aws.vpc import Vpc
        import cdktf_cdktf_provider_aws as aws
        assert pl.is_lazy_module(aws), aws.__spec__
        assert Vpc.__module__ == "cdktf_cdktf_provider_aws.vpc"
        names = sorted(n for n in sys.modules if n.startswith("cdktf_cdktf_provider_aws"))
        print("\\n".join(names))
        """
    )
    assert proc.returncode == 0, proc.stderr
    names = proc.stdout.split()
    # package, _jsii, vpc and the two `._private` twins registered by `publication`.
    assert len(names) <= 6, names
    assert {AWS, f"{AWS}._jsii", f"{AWS}.vpc"} <= set(names)
    assert f"{AWS}.wafv2_web_acl" not in names
    assert f"{AWS}.subnet" not in names


def test_lazy_package_attributes_match_stock_shape() -> None:
    proc = _run(
        """
        import tools.perf.provider_loader
        import sys, importlib.machinery
        import cdktf_cdktf_provider_aws as aws
        real = importlib.machinery.PathFinder.find_spec("cdktf_cdktf_provider_aws")
        assert aws.__file__ == real.origin, (aws.__file__, real.origin)
        assert list(aws.__path__) == list(real.submodule_search_locations)
        assert aws.__doc__.lstrip().startswith("# CDKTF prebuilt bindings for hashicorp/aws")
        assert len(aws.__all__) > 2000 and "vpc" in aws.__all__
        assert "cdktf_cdktf_provider_aws.subnet" not in sys.modules
        sub = aws.subnet  # PEP 562 attribute access imports the submodule on demand
        assert sub is sys.modules["cdktf_cdktf_provider_aws.subnet"]
        from cdktf_cdktf_provider_aws import s3_bucket
        assert s3_bucket.S3Bucket.__name__ == "S3Bucket"
        assert not hasattr(aws, "check_type") and not hasattr(aws, "no_such_thing")
        # jsii can resolve types of submodules that were never imported.
        from jsii import _reference_map as rm
        assert rm._submodule_fqn_map["@cdktf/provider-aws.wafv2WebAcl"] == (
            "cdktf_cdktf_provider_aws.wafv2_web_acl")
        assert rm._try_import_type_module("@cdktf/provider-aws.wafv2WebAcl.Wafv2WebAcl")
        assert "cdktf_cdktf_provider_aws.wafv2_web_acl" in sys.modules
        # The docker provider loads lazily too.
        pl = tools.perf.provider_loader
        assert pl.PROVIDERS == (pl.AWS, pl.DOCKER)
        from cdktf_cdktf_provider_docker.container import Container
        import cdktf_cdktf_provider_docker as docker
        assert pl.is_lazy_module(docker)
        assert "cdktf_cdktf_provider_docker.volume" not in sys.modules
        print("ok")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_jsii_fqn_map_matches_every_submodule() -> None:
    """The snake_case -> jsii submodule name mapping holds for every installed submodule."""
    for pkg in (pl.AWS, pl.DOCKER):
        spec = importlib.machinery.PathFinder.find_spec(pkg.module)
        assert spec is not None and spec.origin, pkg.module
        pkg_dir = Path(spec.origin).parent
        layout = pl._inspect_package(pkg, pkg_dir)
        for sub in layout.submodules:
            text = (pkg_dir / sub / "__init__.py").read_bytes()
            match = re.search(rb'jsii_type="([^"]+)"', text)
            assert match, sub
            fqn_prefix = match.group(1).decode().rsplit(".", 1)[0]
            assert fqn_prefix == f"{pkg.jsii_assembly}.{pl._snake_to_lower_camel(sub)}", sub


COUNT_COMPILED = REPO_ROOT / "tests" / "fixtures" / "node" / "count_compiled.cjs"


def _kernel_report(directory: Path) -> dict[str, Any]:
    """The kernel process's main script and JavaScript files compiled per package."""
    (report,) = directory.glob("*.json")  # one node process loaded packages
    return dict(json.loads(report.read_text()))


def test_every_stack_synth_is_byte_identical_with_and_without_every_speed_up(
    tmp_path: Path,
) -> None:
    # GIVEN main.py building every stack of dev and prod (images stack included)
    settings = synth_settings(APP_VERSION="1.2.3")
    settings["NODE_OPTIONS"] = f"--require={json.dumps(str(COUNT_COMPILED))}"
    lazy_stats: dict[str, object] = {}
    stock_stats: dict[str, object] = {}
    counted = {mode: tmp_path / f"compiled-{mode}" for mode in ("lazy", "stock")}
    for directory in counted.values():
        directory.mkdir()
    # WHEN it is synthesized once with every speed-up and once as plain cdktf: stock Python
    # imports, no node hook (no lazy provider index, source maps kept)
    main = REPO_ROOT / "main.py"
    # (in parallel: each run is mostly one busy process)
    with ThreadPoolExecutor(max_workers=2) as pool:
        lazy_env = {**settings, "COUNT_COMPILED_DIR": str(counted["lazy"])}
        lazy_run = pool.submit(
            synth_in_subprocess, main, tmp_path / "lazy", False, env=lazy_env, stats=lazy_stats
        )
        stock_env = {**settings, **PLAIN_NODE, "COUNT_COMPILED_DIR": str(counted["stock"])}
        stock_run = pool.submit(
            synth_in_subprocess, main, tmp_path / "stock", True, env=stock_env, stats=stock_stats
        )
        lazy, stock = lazy_run.result(), stock_run.result()
    # THEN every stack's cdk.tf.json is byte-identical
    assert set(lazy) == {
        f"{env}-{stack}"
        for env in ("dev", "prod")
        for stack in ("bootstrap", "foundation", "images", "services")
    }
    assert diff_synth_outputs(lazy, stock) == []
    # The comparison is meaningful only if the two runs really differed in what they loaded.
    assert lazy_stats["loader_active"] is True and stock_stats["loader_active"] is False
    assert lazy_stats["provider_modules"] < 200, lazy_stats
    assert stock_stats["provider_modules"] > 4000, stock_stats
    lazy_js, stock_js = _kernel_report(counted["lazy"]), _kernel_report(counted["stock"])
    assert lazy_js["main"] == "jsii_runtime.cjs" and stock_js["main"] == "program.js"
    assert 0 < lazy_js["compiled"]["provider-aws"] < 100, lazy_js
    assert stock_js["compiled"]["provider-aws"] > 2000, stock_js


def test_real_stock_import_then_install_raises() -> None:
    # The docker provider is cheap to import the stock way; the aws check is the same code.
    proc = _run(
        """
        import cdktf_cdktf_provider_docker
        import tools.perf.provider_loader as pl
        pl.PROVIDERS = (pl.AWS, pl.DOCKER)
        pl.install()
        """
    )
    assert proc.returncode != 0
    assert "ProviderAlreadyImportedError" in proc.stderr
    assert "cdktf_cdktf_provider_docker was already imported the stock" in proc.stderr


def test_install_after_stock_aws_import_raises(
    monkeypatch: pytest.MonkeyPatch, restore_loader: None
) -> None:
    # Stand-in for a stock `import cdktf_cdktf_provider_aws` (the real one takes ~20 s):
    # a module whose loader is the ordinary SourceFileLoader, as after a stock import.
    fake = types.ModuleType(AWS)
    fake.__spec__ = importlib_spec_with_stock_loader(AWS)
    monkeypatch.setitem(sys.modules, AWS, fake)
    with pytest.raises(RuntimeError, match=f"{AWS} was already imported the stock"):
        pl.install()


def importlib_spec_with_stock_loader(name: str) -> importlib.machinery.ModuleSpec:
    return importlib.machinery.ModuleSpec(
        name, importlib.machinery.SourceFileLoader(name, "/nonexistent/__init__.py")
    )


def test_install_is_idempotent_and_stock_env_disables(
    monkeypatch: pytest.MonkeyPatch, restore_loader: None
) -> None:
    # A provider that is not importable: only the finder bookkeeping is exercised.
    monkeypatch.setattr(pl, "PROVIDERS", (FAKE,))
    assert pl.install() is True
    assert pl.install() is True
    assert sum(f is pl._finder for f in sys.meta_path) == 1
    pl.uninstall()
    assert not pl.is_installed()
    monkeypatch.setenv(pl.STOCK_ENV_VAR, "1")
    assert pl.install() is False
    assert not pl.is_installed()


def test_stock_env_var_gives_stock_package() -> None:
    proc = _run(
        """
        import sys
        import tools.perf.provider_loader as pl
        assert not pl.is_installed()
        pl.PROVIDERS = (pl.AWS, pl.DOCKER)
        assert pl.install() is False and not pl.is_installed()
        import cdktf_cdktf_provider_docker as docker
        assert not pl.is_lazy_module(docker)
        assert "cdktf_cdktf_provider_docker.volume" in sys.modules
        print("ok")
        """,
        CDKTF_STOCK_IMPORTS="1",
    )
    assert proc.returncode == 0, proc.stderr


def test_unsupported_version_falls_back_with_one_warning(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    restore_loader: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a provider whose installed version (20.1.0) is not a verified one
    _fake_package(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    other = dataclasses.replace(FAKE, supported_versions=frozenset({"99.0.0"}))
    monkeypatch.setattr(pl, "PROVIDERS", (other,))
    monkeypatch.setattr(pl, "_warned", set())
    # WHEN the loader is installed, twice
    assert pl.install() is True
    assert pl.install() is True
    # THEN it warns once, naming the package and version, and leaves it to the stock import
    err = capsys.readouterr().err
    assert err.count("warning: tools/perf/provider_loader.py:") == 1
    assert "fake_provider" in err and "installed version is 20.1.0" in err
    assert "fake_provider" not in pl._finder.providers  # type: ignore[union-attr]


def test_a_bumped_provider_version_still_synthesizes_byte_identical(tmp_path: Path) -> None:
    # GIVEN main.py seeing hashicorp/aws bindings of an unverified version (21.0.0)
    settings = synth_settings(ENVS="dev", IMAGE_SOURCE="tag", APP_VERSION="1.2.3")
    bumped_code = textwrap.dedent(
        f"""
        import importlib.metadata, os, runpy, sys
        real = importlib.metadata.version
        importlib.metadata.version = lambda d: "21.0.0" if "provider-aws" in d else real(d)
        os.environ.update({settings!r})
        os.environ["CDKTF_OUTDIR"] = {str(tmp_path / "bumped")!r}
        sys.argv = ["main.py"]
        runpy.run_path({str(REPO_ROOT / "main.py")!r}, run_name="__main__")
        """
    )
    # WHEN it synthesizes, and the verified version synthesizes the same settings (in parallel)
    with ThreadPoolExecutor(max_workers=2) as pool:
        bumped_run = pool.submit(_run, bumped_code)
        lazy_run = pool.submit(
            synth_in_subprocess, REPO_ROOT / "main.py", tmp_path / "lazy", False, env=settings
        )
        bumped, lazy = bumped_run.result(), lazy_run.result()
    # THEN the bumped run warned once, succeeded, and wrote byte-identical stacks
    assert bumped.returncode == 0, bumped.stderr
    assert bumped.stderr.count("installed version is 21.0.0") == 1
    stacks = {p.parent.name: p.read_bytes() for p in (tmp_path / "bumped").glob("stacks/*/*.json")}
    assert set(stacks) == set(lazy) and stacks
    assert all(stacks[name] == lazy[name] for name in stacks)


# ---------------------------------------------------------------- fake package layouts

FAKE = pl.ProviderPackage(
    module="fake_provider",
    distribution="cdktf-cdktf-provider-aws",  # any installed distribution: version 20.1.0
    jsii_assembly="@cdktf/provider-fake",
    supported_versions=frozenset({"20.1.0"}),
)

GOOD_INIT = '''r"""Fake provider docs."""
from pkgutil import extend_path
__path__ = extend_path(__path__, __name__)

import jsii
import publication
import typeguard
from importlib.metadata import version as _metadata_package_version
TYPEGUARD_MAJOR_VERSION = int(_metadata_package_version('typeguard').split('.')[0])

def check_type(argname, value, expected_type):
    pass

from ._jsii import *

__all__ = [
    "alpha",
    "beta",
]

publication.publish()

from . import alpha
from . import beta
'''

GOOD_JSII = """import jsii
__jsii_assembly__ = jsii.JSIIAssembly.load(
    "@cdktf/provider-fake", "20.1.0", __name__[0:-6], "provider-fake@20.1.0.jsii.tgz"
)
"""


def _fake_package(root: Path, init: str = GOOD_INIT, jsii_init: str | None = GOOD_JSII) -> Path:
    pkg = root / "fake_provider"
    for sub in ("alpha", "beta"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("from .._jsii import *\n")
    (pkg / "__init__.py").write_text(init)
    if jsii_init is not None:
        (pkg / "_jsii").mkdir()
        (pkg / "_jsii" / "__init__.py").write_text(jsii_init)
        (pkg / "_jsii" / "provider-fake@20.1.0.jsii.tgz").write_bytes(b"")
    return pkg


def test_fake_good_layout_is_accepted(tmp_path: Path) -> None:
    layout = pl._inspect_package(FAKE, _fake_package(tmp_path))
    assert layout.submodules == ("alpha", "beta")
    assert layout.all_names == ("alpha", "beta")
    assert layout.doc == "Fake provider docs."


def test_a_checked_layout_is_read_back_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a layout that passed the check once
    pkg_dir = _fake_package(tmp_path)
    checked = pl._inspect_package(FAKE, pkg_dir)
    # WHEN it is checked again with parsing made impossible
    monkeypatch.setattr(pl, "_parse_init", lambda *a: pytest.fail("parsed again"))
    # THEN the stored result is the same layout
    assert pl._inspect_package(FAKE, pkg_dir) == checked


def test_a_changed_package_is_checked_anew(tmp_path: Path) -> None:
    # GIVEN a stored check of a good layout, and then a line the loader does not know
    pkg_dir = _fake_package(tmp_path)
    pl._inspect_package(FAKE, pkg_dir)
    (pkg_dir / "__init__.py").write_text(GOOD_INIT + "\nFOO = 1\n")
    # THEN the new file is parsed and refused
    with pytest.raises(pl.ProviderLayoutError, match=r"does not reproduce: 'FOO = 1'"):
        pl._inspect_package(FAKE, pkg_dir)


def test_an_unreadable_stored_check_is_ignored(tmp_path: Path, private_layout_cache: Path) -> None:
    pkg_dir = _fake_package(tmp_path)
    checked = pl._inspect_package(FAKE, pkg_dir)
    (entry,) = private_layout_cache.glob("fake_provider-*.json")
    entry.write_text("{not json")
    assert pl._inspect_package(FAKE, pkg_dir) == checked


def test_a_missing_tarball_is_refused_even_after_a_stored_check(tmp_path: Path) -> None:
    pkg_dir = _fake_package(tmp_path)
    pl._inspect_package(FAKE, pkg_dir)
    (pkg_dir / "_jsii" / "provider-fake@20.1.0.jsii.tgz").unlink()
    with pytest.raises(pl.ProviderLayoutError, match=r"assembly tarball .* missing"):
        pl._inspect_package(FAKE, pkg_dir)


@pytest.mark.parametrize(
    ("init", "jsii_init", "expected"),
    [
        (GOOD_INIT, None, r"expected a _jsii subpackage"),
        (GOOD_INIT + "\nFOO = 1\n", GOOD_JSII, r"does not reproduce: 'FOO = 1'"),
        (GOOD_INIT + "\nimport os\n", GOOD_JSII, r"does not reproduce: 'import os'"),
        (GOOD_INIT.replace("from ._jsii import *", ""), GOOD_JSII, r"'jsii_star'"),
        (GOOD_INIT.replace("publication.publish()", ""), GOOD_JSII, r"'publish'"),
        (GOOD_INIT + "\nfrom . import gamma\n", GOOD_JSII, r"directories missing.*gamma"),
        (GOOD_INIT.replace('"beta",', '"beta", "delta",'), GOOD_JSII, r"not imported.*delta"),
        (GOOD_INIT, GOOD_JSII.replace('"20.1.0"', '"20.0.0"'), r"expected @cdktf/provider-fake"),
        (GOOD_INIT, "import jsii\n", r"does not call jsii.JSIIAssembly.load"),
    ],
)
def test_fake_layout_mismatch_raises(
    tmp_path: Path, init: str, jsii_init: str | None, expected: str
) -> None:
    pkg_dir = _fake_package(tmp_path, init, jsii_init)
    with pytest.raises(pl.ProviderLayoutError, match=expected) as info:
        pl._inspect_package(FAKE, pkg_dir)
    assert "fake_provider" in str(info.value) and pl.STOCK_ENV_VAR in str(info.value)


def test_fake_layout_mismatch_falls_back_to_the_stock_import(tmp_path: Path) -> None:
    """Through the real import hook: a bad layout runs the stock __init__, with one warning."""
    marker = tmp_path / "stock-init-ran"
    # (its _jsii loads no assembly, so the stock __init__ can run here)
    bad_init = GOOD_INIT + f"\n__import__('pathlib').Path({str(marker)!r}).touch()\n"
    _fake_package(tmp_path, bad_init, jsii_init="import jsii\n")
    proc = _run(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import tools.perf.provider_loader as pl
        pl.uninstall()
        pl.PROVIDERS = (pl.ProviderPackage(
            module="fake_provider", distribution="cdktf-cdktf-provider-aws",
            jsii_assembly="@cdktf/provider-fake", supported_versions=frozenset({{"20.1.0"}})),)
        pl.install()
        import fake_provider.alpha
        print("imported:", sorted(m for m in sys.modules if m.startswith("fake_provider")))
        """
    )
    assert proc.returncode == 0, proc.stderr
    # The stock __init__ imports every submodule eagerly: beta too, although only alpha was asked.
    assert "'fake_provider.alpha', 'fake_provider.beta']" in proc.stdout
    assert proc.stderr.count("unexpected package layout") == 1
    assert "Falling back to stock imports for fake_provider" in proc.stderr
    assert marker.exists()


def test_failing_submodule_import_names_the_loader(tmp_path: Path) -> None:
    pkg_dir = _fake_package(tmp_path)
    (pkg_dir / "beta" / "__init__.py").write_text("from .. import check_type\n")
    # _jsii of the fake cannot really load an assembly: make it a no-op that still parses.
    (pkg_dir / "_jsii" / "__init__.py").write_text(
        "if False:\n    jsii.JSIIAssembly.load('@cdktf/provider-fake', '20.1.0', '', "
        "'provider-fake@20.1.0.jsii.tgz')\n"
    )
    proc = _run(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import tools.perf.provider_loader as pl
        pl.uninstall()
        pl.PROVIDERS = (pl.ProviderPackage(
            module="fake_provider", distribution="cdktf-cdktf-provider-aws",
            jsii_assembly="@cdktf/provider-fake", supported_versions=frozenset({{"20.1.0"}})),)
        pl.install()
        import fake_provider.alpha  # fine
        import fake_provider.beta   # relies on a name only the stock __init__ defines
        """
    )
    assert proc.returncode != 0
    assert "ProviderLayoutError: fake_provider.beta: submodule failed to import" in proc.stderr
