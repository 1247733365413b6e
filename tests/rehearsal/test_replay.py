"""The emulator answers an SDK retry of a call it already performed with that call's answer."""

from __future__ import annotations

from typing import Any

from tools.emulator.replay import REPLAYED, Replayer, count


class Counting:
    """A WSGI app that performs a non-idempotent call: the second one is a duplicate."""

    def __init__(self, first_status: str = "200 OK") -> None:
        self.calls = 0
        self.first_status = first_status

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls += 1
        status = self.first_status if self.calls == 1 else "400 BAD REQUEST"
        start_response(status, [("Content-Type", "text/xml")])
        return [b"<ok/>" if self.calls == 1 else b"<Code>InvalidPermission.Duplicate</Code>"]


def _request(attempt: int, invocation: str = "inv-1", method: str = "POST") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "HTTP_AMZ_SDK_INVOCATION_ID": invocation,
        "HTTP_AMZ_SDK_REQUEST": f"attempt={attempt}; max=25",
    }


def _call(app: Replayer, environ: dict[str, Any]) -> tuple[str, bytes]:
    seen: list[str] = []
    body = b"".join(app(environ, lambda status, headers, exc=None: seen.append(status)))
    return seen[0], body


def test_a_retry_of_a_successful_call_gets_the_first_answer_and_is_logged() -> None:
    # GIVEN a call that worked, whose answer its client did not receive
    app, logged = Counting(), []
    replayer = Replayer(app, logged.append)
    assert _call(replayer, _request(1)) == ("200 OK", b"<ok/>")
    # WHEN the SDK sends it again THEN it gets that answer, and moto is not asked twice
    assert _call(replayer, _request(2)) == ("200 OK", b"<ok/>")
    assert app.calls == 1
    assert len(logged) == 1 and REPLAYED in logged[0] and "inv-1" in logged[0]


def test_a_retry_of_a_failed_call_reaches_moto_again() -> None:
    app = Counting(first_status="500 INTERNAL SERVER ERROR")
    replayer = Replayer(app, [].append)
    _call(replayer, _request(1))
    assert _call(replayer, _request(2))[0] == "400 BAD REQUEST"
    assert app.calls == 2


def test_another_invocation_is_never_answered_from_memory() -> None:
    app = Counting()
    replayer = Replayer(app, [].append)
    _call(replayer, _request(1, "inv-1"))
    assert _call(replayer, _request(2, "inv-2"))[0] == "400 BAD REQUEST"
    assert app.calls == 2


def test_reads_are_never_remembered() -> None:
    app = Counting()
    replayer = Replayer(app, [].append)
    _call(replayer, _request(1, method="GET"))
    _call(replayer, _request(2, method="GET"))
    assert app.calls == 2


def test_the_rehearsal_counts_the_replays_in_the_request_log(tmp_path: Any) -> None:
    log = tmp_path / "emulator.log"
    log.write_text(f'"POST / HTTP/1.1" 200 -\n  ^ {REPLAYED} (invocation a, attempt=2)\n')
    assert count(log) == 1
    assert count(tmp_path / "missing.log") == 0
