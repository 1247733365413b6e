"""Frontend behaviour when the backend is down, slow or broken: 502/504, never a crash."""

from __future__ import annotations

import time

SMALL_TIMEOUT = "0.5"  # BACKEND_TIMEOUT_SECONDS for the slow-backend tests
SLOWER_THAN_TIMEOUT = 3.0  # fake backend delay; cut short at teardown


def test_page_is_502_when_backend_is_down_and_frontend_stays_healthy(
    launcher, closed_port_url
) -> None:
    # GIVEN a frontend whose backend refuses connections
    frontend = launcher.start("frontend", {"BACKEND_URL": closed_port_url})

    # WHEN the page is requested
    response = frontend.get("/")

    # THEN it explains the problem with 502, and the frontend keeps serving
    assert response.status == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Backend unavailable" in response.text
    assert "connection refused" in response.text
    assert frontend.get("/healthz").status == 200
    assert frontend.process.poll() is None


def test_api_is_502_json_when_backend_is_down(launcher, closed_port_url) -> None:
    frontend = launcher.start("frontend", {"BACKEND_URL": closed_port_url})

    response = frontend.get("/api/message")

    assert response.status == 502
    assert response.json()["error"] == "backend_unavailable"


def test_page_is_504_when_backend_is_slow(launcher, fake_server, fake_route) -> None:
    # GIVEN a backend slower than BACKEND_TIMEOUT_SECONDS
    slow = fake_server({"/api/message": fake_route(delay_seconds=SLOWER_THAN_TIMEOUT)})
    frontend = launcher.start(
        "frontend", {"BACKEND_URL": slow.url, "BACKEND_TIMEOUT_SECONDS": SMALL_TIMEOUT}
    )

    # WHEN the page is requested
    started = time.monotonic()
    response = frontend.get("/")
    elapsed = time.monotonic() - started

    # THEN the frontend gives up at its timeout with a 504 page
    assert response.status == 504
    assert "Backend timed out" in response.text
    assert "0.5 seconds" in response.text
    assert elapsed < SLOWER_THAN_TIMEOUT - 1
    assert frontend.get("/healthz").status == 200


def test_api_is_504_json_when_backend_is_slow(launcher, fake_server, fake_route) -> None:
    slow = fake_server({"/api/message": fake_route(delay_seconds=SLOWER_THAN_TIMEOUT)})
    frontend = launcher.start(
        "frontend", {"BACKEND_URL": slow.url, "BACKEND_TIMEOUT_SECONDS": SMALL_TIMEOUT}
    )

    response = frontend.get("/api/message")

    assert response.status == 504
    assert response.json()["error"] == "backend_timeout"


def test_page_is_502_when_backend_answers_500(launcher, fake_server, fake_route) -> None:
    broken = fake_server({"/api/message": fake_route(status=500, body={"error": "boom"})})
    frontend = launcher.start("frontend", {"BACKEND_URL": broken.url})

    response = frontend.get("/")

    assert response.status == 502
    assert "HTTP status 500" in response.text


def test_page_is_502_when_backend_answers_non_json(launcher, fake_server, fake_route) -> None:
    broken = fake_server({"/api/message": fake_route(body="<html>not json</html>")})
    frontend = launcher.start("frontend", {"BACKEND_URL": broken.url})

    response = frontend.get("/")

    assert response.status == 502
    assert "not JSON" in response.text
