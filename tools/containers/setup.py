"""``make containers-setup``: what the container checks need, from the machine or installed.

For each piece (engine, base image, registry, browser) it prints what will be used and
how it came: found on the machine, pulled, built, or installed with apt-get. It installs
only what is missing, and only where ``packages`` allows it (root on Debian, unless
``CONTAINERS_INSTALL=0``). Pieces still missing are listed, one line each; with
``CI=true`` or ``REQUIRE_ALL=1`` they make it fail.
"""

from __future__ import annotations

from tools.containers import base, browser, registry
from tools.containers.build import dockerfile_of
from tools.containers.common import ROOT, MissingError
from tools.containers.engine import ensure_engine, stop_own_engine

SERVICES = ("frontend", "backend")


def setup() -> tuple[list[str], list[str]]:
    """(what is used, what is missing): one line per piece."""
    used: list[str] = []
    missing: list[str] = []
    try:
        found = browser.ensure()
        used.append(f"browser: {found.describe()}")
    except MissingError as exc:
        missing.append(f"containers: browser: {exc}")
    try:
        engine = ensure_engine()
    except MissingError as exc:
        return used, [*missing, f"containers: {exc}"]
    used.append(f"engine: {engine.describe()}")
    try:
        pinned = sorted({base.pinned_base(dockerfile_of(ROOT / "apps", s)) for s in SERVICES})
        for image in pinned:
            got = base.ensure_base(engine, image)
            kind = "the stand-in for" if got.standin else "the pinned"
            used.append(f"base image: {got.image} ({kind} {image})")
        kind = registry.choose(engine)
        if kind == "image":
            used.append(f"registry: the container image {registry.IMAGE}")
        elif kind == "debian":
            used.append("registry: Debian's docker-registry")
        else:
            missing.append(f"containers: registry push: {registry.why_none()}")
    except MissingError as exc:
        missing.append(f"containers: {exc}")
    finally:
        if engine.started_now:
            stop_own_engine()
    return used, missing
