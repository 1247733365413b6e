"""HTTP client for the backend: one timeout for every call, failures mapped to 502/504."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

MAX_BODY_BYTES = 1024 * 1024  # the API answers are tiny; refuse to buffer anything huge


@dataclass(frozen=True)
class BackendResponse:
    status: int
    body: bytes
    content_type: str


class BackendError(Exception):
    """The backend could not give an answer; carries the status the frontend should return."""

    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class BackendClient:
    """GETs paths relative to BACKEND_URL with plain http.client.

    http.client (not urllib) because it never follows redirects or reads HTTP(S)_PROXY and
    returns 4xx/5xx as ordinary responses that the /api proxy can pass through unchanged.
    The timeout applies to connecting and to each socket read.
    """

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        parts = urlsplit(base_url)
        self._https = parts.scheme == "https"
        self._netloc = parts.netloc
        self._prefix = parts.path.rstrip("/")
        self.timeout_seconds = timeout_seconds

    def get(self, path_and_query: str) -> BackendResponse:
        """GET prefix + path_and_query; raises BackendError when no response is obtained."""
        connection_class = (
            http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        )
        connection = connection_class(self._netloc, timeout=self.timeout_seconds)
        try:
            connection.request(
                "GET", self._prefix + path_and_query, headers={"Accept": "application/json"}
            )
            response = connection.getresponse()
            body = response.read(MAX_BODY_BYTES + 1)
        except TimeoutError as error:  # socket.timeout is TimeoutError since Python 3.10
            raise BackendError(
                HTTPStatus.GATEWAY_TIMEOUT,
                "backend_timeout",
                f"The backend did not respond within {self.timeout_seconds:g} seconds.",
            ) from error
        except ConnectionRefusedError as error:
            raise BackendError(
                HTTPStatus.BAD_GATEWAY,
                "backend_unavailable",
                "The backend is unavailable (connection refused). It may be down or restarting.",
            ) from error
        except (OSError, http.client.HTTPException) as error:
            raise BackendError(
                HTTPStatus.BAD_GATEWAY,
                "backend_unreachable",
                f"The backend could not be reached ({type(error).__name__}).",
            ) from error
        finally:
            connection.close()
        if len(body) > MAX_BODY_BYTES:
            raise BackendError(
                HTTPStatus.BAD_GATEWAY,
                "backend_response_too_large",
                "The backend answer is too large.",
            )
        content_type = response.getheader("Content-Type") or "application/json"
        return BackendResponse(response.status, body, content_type)
