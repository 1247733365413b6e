"""tools/perf/jsii_runtime.py and jsii_runtime.cjs: jsii's kernel in one node process."""

import base64
import json
import os
import re
import subprocess

import pytest

from tools.perf import jsii_runtime


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private .cache/jsii-runtime, so the test sees the copy being made."""
    monkeypatch.setattr(jsii_runtime, "CACHE", tmp_path / "jsii-runtime")
    return tmp_path / "jsii-runtime"


def test_configure_points_jsii_at_the_runtime_and_copies_the_kernel_once(cache):
    environ: dict[str, str] = {}
    assert jsii_runtime.configure(environ) is True
    assert jsii_runtime.configure(environ) is True  # idempotent
    assert environ["JSII_RUNTIME"] == str(jsii_runtime.RUNTIME)
    assert environ["JSII_NODE"] == str(jsii_runtime.LAUNCHER)
    program = environ["CDKTF_JSII_PROGRAM"]
    (copy,) = cache.iterdir()
    assert program == str(copy / "lib" / "program.js")
    assert sorted(p.name for p in (copy / "lib").iterdir()) == [
        "program.js",
        "runtime-index-worker.js",
    ]


def test_a_node_chosen_by_the_user_runs_the_runtime(cache):
    environ = {"JSII_NODE": "/opt/node24/bin/node"}
    assert jsii_runtime.configure(environ) is True
    assert environ["CDKTF_JSII_NODE"] == "/opt/node24/bin/node"
    assert environ["JSII_NODE"] == str(jsii_runtime.LAUNCHER)


@pytest.mark.parametrize(
    "environ",
    [{"CDKTF_STOCK_RUNTIME": "1"}, {"JSII_RUNTIME": "/somewhere/else.js"}],
    ids=["switched-off", "another-runtime"],
)
def test_off_switch_and_a_runtime_chosen_by_the_user_leave_jsii_alone(cache, environ):
    before = dict(environ)
    assert jsii_runtime.configure(environ) is False
    assert environ == before and not cache.exists()


def test_off_switch_undoes_what_a_parent_process_configured(cache):
    # GIVEN the environment of a parent that configured the runtime over a node of its own
    environ = {"JSII_NODE": "/opt/node24/bin/node"}
    jsii_runtime.configure(environ)
    # WHEN a child inherits it and switches the runtime off
    environ["CDKTF_STOCK_RUNTIME"] = "1"
    assert jsii_runtime.configure(environ) is False
    # THEN jsii starts its own runtime, on the parent's node
    assert environ == {"JSII_NODE": "/opt/node24/bin/node", "CDKTF_STOCK_RUNTIME": "1"}


@pytest.mark.parametrize(
    ("verified", "why"),
    [
        ({"0.0.1": "x"}, r"jsii 1\.142\.0 is not a verified version \(0\.0\.1\)"),
        ({"1.142.0": "0" * 64}, r"lib/program\.js is not the verified file \(sha256 ae39a9"),
    ],
    ids=["unknown-version", "changed-kernel"],
)
def test_an_unverified_jsii_warns_and_keeps_its_own_runtime(
    cache, monkeypatch, capsys, verified, why
):
    # GIVEN a jsii whose version or kernel file was not verified with jsii_runtime.cjs
    monkeypatch.setattr(jsii_runtime, "VERIFIED", verified)
    environ: dict[str, str] = {}
    # WHEN configured; THEN jsii keeps its own runtime and one warning says why
    assert jsii_runtime.configure(environ) is False
    assert environ == {} and not cache.exists()
    err = capsys.readouterr().err
    assert err.count("warning: tools/perf/jsii_runtime.py:") == 1
    assert "jsii's own runtime is used" in err
    assert re.search(why, err)


def test_runtime_speaks_the_protocol_and_relays_other_output(cache, tmp_path):
    # GIVEN the runtime, started the way jsii's client starts it, with code that prints
    environ = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "JSII_NODE")}
    assert jsii_runtime.configure(environ)
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
