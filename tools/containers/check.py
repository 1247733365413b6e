"""One full pass in a browser: what the tests assert and ``make bench`` times.

``browse`` loads the frontend in Chromium, finds the backend's message, host and
version, reloads until a second backend replica answers and saves a screenshot.
``backend_down`` stops every backend replica (checking each shut down gracefully)
and loads the page again, which must be the frontend's 502/504 error page.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from tools.containers import run, taskdefs
from tools.containers.browser import chromium, page_text
from tools.containers.common import ContainersError
from tools.containers.engine import ensure_engine, stop_own_engine
from tools.containers.harness import Served, down, up

MESSAGE = "Hello from the backend!"
RELOADS = 30


@dataclass(frozen=True)
class Seen:
    text: str
    backend_hosts: set[str]  # the backend hostnames the page showed over the reloads


def backend_hostnames(served: Served) -> dict[str, str]:
    """Container hostname -> container name, for the backend replicas."""
    names = served.containers["backend"]
    return {run.inspect(served.engine, n)["Config"]["Hostname"]: n for n in names}


def shown_host(text: str) -> str:
    match = re.search(r"Backend host\s+(\S+)", text)
    return match[1] if match else ""


def browse(served: Served, driver: object, screenshot: Path | None = None) -> Seen:
    hosts = backend_hostnames(served)
    version = served.tasks["backend"].environment["APP_VERSION"]
    text = page_text(driver, served.frontend_url)
    missing = [want for want in (MESSAGE, version) if want not in text]
    if missing or shown_host(text) not in hosts:
        raise ContainersError(f"the page lacks {missing or 'a backend host'}:\n{text}")
    if screenshot:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))  # type: ignore[attr-defined]  # selenium driver
    seen = {shown_host(text)}
    for _ in range(RELOADS):
        if len(seen) == len(hosts):
            break
        seen.add(shown_host(page_text(driver, served.frontend_url)))
    return Seen(text, seen)


def stop_backends(served: Served) -> list[run.Stopped]:
    """``docker stop`` every backend replica; each must exit 0 within its stop timeout."""
    task = served.tasks["backend"]
    stopped = [run.stop(served.engine, n, task.stop_timeout) for n in served.containers["backend"]]
    for s in stopped:
        graceful = s.exit_code == 0 and s.seconds < task.stop_timeout and "stopped" in s.logs
        if not graceful:
            raise ContainersError(
                f"{s.name} did not shut down gracefully: exit {s.exit_code} after "
                f"{s.seconds:.1f} s (stop timeout {task.stop_timeout} s)\n{s.logs[-800:]}"
            )
    return stopped


def backend_down(served: Served, driver: object) -> str:
    """Stop the backends and return the page text, which must be a 502 or 504 page."""
    stop_backends(served)
    text = page_text(driver, served.frontend_url)
    if not re.search(r"HTTP status 50[24]", text):
        raise ContainersError(f"expected the frontend's 502/504 page, got:\n{text}")
    return text


def check(
    env_name: str = "dev", *, port: int = 0, screenshot: Path | None = None
) -> dict[str, float]:
    """Engine, synth, build, start, browser, then everything removed; stage timings."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    engine = ensure_engine()
    timings["engine"] = time.monotonic() - started
    try:
        started = time.monotonic()
        tasks = taskdefs.read(env_name)
        timings["synth (task definitions)"] = time.monotonic() - started
        served = up(engine, tasks=tasks, port=port)
        timings["build (base, build, push, digests)"] = served.timings["build"]
        timings["start (run until both healthy)"] = served.timings["start"]
        try:
            started = time.monotonic()
            with chromium() as driver:
                seen = browse(served, driver, screenshot)
                if len(seen.backend_hosts) < 2:
                    raise ContainersError(f"only one backend host answered: {seen.backend_hosts}")
                backend_down(served, driver)
            timings["browser (page, reloads, 502 page)"] = time.monotonic() - started
        finally:
            down(served)
    finally:
        if engine.started_now:
            stop_own_engine()
    return timings
