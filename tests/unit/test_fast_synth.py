"""tools/perf/fast_synth.py: the same stacks with the speed-ups on and off, and a loud
failure when what they were verified on changes."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tools.perf import fast_synth
from tools.synthesize import synth_environ, synth_settings

ROOT = Path(__file__).resolve().parents[2]
AWS = fast_synth.AWS.module
ALL_OFF = {switch: "1" for switch in fast_synth.SWITCHES}
COUNT_COMPILED = ROOT / "tests" / "fixtures" / "node" / "count_compiled.cjs"

# Runs main.py as `python main.py` would, then reports the provider modules Python imported.
_MAIN = """
import atexit, json, runpy, sys
path = sys.argv[1]
def report():
    names = [n for n in sys.modules if n.startswith("cdktf_cdktf_provider_")]
    with open(path, "w") as out:
        json.dump(len(names), out)
atexit.register(report)
sys.argv = ["main.py"]
runpy.run_path("main.py", run_name="__main__")
"""


def _synth(tmp_path: Path, name: str, switches: dict[str, str]) -> dict[str, Any]:
    """dev synthesized by main.py in a subprocess: its stacks and what it loaded."""
    counted = tmp_path / f"compiled-{name}"
    counted.mkdir()
    env = synth_environ(tmp_path / name, synth_settings(ENVS="dev", APP_VERSION="1.2.3"))
    env = {k: v for k, v in env.items() if k not in (*fast_synth.SWITCHES, "NODE_OPTIONS")}
    env |= switches | {
        "NODE_OPTIONS": f"--require={json.dumps(str(COUNT_COMPILED))}",
        "COUNT_COMPILED_DIR": str(counted),
    }
    report = tmp_path / f"{name}.json"
    proc = subprocess.run(
        [sys.executable, "-c", _MAIN, str(report)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    stacks = sorted((tmp_path / name).glob("stacks/*/cdk.tf.json"))
    (node_report,) = counted.glob("*.json")  # the one node process that loaded packages
    return {
        "stacks": {p.parent.name: p.read_bytes() for p in stacks},
        "python_modules": json.loads(report.read_text()),
        "js_modules": json.loads(node_report.read_text())["compiled"]["provider-aws"],
    }


def test_dev_synth_is_byte_identical_with_the_speed_ups_off_and_on(tmp_path: Path) -> None:
    # WHEN dev is synthesized with every speed-up on and with every switch off (in parallel)
    with ThreadPoolExecutor(max_workers=2) as pool:
        off_run = pool.submit(_synth, tmp_path, "off", ALL_OFF)
        on_run = pool.submit(_synth, tmp_path, "on", {})
        off, on = off_run.result(), on_run.result()
    # THEN every stack's cdk.tf.json is the same, byte for byte
    assert set(on["stacks"]) == {
        f"dev-{s}" for s in ("bootstrap", "foundation", "images", "services")
    }
    assert on["stacks"].keys() == off["stacks"].keys()
    for name in on["stacks"]:
        assert on["stacks"][name] == off["stacks"][name], f"{name}/cdk.tf.json differs"
    # and the two runs really differed: a few provider modules against all of them, each side
    assert on["python_modules"] < 200 < 4000 < off["python_modules"], (on, off)
    assert 0 < on["js_modules"] < 100 < 2000 < off["js_modules"], (on, off)


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (*fast_synth.SWITCHES, "NODE_OPTIONS")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


BUMPED = """
import importlib.metadata
real = importlib.metadata.version
importlib.metadata.version = lambda d: "21.0.0" if d == "cdktf-cdktf-provider-aws" else real(d)
from tools.perf import fast_synth
fast_synth.enable()
print("enabled")
"""


@pytest.mark.parametrize(
    ("switches", "named"),
    [({}, "CDKTF_STOCK_IMPORTS"), ({"CDKTF_STOCK_IMPORTS": "1"}, "CDKTF_EAGER_INDEX")],
    ids=["lazy-imports", "lazy-index"],
)
def test_another_provider_version_fails_loudly_naming_the_switch(switches, named) -> None:
    # GIVEN hashicorp/aws bindings of a version the speed-up was not verified on
    proc = _python(BUMPED, **switches)
    # THEN enable() raises, saying which package, which version and how to go without it
    assert proc.returncode != 0
    assert re.search(
        r"FastSynthError: cdktf_cdktf_provider_aws \(cdktf-cdktf-provider-aws\): installed "
        r"version is 21\.0\.0\. tools/perf/fast_synth\.py was verified on 20\.1\.0 only",
        proc.stderr,
    ), proc.stderr
    assert f"or set {named}=1 to synthesize without this speed-up" in proc.stderr


def test_with_every_switch_off_any_version_is_fine() -> None:
    proc = _python(BUMPED, **ALL_OFF)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "enabled"


def test_jsii_without_its_type_map_fails_loudly() -> None:
    proc = _python(
        """
        from jsii import _reference_map
        del _reference_map._submodule_fqn_map
        from tools.perf import fast_synth
        fast_synth.enable()
        """
    )
    assert proc.returncode != 0
    assert "FastSynthError: jsii 1." in proc.stderr
    assert "has no dict jsii._reference_map._submodule_fqn_map" in proc.stderr


def test_a_provider_imported_before_enable_fails_loudly() -> None:
    # (the docker provider is cheap to import the stock way; the aws check is the same code)
    proc = _python(
        """
        import cdktf_cdktf_provider_docker
        from tools.perf import fast_synth
        fast_synth.enable()
        """
    )
    assert proc.returncode != 0
    assert "cdktf_cdktf_provider_docker was imported before tools.perf.fast_synth.enable()" in (
        proc.stderr
    )


def test_lazy_imports_load_only_what_is_used_and_keep_the_package_shape() -> None:
    proc = _python(
        """
        import importlib.machinery, sys
        from tools.perf import fast_synth
        fast_synth.enable()
        from cdktf_cdktf_provider_aws.vpc import Vpc
        import cdktf_cdktf_provider_aws as aws
        assert fast_synth.is_lazy_module(aws)
        assert Vpc.__module__ == "cdktf_cdktf_provider_aws.vpc"
        loaded = sorted(n for n in sys.modules if n.startswith("cdktf_cdktf_provider_aws"))
        # package, _jsii, vpc and the two `._private` twins registered by `publication`
        assert len(loaded) <= 6, loaded
        real = importlib.machinery.PathFinder.find_spec("cdktf_cdktf_provider_aws")
        assert aws.__file__ == real.origin
        assert list(aws.__path__) == list(real.submodule_search_locations)
        assert aws.__doc__.lstrip().startswith("# CDKTF prebuilt bindings for hashicorp/aws")
        assert len(aws.__all__) > 2000 and "vpc" in aws.__all__
        assert aws.subnet is sys.modules["cdktf_cdktf_provider_aws.subnet"]  # PEP 562
        assert not hasattr(aws, "check_type") and not hasattr(aws, "no_such_thing")
        # jsii can resolve the types of submodules that were never imported
        from jsii import _reference_map as rm
        assert rm._try_import_type_module("@cdktf/provider-aws.wafv2WebAcl.Wafv2WebAcl")
        assert "cdktf_cdktf_provider_aws.wafv2_web_acl" in sys.modules
        from cdktf_cdktf_provider_docker.container import Container
        import cdktf_cdktf_provider_docker as docker
        assert fast_synth.is_lazy_module(docker)
        assert "cdktf_cdktf_provider_docker.volume" not in sys.modules
        print("ok")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_the_jsii_type_names_match_every_submodule() -> None:
    """The snake_case -> jsii submodule name mapping holds for every installed submodule."""
    import importlib.machinery

    for pkg in fast_synth.PROVIDERS:
        spec = importlib.machinery.PathFinder.find_spec(pkg.module)
        assert spec is not None and spec.origin
        pkg_dir = Path(spec.origin).parent
        for sub in fast_synth._inspect(pkg, pkg_dir).submodules:
            match = re.search(rb'jsii_type="([^"]+)"', (pkg_dir / sub / "__init__.py").read_bytes())
            assert match, sub
            prefix = match.group(1).decode().rsplit(".", 1)[0]
            assert prefix == f"{pkg.jsii_assembly}.{fast_synth._lower_camel(sub)}", sub


# ---------------------------------------------------------------- a fake package layout

FAKE = fast_synth.ProviderPackage(
    "fake_provider",
    "cdktf-cdktf-provider-aws",  # an installed distribution: version 20.1.0
    "@cdktf/provider-fake",
    frozenset({"20.1.0"}),
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
    return pkg


def test_a_fake_verified_layout_is_accepted(tmp_path: Path) -> None:
    layout = fast_synth._inspect(FAKE, _fake_package(tmp_path))
    assert layout == fast_synth._Layout("Fake provider docs.", ("alpha", "beta"), ("alpha", "beta"))


@pytest.mark.parametrize(
    ("init", "jsii_init", "expected"),
    [
        (GOOD_INIT, None, r"_jsii/__init__.py does not load @cdktf/provider-fake 20.1.0"),
        (GOOD_INIT + "\nFOO = 1\n", GOOD_JSII, r"is new: 'FOO = 1'"),
        (GOOD_INIT + "\nimport os\n", GOOD_JSII, r"is new: 'import os'"),
        (GOOD_INIT.replace("from ._jsii import *", ""), GOOD_JSII, r"0 'jsii_star' statements"),
        (GOOD_INIT.replace("publication.publish()", ""), GOOD_JSII, r"0 'publish' statements"),
        (GOOD_INIT + "\nfrom . import gamma\n", GOOD_JSII, r"directories missing.*gamma"),
        (GOOD_INIT.replace('"beta",', '"beta", "delta",'), GOOD_JSII, r"no imported.*delta"),
        (GOOD_INIT, GOOD_JSII.replace('"20.1.0"', '"20.0.0"'), r"does not load"),
    ],
)
def test_another_init_layout_fails_loudly(
    tmp_path: Path, init: str, jsii_init: str | None, expected: str
) -> None:
    pkg_dir = _fake_package(tmp_path, init, jsii_init)
    with pytest.raises(fast_synth.FastSynthError, match=expected) as info:
        fast_synth._inspect(FAKE, pkg_dir)
    assert "fake_provider" in str(info.value) and "CDKTF_STOCK_IMPORTS=1" in str(info.value)


_FAKE_IMPORT = """
import sys
sys.path.insert(0, {root!r})
from tools.perf import fast_synth
fast_synth.PROVIDERS = (fast_synth.ProviderPackage(
    "fake_provider", "cdktf-cdktf-provider-aws", "@cdktf/provider-fake", frozenset({{"20.1.0"}})),)
fast_synth.enable()
import fake_provider.alpha
print(sorted(m for m in sys.modules if m.startswith("fake_provider")))
"""


def test_another_layout_fails_loudly_on_first_import(tmp_path: Path) -> None:
    _fake_package(tmp_path, GOOD_INIT + "\nFOO = 1\n", jsii_init="import jsii\n")
    proc = _python(_FAKE_IMPORT.format(root=str(tmp_path)))
    assert proc.returncode != 0
    assert "FastSynthError: fake_provider (cdktf-cdktf-provider-aws):" in proc.stderr


def test_a_failing_submodule_import_names_the_loader(tmp_path: Path) -> None:
    pkg_dir = _fake_package(tmp_path)
    (pkg_dir / "alpha" / "__init__.py").write_text("from .. import check_type\n")
    # (the fake's _jsii cannot load an assembly: a no-op that still matches the check)
    (pkg_dir / "_jsii" / "__init__.py").write_text(
        "if False:\n" + textwrap.indent(GOOD_JSII, "    ")
    )
    proc = _python(_FAKE_IMPORT.format(root=str(tmp_path)))
    assert proc.returncode != 0
    assert "FastSynthError: fake_provider.alpha failed to import under" in proc.stderr


def test_enable_puts_the_index_hook_in_node_options_once_and_the_switch_removes_it() -> None:
    environ = {"NODE_OPTIONS": "--max-old-space-size=2048", "CDKTF_STOCK_IMPORTS": "1"}
    fast_synth.enable(environ)
    fast_synth.enable(environ)
    flag = f"--require={json.dumps(str(fast_synth.LAZY_INDEX))}"
    assert environ["NODE_OPTIONS"] == f"--max-old-space-size=2048 {flag}"
    assert json.loads(environ[fast_synth.LAZY_INDEX_ENV_VAR])["@cdktf/provider-aws"] == ["20.1.0"]
    environ["CDKTF_EAGER_INDEX"] = "1"
    fast_synth.enable(environ)
    assert environ["NODE_OPTIONS"] == "--max-old-space-size=2048"


# ---------------------------------------------------------------- the node hook

# The generated shape of a prebuilt provider's lib/index.js (here two submodules).
INDEX = """"use strict";
/**
 * Copyright (c) HashiCorp, Inc.
 * SPDX-License-Identifier: MPL-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.beta = exports.alpha = void 0;
// generated by cdktf get
exports.alpha = require("./alpha");
exports.beta = require("./beta");
//# sourceMappingURL=data:application/json;base64,e30=
"""

PROBE = """
require(%(hook)s);
const index = require(%(pkg)s);
const before = [...(globalThis.loaded ?? [])];
const keys = Object.keys(index);
const beta = index.beta;
const same = beta === require(%(beta)s);
console.log(JSON.stringify({before, keys, beta: beta.name, same, after: globalThis.loaded}));
"""


def _node_probe(root: Path, version: str = "1.0.0", index: str = INDEX, verified: str = "1.0.0"):
    """A fake provider whose submodules record when they load, required through the hook."""
    pkg = root / "node_modules" / "@cdktf" / "provider-fake"
    for sub in ("alpha", "beta"):
        (pkg / "lib" / sub).mkdir(parents=True)
        (pkg / "lib" / sub / "index.js").write_text(
            f"(globalThis.loaded ??= []).push({sub!r}); exports.name = {sub!r};\n"
        )
    (pkg / "lib" / "index.js").write_text(index)
    (pkg / "package.json").write_text(
        json.dumps({"name": "@cdktf/provider-fake", "version": version})
    )
    script = PROBE % {
        "hook": json.dumps(str(fast_synth.LAZY_INDEX)),
        "pkg": json.dumps(str(pkg / "lib" / "index.js")),
        "beta": json.dumps(str(pkg / "lib" / "beta")),
    }
    versions = json.dumps({"@cdktf/provider-fake": [verified]} if verified else {})
    env = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}
    env[fast_synth.LAZY_INDEX_ENV_VAR] = versions
    return subprocess.run(["node", "-e", script], capture_output=True, text=True, env=env)


def test_the_lazy_index_loads_a_submodule_on_first_use(tmp_path: Path) -> None:
    lazy = _node_probe(tmp_path / "lazy")
    stock = _node_probe(tmp_path / "stock", verified="")  # a package the hook does not handle
    assert lazy.returncode == stock.returncode == 0, lazy.stderr + stock.stderr
    seen, eager = json.loads(lazy.stdout), json.loads(stock.stdout)
    assert eager["before"] == ["alpha", "beta"] and eager["keys"] == ["alpha", "beta"]
    assert seen == {
        "before": [],
        "keys": ["alpha", "beta"],
        "beta": "beta",
        "same": True,
        "after": ["beta"],
    }
    assert lazy.stderr == ""


@pytest.mark.parametrize(
    ("version", "index", "why"),
    [
        (
            "2.0.0",
            INDEX,
            r"@cdktf/provider-fake@2\.0\.0: version not verified \(verified: 1\.0\.0\)",
        ),
        ("1.0.0", INDEX + "exports.extra = 1;\n", r"is not the verified .* shape"),
        ("1.0.0", INDEX.replace("exports.beta = exports.alpha", "exports.alpha"), r"shape"),
    ],
    ids=["unknown-version", "unknown-line", "undeclared-export"],
)
def test_the_lazy_index_throws_for_another_version_or_shape(tmp_path, version, index, why):
    proc = _node_probe(tmp_path, version, index)
    assert proc.returncode != 0
    assert re.search(r"Error: tools/perf/lazy_index\.cjs: .*" + why, proc.stderr)
    assert "set CDKTF_EAGER_INDEX=1 to synthesize without the lazy index" in proc.stderr


# ---------------------------------------------------------------- the one-process kernel


@pytest.fixture
def kernel_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private .cache/jsii-runtime, so the test sees the copy being made."""
    monkeypatch.setattr(fast_synth, "KERNEL_CACHE", tmp_path / "jsii-runtime")
    return tmp_path / "jsii-runtime"


def test_the_runtime_copies_the_kernel_once_and_a_switch_undoes_it(kernel_cache: Path) -> None:
    # GIVEN a node the user chose; WHEN the runtime is turned on twice
    environ = {"JSII_NODE": "/opt/node24/bin/node"}
    fast_synth._runtime(environ, on=True)
    fast_synth._runtime(environ, on=True)
    # THEN jsii starts jsii_runtime.cjs on that node, with the kernel copied once
    (copy,) = kernel_cache.iterdir()
    assert environ == {
        "JSII_RUNTIME": str(fast_synth.RUNTIME),
        "JSII_NODE": str(fast_synth.LAUNCHER),
        "CDKTF_JSII_NODE": "/opt/node24/bin/node",
        "CDKTF_JSII_PROGRAM": str(copy / "lib" / "program.js"),
    }
    assert sorted(p.name for p in (copy / "lib").iterdir()) == [
        "program.js",
        "runtime-index-worker.js",
    ]
    # AND switched off in a child, jsii's own runtime runs on the user's node
    fast_synth._runtime(environ, on=False)
    assert environ["JSII_NODE"] == "/opt/node24/bin/node" and "JSII_RUNTIME" not in environ


def test_a_runtime_the_user_chose_is_left_alone(kernel_cache: Path) -> None:
    environ = {"JSII_RUNTIME": "/somewhere/else.js"}
    fast_synth._runtime(environ, on=True)
    assert environ == {"JSII_RUNTIME": "/somewhere/else.js"} and not kernel_cache.exists()


@pytest.mark.parametrize(
    ("attr", "value", "why"),
    [
        ("JSII_VERSION", "0.0.1", r"jsii 1\.142\.0 is installed"),
        ("PROGRAM_SHA256", "0" * 64, r"jsii 1\.142\.0's lib/program\.js has sha256 ae39a9"),
    ],
    ids=["another-version", "another-kernel"],
)
def test_another_jsii_fails_loudly_naming_the_switch(
    kernel_cache: Path, monkeypatch: pytest.MonkeyPatch, attr: str, value: str, why: str
) -> None:
    monkeypatch.setattr(fast_synth, attr, value)
    with pytest.raises(fast_synth.FastSynthError, match=why) as info:
        fast_synth._runtime({}, on=True)
    assert "set CDKTF_STOCK_RUNTIME=1 to synthesize with jsii's own runtime" in str(info.value)
    assert not kernel_cache.exists()


def test_the_runtime_speaks_the_protocol_and_relays_other_output(
    kernel_cache: Path, tmp_path: Path
) -> None:
    # GIVEN the runtime, started the way jsii's client starts it, with code that prints
    environ = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "JSII_NODE")}
    environ.pop("JSII_RUNTIME", None)
    fast_synth._runtime(environ, on=True)
    noisy = tmp_path / "noisy.cjs"
    noisy.write_text("setImmediate(() => console.log('from user code'));\n")
    environ["NODE_OPTIONS"] = f"--require={json.dumps(str(noisy))}"
    proc = subprocess.run(
        [environ["JSII_NODE"], "--max-old-space-size=4069", environ["JSII_RUNTIME"]],
        input='{"api":"stats"}\n{"exit":0}\n',
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    # THEN stdout carries only the protocol: the kernel's hello and its answer
    hello, answer = (json.loads(line) for line in proc.stdout.splitlines())
    assert hello == {"hello": "@jsii/runtime@1.142.0"}
    assert answer == {"ok": {"objectCount": 0}}
    # AND the printed line reaches stderr the way jsii's client decodes it
    relayed = [json.loads(line) for line in proc.stderr.splitlines()]
    assert {"stdout": base64.b64encode(b"from user code\n").decode()} in relayed
    assert proc.returncode == 0


def test_one_short_run_turns_the_cyclic_gc_off_and_the_switch_keeps_it() -> None:
    code = """
        import gc
        from tools.perf import fast_synth
        fast_synth.enable()
        print(gc.isenabled())
        fast_synth.enable(one_short_run=True)
        print(gc.isenabled())
    """
    assert _python(code).stdout.split() == ["True", "False"]
    assert _python(code, CDKTF_KEEP_GC="1").stdout.split() == ["True", "True"]
