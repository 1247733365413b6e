"""SIGTERM/SIGINT: stop accepting, let in-flight requests finish, log, exit 0."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

PROMPT_EXIT_SECONDS = 2.0


@pytest.mark.parametrize("app_name", ["backend", "frontend"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_0_promptly_and_logs_shutting_down(
    launcher, closed_port_url, app_name, signum
) -> None:
    # GIVEN a running, idle app (of its own: the shared fixtures must stay up)
    app = launcher.start(app_name, {"BACKEND_URL": closed_port_url})

    # WHEN ECS (SIGTERM) or a developer (Ctrl-C, SIGINT) stops it
    started = time.monotonic()
    app.process.send_signal(signum)
    exit_code = app.process.wait(timeout=5)

    # THEN it exits cleanly and quickly, saying so in its log
    assert exit_code == 0
    assert time.monotonic() - started < PROMPT_EXIT_SECONDS
    messages = [entry["message"] for entry in app.log_entries()]
    assert "shutting down" in messages
    assert messages[-1] == "stopped"
    assert app.stderr_text() == ""


def test_in_flight_request_completes_during_sigterm(launcher, fake_server, fake_route) -> None:
    # GIVEN a frontend busy with a request to a backend that takes 0.7 s
    slow = fake_server({"/api/message": fake_route(body={"message": "late"}, delay_seconds=0.7)})
    frontend = launcher.start("frontend", {"BACKEND_URL": slow.url})
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(frontend.get, "/api/message")
        assert slow.request_started.wait(timeout=3)

        # WHEN SIGTERM arrives mid-request
        frontend.process.send_signal(signal.SIGTERM)

        # THEN the request still gets its answer and the process then exits 0
        response = pending.result(timeout=5)
    assert response.status == 200
    assert response.json() == {"message": "late"}
    assert frontend.process.wait(timeout=5) == 0
