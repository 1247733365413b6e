"""Frontend happy path: the server-rendered page and the /api proxy."""

from __future__ import annotations

import json


def test_page_shows_backend_message_hostname_and_az(frontend, backend) -> None:
    # GIVEN the backend's own answer
    expected = backend.get("/api/message").json()

    # WHEN the page is requested from the frontend
    response = frontend.get("/")

    # THEN it was rendered server-side with the backend's data
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert expected["message"] in response.text
    assert expected["hostname"] in response.text
    assert "test-az-1a" in response.text


def test_api_message_through_proxy_returns_backend_json(frontend) -> None:
    response = frontend.get("/api/message")

    assert response.status == 200
    data = response.json()
    assert data["availability_zone"] == "test-az-1a"
    assert data["version"] == "1.2.3"
    assert {"message", "hostname", "timestamp"} <= data.keys()


def test_proxy_keeps_path_query_and_backend_status(launcher, fake_server, fake_route) -> None:
    # GIVEN a backend that answers 418 on /api/teapot
    fake = fake_server({"/api/teapot": fake_route(status=418, body={"short": "stout"})})
    frontend = launcher.start("frontend", {"BACKEND_URL": fake.url})

    # WHEN the frontend proxies a request with a query string
    response = frontend.get("/api/teapot?size=2&name=a%20b")

    # THEN path, query, status and body pass through unchanged
    assert fake.requested == ["/api/teapot?size=2&name=a%20b"]
    assert response.status == 418
    assert response.json() == {"short": "stout"}


def test_page_escapes_backend_data(launcher, fake_server, fake_route) -> None:
    # GIVEN a backend whose answer contains HTML
    hostile = {"message": "<script>alert(1)</script>", "hostname": "h&<b>", "version": "1"}
    fake = fake_server({"/api/message": fake_route(body=hostile)})
    frontend = launcher.start("frontend", {"BACKEND_URL": fake.url})

    # WHEN the page is rendered
    page = frontend.get("/").text

    # THEN the data appears only in escaped form
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "h&amp;&lt;b&gt;" in page
    assert "<script>" not in page
    assert json.dumps(hostile) not in page


def test_unknown_frontend_path_returns_404(frontend) -> None:
    assert frontend.get("/nope").status == 404
