"""The emulator launcher: start, find again, stop without leftovers."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

from tools.emulator.emulator import (
    HOST,
    LOG_FILE,
    Emulator,
    EmulatorError,
    answers,
    main,
    port_is_free,
    retried_request,
)


def test_start_find_stop(tmp_path: Path) -> None:
    started = Emulator.start(tmp_path)
    try:
        assert started.endpoint == f"http://{HOST}:{started.port}"
        assert answers(started.endpoint)
        assert os.getpgid(started.pid) == started.pid  # its own process group
        recorded = json.loads((tmp_path / "emulator.json").read_text())
        assert (recorded["pid"], recorded["port"]) == (started.pid, started.port)
        assert Emulator.find(tmp_path) == started
    finally:
        started.stop()
    assert port_is_free(started.port)
    assert not Path(f"/proc/{started.pid}").exists()
    assert not (tmp_path / "emulator.json").exists()
    assert Emulator.find(tmp_path) is None


def test_the_request_log_marks_sdk_retries(tmp_path: Path) -> None:
    # GIVEN a running emulator
    started = Emulator.start(tmp_path)
    try:
        # WHEN an SDK sends a JSON-protocol call as its second attempt, and another as its first
        for attempt in (2, 1):
            request = urllib.request.Request(
                started.endpoint + "/",
                data=b"{}",
                headers={
                    "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
                    "Content-Type": "application/x-amz-json-1.1",
                    "amz-sdk-request": f"attempt={attempt}; max=25",
                    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/"
                    "ap-northeast-1/ecs/aws4_request, SignedHeaders=host, Signature=x",
                },
            )
            urllib.request.urlopen(request, timeout=10).read()
    finally:
        started.stop()
    # THEN the log marks the retry once, with its action
    log = (tmp_path / LOG_FILE).read_text()
    assert log.count("retried request") == 1
    assert "retried request attempt=2 ListClusters" in log


def test_retried_request_reads_the_sdk_attempt_header() -> None:
    assert retried_request({"amz-sdk-request": "attempt=1; max=3"}) == ""
    assert retried_request({}) == ""
    assert retried_request({"amz-sdk-request": "attempt=3; max=25"}) == (
        "retried request attempt=3 (action in the body)"
    )


def test_find_ignores_a_dead_or_foreign_pid(tmp_path: Path) -> None:
    record = tmp_path / "emulator.json"
    record.write_text(json.dumps({"pid": 2**22 + 1, "port": 1}))
    assert Emulator.find(tmp_path) is None
    assert not record.exists()  # a stale record is dropped
    # A live process that is not our launcher (this test) is never taken for it.
    record.write_text(json.dumps({"pid": os.getpid(), "port": 1}))
    assert Emulator.find(tmp_path) is None


def test_find_without_record(tmp_path: Path) -> None:
    assert Emulator.find(tmp_path) is None


def test_start_reports_a_server_that_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tools.emulator.emulator.MODULE", "tools.emulator.no_such_module")
    with pytest.raises(EmulatorError, match="exited with 1 before listening"):
        Emulator.start(tmp_path, timeout=30)


def test_bad_port_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--port", "70000"])
    assert exited.value.code == 2
    assert "--port=70000" in capsys.readouterr().err


def test_a_response_that_never_reached_its_client_is_logged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN moto's request handler with the emulator's logging (werkzeug is silent here)
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    from tools.emulator import emulator

    monkeypatch.setattr(MotoRequestHandler, "log_request", MotoRequestHandler.log_request)
    monkeypatch.setattr(
        MotoRequestHandler, "connection_dropped", MotoRequestHandler.connection_dropped
    )
    emulator._log_retries()
    handler = MotoRequestHandler.__new__(MotoRequestHandler)
    handler.command, handler.path = "POST", "/"
    handler.headers = {"amz-sdk-request": "attempt=1; max=25"}
    lines: list[str] = []
    handler.log = lambda kind, fmt, *args: lines.append(fmt % args)  # type: ignore[method-assign]
    # WHEN the client's connection breaks while the response is written
    handler.connection_dropped(ConnectionResetError(104, "Connection reset by peer"))
    # THEN one line names the request, the error and the SDK attempt
    assert len(lines) == 1
    assert "POST /" in lines[0] and "Connection reset by peer" in lines[0]
    assert "attempt=1; max=25" in lines[0]


def test_an_emulator_client_signs_with_a_sessions_keys_when_given_one() -> None:
    from tools.emulator.inventory import client

    session = {"AccessKeyId": "ASIASESSION", "SecretAccessKey": "s", "SessionToken": "t"}
    keys = client(
        "sts", "http://127.0.0.1:1", "ap-northeast-1", session
    )._request_signer._credentials
    assert (keys.access_key, keys.token) == ("ASIASESSION", "t")
    fake = client("sts", "http://127.0.0.1:1", "ap-northeast-1")._request_signer._credentials
    assert fake.access_key != "ASIASESSION" and fake.token is None
