"""Shared runtime for the stdlib-only apps: env parsing, JSON logs, request handler, serving.

One file for both apps: each image copies it to /app/common/ (see the package docstring).
"""

from __future__ import annotations

import json
import logging
import signal
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn
from urllib.parse import urlsplit

LOGGER = logging.getLogger("app")
CONFIG_ERROR_EXIT_CODE = 2


class ConfigError(ValueError):
    """Invalid configuration; the message names the variable and the offending value."""


def utc_timestamp(epoch_seconds: float | None = None) -> str:
    """ISO 8601 UTC timestamp with millisecond precision, e.g. 2025-01-31T12:00:00.000Z."""
    seconds = time.time() if epoch_seconds is None else epoch_seconds
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLineFormatter(logging.Formatter):
    """Renders each record as one JSON object so CloudWatch Logs Insights can query fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": utc_timestamp(record.created),
            "level": record.levelname.lower(),
            "service": self.service,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str) -> None:
    """Send JSON lines to stdout (flushed per line by StreamHandler) and nothing to stderr."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLineFormatter(service))
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False


def log(level: int, message: str, *, exc_info: bool = False, **fields: Any) -> None:
    """Log one structured event; keyword arguments become top-level JSON fields."""
    LOGGER.log(level, message, extra={"fields": fields}, exc_info=exc_info)


def read_port(env: Mapping[str, str], default: int) -> int:
    """PORT as an int in 1..65535; unset means the default, anything else must be valid."""
    raw = env.get("PORT")
    if raw is None:
        return default
    digits = raw.strip()
    # Plain ASCII digits only: int() alone would also accept "+80" or "8_0".
    port = int(digits) if digits.isascii() and digits.isdigit() else 0
    if not 1 <= port <= 65535:
        raise ConfigError(f"PORT must be an integer between 1 and 65535, got {raw!r}")
    return port


def exit_with_config_error(error: ConfigError) -> NoReturn:
    """Report a configuration problem as a single log line and stop with a non-zero code."""
    log(logging.ERROR, f"invalid configuration: {error}")
    sys.exit(CONFIG_ERROR_EXIT_CODE)


class JsonRequestHandler(BaseHTTPRequestHandler):
    """Base handler: GET routing via handle_get, JSON helpers, one log line per request."""

    server_version = "app"
    # HTTP/1.0 closes each connection after one response, so idle keep-alive connections
    # can never hold up a graceful shutdown.
    protocol_version = "HTTP/1.0"
    # Seconds a stalled client may block a worker thread (also bounds shutdown draining).
    timeout = 10

    def handle_get(self, path: str) -> None:
        """Serve a GET for the URL path (query excluded; see self.path for the raw target)."""
        raise NotImplementedError

    def do_GET(self) -> None:
        self._run_logged(lambda: self.handle_get(urlsplit(self.path).path))

    def _method_not_allowed(self) -> None:
        self._run_logged(
            lambda: self.send_json(
                HTTPStatus.METHOD_NOT_ALLOWED,
                {"error": "method_not_allowed", "message": "Only GET is supported."},
                extra_headers={"Allow": "GET"},
            )
        )

    do_POST = do_PUT = do_PATCH = do_DELETE = _method_not_allowed

    def _run_logged(self, respond: Callable[[], None]) -> None:
        self.response_status: int | None = None
        started = time.monotonic()
        try:
            respond()
        except (BrokenPipeError, ConnectionResetError):
            log(logging.INFO, "client disconnected", path=urlsplit(self.path).path)
        except Exception:  # last resort: answer 500 and keep serving
            log(logging.ERROR, "unhandled error", path=urlsplit(self.path).path, exc_info=True)
            if self.response_status is None:
                self.send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal_error"})
        finally:
            log(
                logging.INFO,
                "request",
                method=self.command,
                path=urlsplit(self.path).path,
                status=self.response_status,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
                client=self.client_address[0],
            )

    def version_string(self) -> str:
        return self.server_version  # don't advertise the Python version in the Server header

    def send_response(self, code: int, message: str | None = None) -> None:
        self.response_status = int(code)
        super().send_response(code, message)

    def send_body(
        self,
        status: int,
        body: bytes,
        content_type: str,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Every answer is per-request (hostname, AZ, time); never let caches reuse it.
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(
        self, status: int, payload: Any, extra_headers: Mapping[str, str] | None = None
    ) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_body(status, body, "application/json", extra_headers)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: _run_logged writes a structured line with the duration instead."""

    def log_message(self, format: str, *args: Any) -> None:
        # Only reached via log_error (malformed requests, socket timeouts); keep it structured.
        log(logging.WARNING, format % args, client=self.client_address[0])


class AppServer(ThreadingHTTPServer):
    """Threaded HTTP server whose close() waits for in-flight requests to finish."""

    # Non-daemon worker threads are joined by server_close(); that is the drain step.
    daemon_threads = False
    block_on_close = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can stall startup.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        log(logging.ERROR, "connection error", client=str(client_address), exc_info=True)


def serve(handler_class: type[JsonRequestHandler], host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT, then stop accepting, drain in-flight requests and return."""
    try:
        server = AppServer((host, port), handler_class)
    except OSError as error:
        log(logging.ERROR, f"cannot listen on {host}:{port}: {error}")
        sys.exit(1)

    stop_requested = threading.Event()

    def stop_in_background(signal_name: str) -> None:
        log(logging.INFO, "shutting down", signal=signal_name)
        server.shutdown()  # blocks until serve_forever() has returned

    def on_signal(signum: int, _frame: Any) -> None:
        # shutdown() must not run on the thread executing serve_forever(): hand it off.
        if not stop_requested.is_set():
            stop_requested.set()
            name = signal.Signals(signum).name
            threading.Thread(target=stop_in_background, args=(name,), daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log(logging.INFO, "listening", host=host, port=server.server_port)
    try:
        server.serve_forever(poll_interval=0.05)  # how fast shutdown() is noticed
    finally:
        server.server_close()  # closes the listener, then joins request threads
    log(logging.INFO, "stopped")
