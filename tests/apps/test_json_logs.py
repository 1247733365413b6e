"""Structured logging: JSON lines on stdout, one per request, nothing on stderr."""

from __future__ import annotations

import socket

import pytest


def is_request_log(path: str):
    return lambda entry: entry.get("message") == "request" and entry.get("path") == path


@pytest.mark.parametrize("app_name", ["backend", "frontend"])
def test_every_stdout_line_is_a_json_object_with_basics(request, app_name: str) -> None:
    # GIVEN an app that has started and served a request
    app = request.getfixturevalue(app_name)
    app.get("/api/message")
    app.wait_for_log(is_request_log("/api/message"))

    # THEN each stdout line parses as JSON with timestamp, level and message
    entries = app.log_entries()
    assert len(entries) >= 2  # "listening" + requests
    for entry in entries:
        assert {"timestamp", "level", "message"} <= entry.keys()
        assert entry["timestamp"].endswith("Z")
        assert entry["level"] in {"debug", "info", "warning", "error", "critical"}


def test_request_log_has_method_path_status_and_duration(backend) -> None:
    backend.get("/api/message?secret=1")

    entry = backend.wait_for_log(is_request_log("/api/message"))

    assert entry["method"] == "GET"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], (int, float))
    assert entry["duration_ms"] >= 0
    assert entry["level"] == "info"


def test_malformed_request_is_logged_as_json_not_stderr(backend) -> None:
    # GIVEN a client that sends garbage instead of HTTP
    with socket.create_connection(("127.0.0.1", backend.port), timeout=3) as raw:
        raw.sendall(b"GET /a b c HTTP/1.1\r\n\r\n")
        assert raw.recv(1024).startswith(b"HTTP/1.0 400")

    # THEN the complaint is a structured warning and stderr stays empty
    warning = backend.wait_for_log(lambda entry: entry["level"] == "warning")
    assert "400" in warning["message"]
    assert backend.stderr_text() == ""


def test_regular_traffic_writes_nothing_to_stderr(frontend, backend) -> None:
    for path in ("/", "/api/message", "/healthz", "/missing"):
        frontend.get(path)
    frontend.wait_for_log(is_request_log("/missing"))

    assert frontend.stderr_text() == ""
    assert backend.stderr_text() == ""
