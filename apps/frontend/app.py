"""Frontend: renders backend data server-side at / and proxies GET /api/* to the backend.

Configuration comes only from environment variables (see apps/README.md).
Run from the repository root:
PYTHONPATH=apps BACKEND_URL=http://127.0.0.1:8080 PORT=3000 python apps/frontend/app.py
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from backend_client import BackendClient, BackendError
from common.runtime import (
    ConfigError,
    JsonRequestHandler,
    configure_logging,
    exit_with_config_error,
    log,
    read_port,
    serve,
)
from page import render_error_page, render_message_page

DEFAULT_PORT = 3000
DEFAULT_BACKEND_TIMEOUT_SECONDS = 3.0
MAX_BACKEND_TIMEOUT_SECONDS = 60.0  # the ALB idle timeout; waiting longer is pointless
HTML = "text/html; charset=utf-8"
ERROR_TITLES = {
    HTTPStatus.BAD_GATEWAY: "Backend unavailable",
    HTTPStatus.GATEWAY_TIMEOUT: "Backend timed out",
}


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    backend_url: str
    backend_timeout_seconds: float


def read_backend_url(env: Mapping[str, str]) -> str:
    """BACKEND_URL must be an absolute http(s) URL, optionally with a path prefix."""
    raw = env.get("BACKEND_URL")
    if not raw:
        got = "it is not set" if raw is None else "it is empty"
        raise ConfigError(f"BACKEND_URL is required (e.g. http://backend:8080) but {got}")
    try:
        parts = urlsplit(raw.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and parts.username is None and parts.port != 0
        valid = valid and not parts.query and not parts.fragment
    except ValueError:  # e.g. a non-numeric port
        valid = False
    if not valid:
        raise ConfigError(
            f"BACKEND_URL must be an http:// or https:// URL such as http://backend:8080, "
            f"got {raw!r}"
        )
    return raw.strip().rstrip("/")


def read_backend_timeout(env: Mapping[str, str]) -> float:
    raw = env.get("BACKEND_TIMEOUT_SECONDS")
    if raw is None:
        return DEFAULT_BACKEND_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_BACKEND_TIMEOUT_SECONDS:  # also rejects nan and inf
        raise ConfigError(
            f"BACKEND_TIMEOUT_SECONDS must be a number of seconds greater than 0 and at most "
            f"{MAX_BACKEND_TIMEOUT_SECONDS:g}, got {raw!r}"
        )
    return seconds


def load_settings(env: Mapping[str, str]) -> Settings:
    """Read and validate the environment; raises ConfigError naming the bad variable."""
    return Settings(
        host=env.get("HOST") or "0.0.0.0",
        port=read_port(env, DEFAULT_PORT),
        backend_url=read_backend_url(env),
        backend_timeout_seconds=read_backend_timeout(env),
    )


def build_handler(settings: Settings) -> type[JsonRequestHandler]:
    """Bind the backend client into a request handler class."""
    client = BackendClient(settings.backend_url, settings.backend_timeout_seconds)
    hostname = socket.gethostname()

    class FrontendHandler(JsonRequestHandler):
        def handle_get(self, path: str) -> None:
            if path == "/healthz":
                # Liveness of this process only: a backend outage must not make the ALB
                # replace healthy frontend tasks.
                self.send_json(HTTPStatus.OK, {"status": "ok"})
            elif path == "/":
                self.serve_page()
            elif path.startswith("/api/"):
                self.proxy_to_backend()
            else:
                self.send_json(
                    HTTPStatus.NOT_FOUND,
                    {"error": "not_found", "message": f"No route for {path}"},
                )

        def serve_page(self) -> None:
            try:
                data = fetch_message(client)
            except BackendError as error:
                log_backend_failure(error, "/api/message")
                title = ERROR_TITLES.get(error.status, "Backend error")
                page = render_error_page(error.status, title, error.message, hostname)
                self.send_body(error.status, page.encode("utf-8"), HTML)
                return
            page = render_message_page(data, hostname)
            self.send_body(HTTPStatus.OK, page.encode("utf-8"), HTML)

        def proxy_to_backend(self) -> None:
            try:
                target = urlsplit(self.path)  # keep the raw (still percent-encoded) path
                query = f"?{target.query}" if target.query else ""
                answer = client.get(target.path + query)
            except BackendError as error:
                log_backend_failure(error, urlsplit(self.path).path)
                self.send_json(error.status, {"error": error.code, "message": error.message})
                return
            self.send_body(answer.status, answer.body, answer.content_type)

    return FrontendHandler


def fetch_message(client: BackendClient) -> dict[str, Any]:
    """GET /api/message and return it as a dict; anything but a 200 JSON object is an error."""
    answer = client.get("/api/message")
    if answer.status != HTTPStatus.OK:
        raise BackendError(
            HTTPStatus.BAD_GATEWAY,
            "backend_error",
            f"The backend answered with HTTP status {answer.status}.",
        )
    try:
        data = json.loads(answer.body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise BackendError(
            HTTPStatus.BAD_GATEWAY, "backend_bad_response", "The backend answer was not JSON."
        )
    return data


def log_backend_failure(error: BackendError, backend_path: str) -> None:
    log(
        logging.WARNING,
        "backend request failed",
        error=error.code,
        detail=error.message,
        backend_path=backend_path,
        cause=repr(error.__cause__) if error.__cause__ else None,
    )


def main() -> None:
    configure_logging("frontend")
    try:
        settings = load_settings(os.environ)
    except ConfigError as error:
        exit_with_config_error(error)
    serve(build_handler(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
