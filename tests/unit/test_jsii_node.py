"""tools/perf/jsii_node.py: the kernel's node hooks (code cache, lazy provider index, no
inline source maps), and how they reach the kernel."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tools.perf import jsii_node

STOCK_RUNTIME = {"CDKTF_STOCK_RUNTIME": "1"}  # jsii's own runtime: hooks through NODE_OPTIONS


def _paths(hooks):
    return os.pathsep.join(str(hook.path) for hook in hooks)


def test_the_one_process_runtime_loads_the_hooks_and_node_options_stay_as_they_were():
    # GIVEN a user's NODE_OPTIONS; WHEN configured twice for the one-process runtime
    environ = {"NODE_OPTIONS": "--max-old-space-size=2048"}
    assert jsii_node.configure(environ) == list(jsii_node.HOOKS)
    assert jsii_node.configure(environ) == list(jsii_node.HOOKS)
    # THEN the runtime gets every hook in order, and other node processes get none
    assert environ[jsii_node.HOOKS_ENV_VAR] == _paths(jsii_node.HOOKS)
    assert environ["NODE_OPTIONS"] == "--max-old-space-size=2048"
    verified = json.loads(environ[jsii_node.LAZY_INDEX_ENV_VAR])
    assert verified["@cdktf/provider-aws"] == ["20.1.0"]


def test_with_jsii_own_runtime_each_hook_goes_into_node_options_once():
    environ = {"NODE_OPTIONS": "--max-old-space-size=2048", **STOCK_RUNTIME}
    assert jsii_node.configure(environ) == list(jsii_node.HOOKS)
    assert jsii_node.configure(environ) == list(jsii_node.HOOKS)
    flags = " ".join(hook.require_flag() for hook in jsii_node.HOOKS)
    assert environ["NODE_OPTIONS"] == f"--max-old-space-size=2048 {flags}"
    assert jsii_node.HOOKS_ENV_VAR not in environ


@pytest.mark.parametrize("runtime", [{}, STOCK_RUNTIME], ids=["one-process", "jsii-own"])
@pytest.mark.parametrize("hook", jsii_node.HOOKS, ids=lambda hook: hook.disable_env_var)
def test_each_hook_has_its_own_off_switch(hook, runtime):
    environ = {hook.disable_env_var: "1", **runtime}
    assert hook not in jsii_node.configure(environ)
    assert hook.require_flag() not in environ.get("NODE_OPTIONS", "")
    assert str(hook.path) not in environ.get(jsii_node.HOOKS_ENV_VAR, "")


def test_a_switched_off_hook_inherited_from_a_parent_is_removed():
    # GIVEN the NODE_OPTIONS a parent process configured, and a child switching one hook off
    environ = {"NODE_OPTIONS": "--no-warnings", **STOCK_RUNTIME}
    jsii_node.configure(environ)
    environ["CDKTF_EAGER_INDEX"] = "1"
    # WHEN the child configures; THEN that hook is gone and the rest is kept
    kept = [jsii_node.CODE_CACHE, jsii_node.STRIP_SOURCEMAPS]
    assert jsii_node.configure(environ) == kept
    flags = " ".join(hook.require_flag() for hook in kept)
    assert environ["NODE_OPTIONS"] == f"--no-warnings {flags}"


def test_hooks_a_parent_put_in_node_options_move_to_the_one_process_runtime():
    parent = {"NODE_OPTIONS": "--no-warnings", **STOCK_RUNTIME}
    jsii_node.configure(parent)
    child = {k: v for k, v in parent.items() if k != "CDKTF_STOCK_RUNTIME"}
    assert jsii_node.configure(child) == list(jsii_node.HOOKS)
    assert child["NODE_OPTIONS"] == "--no-warnings"
    assert child[jsii_node.HOOKS_ENV_VAR] == _paths(jsii_node.HOOKS)


@pytest.mark.parametrize("runtime", [{}, STOCK_RUNTIME], ids=["one-process", "jsii-own"])
def test_all_off_leaves_node_options_alone(runtime):
    environ = {**{hook.disable_env_var: "1" for hook in jsii_node.HOOKS}, **runtime}
    assert jsii_node.configure(environ) == []
    assert "NODE_OPTIONS" not in environ and jsii_node.LAZY_INDEX_ENV_VAR not in environ
    assert jsii_node.HOOKS_ENV_VAR not in environ


def test_missing_hook_fails_loudly(monkeypatch, tmp_path):
    gone = jsii_node.Hook(tmp_path / "gone.cjs", "CDKTF_GONE")
    monkeypatch.setattr(jsii_node, "HOOKS", (gone,))
    with pytest.raises(FileNotFoundError, match=r"gone\.cjs is missing; set CDKTF_GONE=1"):
        jsii_node.configure({})


def _node(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a node with no preloaded hook (the test loads the one it checks)."""
    clean = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}
    return subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, check=True, env=clean | env
    )


def test_strip_hook_drops_the_inline_map_and_keeps_the_code(tmp_path):
    # GIVEN a module whose inline source map is not even valid base64
    module = tmp_path / "mod.js"
    module.write_text(
        "module.exports = 41 + 1;\n//# sourceMappingURL=data:application/json;base64,!!"
    )
    probe = (
        "const m = require('node:module');"
        "const seen = []; const c = m.prototype._compile;"
        "m.prototype._compile = function (s, f) { seen.push(s); return c.call(this, s, f); };"
        f"require({str(jsii_node.STRIP_SOURCEMAPS.path)!r}); const v = require({str(module)!r});"
        "console.log(v, JSON.stringify(seen.at(-1)));"
    )
    # WHEN node loads it with the hook installed after a probe that records compiled text
    result = _node(probe)
    # THEN the value is unchanged and the text compiled had no source-map comment
    value, compiled = result.stdout.split(" ", 1)
    assert value == "42"
    assert "sourceMappingURL" not in compiled and "41 + 1" in compiled


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


def _provider(root: Path, version: str = "1.0.0", index: str = INDEX) -> Path:
    """A fake provider package whose submodules record when they are loaded."""
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
    return pkg


PROBE = """
require(%(hook)s);
const index = require(%(pkg)s);
const before = [...(globalThis.loaded ?? [])];
const keys = Object.keys(index);
const beta = index.beta;
const same = beta === require(%(beta)s);
console.log(JSON.stringify({before, keys, beta: beta.name, same, after: globalThis.loaded}));
"""


def _probe(pkg: Path, verified: str = "1.0.0") -> tuple[dict[str, object], str]:
    """What loads when; ``verified=""``: the hook is loaded but verifies nothing (stock)."""
    script = PROBE % {
        "hook": json.dumps(str(jsii_node.LAZY_INDEX.path)),
        "pkg": json.dumps(str(pkg / "lib" / "index.js")),
        "beta": json.dumps(str(pkg / "lib" / "beta")),
    }
    versions = json.dumps({"@cdktf/provider-fake": [verified]} if verified else {})
    result = _node(script, **{jsii_node.LAZY_INDEX_ENV_VAR: versions})
    return json.loads(result.stdout), result.stderr


def test_lazy_index_loads_a_submodule_on_first_use(tmp_path):
    # GIVEN a verified provider version; WHEN its index is required and one export read
    pkg = _provider(tmp_path)
    seen, stderr = _probe(pkg)
    stock, _ = _probe(pkg, verified="")
    # THEN nothing loads up front, only the export read, with the same names in the same order
    assert seen == {
        "before": [],
        "keys": stock["keys"],
        "beta": "beta",
        "same": True,
        "after": ["beta"],
    }
    assert stock["before"] == ["alpha", "beta"] and stock["keys"] == ["alpha", "beta"]
    assert stderr == ""


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
def test_lazy_index_warns_and_loads_eagerly_when_not_verified(tmp_path, version, index, why):
    # GIVEN a provider of another version, or an index with a line the hook does not know
    seen, stderr = _probe(_provider(tmp_path, version, index))
    # THEN the stock index runs (every submodule at once) and one warning says why
    assert seen["before"] == ["alpha", "beta"]
    assert stderr.count("warning: tools/perf/lazy_index.cjs:") == 1
    assert "loads eagerly: the synth is unchanged" in stderr
    assert re.search(why, stderr)
