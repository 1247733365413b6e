"""Container health check: exit 0 if GET http://127.0.0.1:$PORT/healthz answers 200 within 2 s.

Used by the Dockerfile HEALTHCHECK and by ECS as ["CMD", "python", "/app/healthcheck.py"].
Standalone on purpose (stdlib only, no app imports) so it stays cheap and cannot break with the app.
"""

from __future__ import annotations

import http.client
import os
import sys
import time

DEFAULT_PORT = 3000
TIMEOUT_SECONDS = 2.0


def check(port: int) -> bool:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("GET", "/healthz")
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    # The socket timeout applies per operation; also enforce the overall budget.
    return status == 200 and time.monotonic() - started <= TIMEOUT_SECONDS


def main() -> int:
    try:
        port = int(os.environ.get("PORT", DEFAULT_PORT))
    except ValueError:
        return 1
    return 0 if check(port) else 1


if __name__ == "__main__":
    sys.exit(main())
