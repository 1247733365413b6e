"""Container health check: exit 0 if GET http://127.0.0.1:$PORT/healthz answers 200 within 2 s.

One script for both apps: the port is the one the app listens on, ``$PORT``, which each
Dockerfile sets (``ENV PORT=...``) and the ECS task definition sets too. Without a valid
``PORT`` it says why on stderr and exits 1 (unhealthy): it never guesses a port.
Used by the Dockerfile HEALTHCHECK and by ECS as ["CMD", "python", "/app/common/healthcheck.py"].
Standalone on purpose (stdlib only, no app imports) so it stays cheap and cannot break with the app.
"""

from __future__ import annotations

import http.client
import os
import sys
import time

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


def read_port(raw: str | None) -> int | None:
    """``raw`` as a port 1-65535 (ASCII digits only, like the apps), else None."""
    digits = (raw or "").strip()
    port = int(digits) if digits.isascii() and digits.isdigit() else 0
    return port if 1 <= port <= 65535 else None


def main() -> int:
    raw = os.environ.get("PORT")
    port = read_port(raw)
    if port is None:
        print(f"healthcheck: PORT must be a port 1-65535, got {raw!r}", file=sys.stderr)
        return 1
    return 0 if check(port) else 1


if __name__ == "__main__":
    sys.exit(main())
