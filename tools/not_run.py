"""One policy for a check that cannot run on this machine.

Locally such a check is skipped and its reason is listed at the end of
``scripts/check`` (``make test``), so it never looks like a pass. In CI
(``CI=true``) or with ``REQUIRE_ALL=1`` every check is required, and the same
line fails the run instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


class InvalidSetting(ValueError):
    """``REQUIRE_ALL`` holds something other than 0 or 1."""


def required(environ: Mapping[str, str] = os.environ) -> bool:
    """Every check must run: ``REQUIRE_ALL=1``, or ``CI=true`` unless ``REQUIRE_ALL=0``."""
    value = environ.get("REQUIRE_ALL", "")
    if value not in ("", "0", "1"):
        raise InvalidSetting(f"invalid REQUIRE_ALL={value!r}: must be 1 or 0")
    if value:
        return value == "1"
    return environ.get("CI", "").lower() == "true"


def record(check: str, why: str, environ: Mapping[str, str] = os.environ) -> str:
    """Append ``<check>: <why>``, the one line that names the check and why it cannot run,
    to ``$CHECKS_NOT_RUN`` (set by scripts/check) and return it."""
    text = f"{check}: {why}"
    path = environ.get("CHECKS_NOT_RUN")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text + "\n")
    return text
