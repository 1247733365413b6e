"""tools/perf/jsii_node.py: the NODE_OPTIONS hook that drops inline source maps."""

import os
import subprocess

import pytest

from tools.perf import jsii_node


def test_configure_adds_the_hook_once():
    environ = {"NODE_OPTIONS": "--max-old-space-size=2048"}
    assert jsii_node.configure(environ) is True
    assert jsii_node.configure(environ) is True
    assert environ["NODE_OPTIONS"] == f"--max-old-space-size=2048 {jsii_node.require_flag()}"


def test_keep_sourcemaps_turns_it_off():
    environ = {"CDKTF_KEEP_SOURCEMAPS": "1"}
    assert jsii_node.configure(environ) is False
    assert "NODE_OPTIONS" not in environ


def test_missing_hook_fails_loudly(monkeypatch, tmp_path):
    monkeypatch.setattr(jsii_node, "HOOK", tmp_path / "gone.cjs")
    with pytest.raises(FileNotFoundError, match=r"gone\.cjs is missing; set CDKTF_KEEP_SOURCEMAPS"):
        jsii_node.configure({})


def test_hook_strips_the_inline_map_and_keeps_the_code(tmp_path):
    # GIVEN a module whose inline source map is not even valid base64
    module = tmp_path / "mod.js"
    module.write_text(
        "module.exports = 41 + 1;\n//# sourceMappingURL=data:application/json;base64,!!"
    )
    probe = (
        "const m = require('node:module');"
        f"const seen = []; const c = m.prototype._compile;"
        "m.prototype._compile = function (s, f) { seen.push(s); return c.call(this, s, f); };"
        f"require({str(jsii_node.HOOK)!r}); const v = require({str(module)!r});"
        "console.log(v, JSON.stringify(seen.at(-1)));"
    )
    # WHEN node loads it with the hook installed after a probe that records compiled text
    env = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}  # no preloaded hook
    result = subprocess.run(
        ["node", "-e", probe], capture_output=True, text=True, check=True, env=env
    )
    # THEN the value is unchanged and the text compiled had no source-map comment
    value, compiled = result.stdout.split(" ", 1)
    assert value == "42"
    assert "sourceMappingURL" not in compiled and "41 + 1" in compiled
