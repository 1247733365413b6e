"""What ``tools.perf.provider_loader`` found in a verified package layout, kept between runs.

Checking a provider's layout parses its 166 KB ``__init__.py`` (4,300 statements): tens of
milliseconds on every synth. Once a layout has passed the check, its result is stored
under ``.cache/provider-layout/``, keyed by the sha256 of the files it was read from and
the installed version; a later run with the same files reads it back instead of parsing.
Any change to those files changes the key, so a changed package is checked anew. An
unreadable or malformed entry counts as absent; a failed write only costs the next run
its parse.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "provider-layout"


def key(version: str, *files: Path) -> str:
    """The digest of ``files``' contents and ``version``; raises OSError if one is unreadable."""
    digest = hashlib.sha256(version.encode())
    for file in files:
        digest.update(b"\0")
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _entry(name: str, cache_key: str) -> Path:
    return CACHE / f"{name}-{cache_key[:32]}.json"


def load(name: str, cache_key: str) -> dict[str, Any] | None:
    """The stored result for ``cache_key``, or None."""
    try:
        value = json.loads(_entry(name, cache_key).read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) and value.get("key") == cache_key else None


def store(name: str, cache_key: str, value: dict[str, Any]) -> None:
    """Store ``value`` for ``cache_key`` (atomically; errors are ignored)."""
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        fd, staging = tempfile.mkstemp(dir=CACHE, prefix=".staging-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w") as out:
            json.dump({**value, "key": cache_key}, out)
        os.replace(staging, _entry(name, cache_key))
    except OSError:
        Path(staging).unlink(missing_ok=True)
