"""Answer an AWS SDK's retry of a call the emulator already performed with that call's answer.

Why: docs/emulator.md ("A transport fix"). Failed first attempts are never stored: their
retries reach moto as before.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# What an AWS SDK's amz-sdk-request header says: "attempt=2; max=25".
SDK_ATTEMPT = re.compile(r"attempt=(\d+)")
KEEP = 512  # responses remembered (the SDK retries within seconds)
MAX_BODY = 256 * 1024  # larger answers (state files) are not remembered
REPLAYED = "replayed the first attempt's response to its SDK retry"

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Replayer:
    """A WSGI middleware around ``app`` with the behaviour of the module docstring."""

    def __init__(self, app: App, log: Callable[[str], None] | None = None) -> None:
        self.app = app
        self.log = log or logging.getLogger("werkzeug").info
        self._answers: OrderedDict[str, tuple[str, list[tuple[str, str]], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "")
        found = SDK_ATTEMPT.search(environ.get("HTTP_AMZ_SDK_REQUEST", ""))
        if not invocation or not found or environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return self.app(environ, start_response)
        if int(found.group(1)) >= 2:
            with self._lock:
                answer = self._answers.get(invocation)
            if answer is None:
                return self.app(environ, start_response)
            status, headers, body = answer
            self.log(f"  ^ {REPLAYED} (invocation {invocation}, {found.group(0)})")
            start_response(status, headers)
            return [body]
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, capture))
        if str(seen.get("status", "")).startswith("2") and len(body) <= MAX_BODY:
            with self._lock:
                self._answers[invocation] = (seen["status"], seen["headers"], body)
                while len(self._answers) > KEEP:
                    self._answers.popitem(last=False)
        return [body]


def count(log: Path) -> int:
    """How many retries the emulator whose request log is ``log`` answered this way."""
    try:
        return log.read_text(errors="replace").count(REPLAYED)
    except OSError:
        return 0


def install() -> None:
    """Put a ``Replayer`` in front of every app moto's server dispatches to."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    plain = DomainDispatcherApplication.__call__
    replayers: dict[int, Replayer] = {}

    def call(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        replayer = replayers.get(id(self))
        if replayer is None:
            replayer = replayers[id(self)] = Replayer(lambda e, s: plain(self, e, s))
        return replayer(environ, start_response)

    DomainDispatcherApplication.__call__ = call  # type: ignore[method-assign]
