"""Bad configuration: exit non-zero with one clear line naming the variable and its value."""

from __future__ import annotations

import json

import pytest

VALID_BACKEND = {"BACKEND_URL": "http://127.0.0.1:9"}


def single_error_line(result) -> str:
    """The one JSON error line the app printed; stderr must be empty."""
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert result.stderr == ""
    assert len(lines) == 1, result.stdout
    entry = json.loads(lines[0])
    assert entry["level"] == "error"
    return entry["message"]


@pytest.mark.parametrize("value", ["not-a-url", "ftp://files.example.com", "http://"])
def test_invalid_backend_url_exits_nonzero_naming_it(run_app_to_exit, value: str) -> None:
    result = run_app_to_exit("frontend", {"BACKEND_URL": value})

    assert result.returncode != 0
    message = single_error_line(result)
    assert "BACKEND_URL" in message
    assert repr(value) in message


@pytest.mark.parametrize(
    ("env", "drop", "hint"),
    [({}, ("BACKEND_URL",), "not set"), ({"BACKEND_URL": ""}, (), "empty")],
    ids=["unset", "empty"],
)
def test_missing_backend_url_exits_nonzero_naming_it(run_app_to_exit, env, drop, hint) -> None:
    result = run_app_to_exit("frontend", env, drop=drop)

    assert result.returncode != 0
    message = single_error_line(result)
    assert "BACKEND_URL" in message
    assert hint in message


@pytest.mark.parametrize("app_name", ["backend", "frontend"])
@pytest.mark.parametrize("value", ["0", "65536", "8_0", ""])
def test_invalid_port_exits_nonzero_naming_it(run_app_to_exit, app_name: str, value: str) -> None:
    result = run_app_to_exit(app_name, {**VALID_BACKEND, "PORT": value})

    assert result.returncode != 0
    message = single_error_line(result)
    assert "PORT" in message
    assert repr(value) in message


@pytest.mark.parametrize("value", ["0", "soon", "nan"])
def test_invalid_backend_timeout_exits_nonzero_naming_it(run_app_to_exit, value: str) -> None:
    result = run_app_to_exit("frontend", {**VALID_BACKEND, "BACKEND_TIMEOUT_SECONDS": value})

    assert result.returncode != 0
    message = single_error_line(result)
    assert "BACKEND_TIMEOUT_SECONDS" in message
    assert repr(value) in message
