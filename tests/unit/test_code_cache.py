"""tools/perf/code_cache.cjs: V8's code cache of the kernel's modules, kept between starts."""

import json
import os
import subprocess
from pathlib import Path

from tools.perf import jsii_node

HOOK = jsii_node.CODE_CACHE.path

# What a module sees of its CommonJS surroundings, as the stock loader sets them up.
MODULE = """\
const dep = require("./dep");
exports.seen = {
  file: __filename, dir: __dirname, dep, resolved: require.resolve("./dep"),
  isMain: require.main === module, cached: typeof require.cache === "object",
  strict: (function () { return this === undefined; })(),
};
"""


def _project(root: Path, body: str = MODULE) -> Path:
    """main.js prints what mod.js saw; mod.js requires dep.js. Returns main.js."""
    (root / "dep.js").write_text("module.exports = 41 + 1;\n")
    (root / "mod.js").write_text(body)
    (root / "main.js").write_text('console.log(JSON.stringify(require("./mod").seen));\n')
    return root / "main.js"


def _run(main: Path, cache: Path | None, hooks: tuple[Path, ...] = (HOOK,)) -> tuple[str, str]:
    """Run ``main`` in a fresh node with ``hooks`` preloaded, in that order."""
    drop = ("NODE_OPTIONS", jsii_node.CODE_CACHE_ENV_VAR)  # as the test process has them
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["NODE_OPTIONS"] = " ".join(f"--require={json.dumps(str(h))}" for h in hooks)
    if cache is not None:
        env[jsii_node.CODE_CACHE_ENV_VAR] = str(cache)
    proc = subprocess.run(
        ["node", str(main)], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    return proc.stdout, proc.stderr


def _entries(cache: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}


def test_second_start_reuses_the_entries_and_the_module_sees_what_it_would_stock(tmp_path):
    # GIVEN a module and a dependency, and an empty cache
    module, cache = _project(tmp_path), tmp_path / "cache"
    stock, _ = _run(module, cache=None, hooks=())
    assert json.loads(stock)["isMain"] is False
    # WHEN node loads them twice with the hook
    first, err = _run(module, cache)
    written = _entries(cache)
    second, _ = _run(module, cache)
    # THEN the first start wrote one entry per module, the second wrote nothing new,
    # and the module saw the same surroundings as under the stock loader each time
    assert len(written) == 3 and err == ""
    assert _entries(cache) == written
    assert first == second == stock
    assert json.loads(stock)["dep"] == 42 and json.loads(stock)["strict"] is False


def test_an_entry_that_does_not_fit_is_compiled_from_source_and_replaced(tmp_path):
    module, cache = _project(tmp_path), tmp_path / "cache"
    expected, _ = _run(module, cache)
    for entry in _entries(cache):
        entry.write_bytes(b"not a code cache")
    assert _run(module, cache)[0] == expected
    assert all(entry.read_bytes() != b"not a code cache" for entry in _entries(cache))


def test_a_module_using_import_is_compiled_the_stock_way(tmp_path):
    body = MODULE + "exports.later = () => import('./dep.js');\n"
    module, cache = _project(tmp_path, body), tmp_path / "cache"
    _run(module, cache)
    assert len(_entries(cache)) == 2  # main.js and dep.js


def test_it_stays_off_with_a_warning_rather_than_skip_a_hook_loaded_before_it(tmp_path):
    # GIVEN another compile hook loaded first
    module, cache = _project(tmp_path), tmp_path / "cache"
    other = tmp_path / "other.cjs"
    other.write_text(
        "const M = require('module'); const c = M.prototype._compile;"
        "M.prototype._compile = function (s, f) { return c.call(this, s, f); };"
    )
    stdout, stderr = _run(module, cache, hooks=(other, HOOK))
    # THEN modules load through that hook, nothing is cached, and one warning says why
    assert json.loads(stdout)["dep"] == 42 and not cache.exists()
    assert stderr.count("warning: tools/perf/code_cache.cjs: another hook already wraps") == 1


def test_it_stays_off_with_a_warning_without_a_cache_directory(tmp_path):
    stdout, stderr = _run(_project(tmp_path), cache=None)
    assert json.loads(stdout)["dep"] == 42
    assert stderr.count("warning: tools/perf/code_cache.cjs: CDKTF_CODE_CACHE is not set") == 1


def test_a_script_starting_with_a_hashbang_runs_and_is_cached(tmp_path):
    # GIVEN an executable script, as npx and cdktf-cli are, with its #! line
    main = _project(tmp_path)
    main.write_text("#!/usr/bin/env node\n" + main.read_text())
    cache = tmp_path / "cache"
    # WHEN node runs it twice with the hook; THEN it runs as without the hook, both times
    stock, _ = _run(main, cache=None, hooks=())
    assert _run(main, cache)[0] == _run(main, cache)[0] == stock
    assert len(_entries(cache)) == 3
