"""``CONFIG_OVERRIDES``: one run's changes to the environments, from a JSON file.

The file maps an environment name to a partial config, in the shape of
``EnvironmentConfig`` (sections as objects, sequences as arrays)::

    {"dev": {"frontend": {"port": 3001},
             "backend": {"cpu": 512, "memory": 1024,
                         "secrets": {"API_TOKEN": "arn:aws:secretsmanager:..."}}}}

Each entry is applied with ``env.with_(**changes)``, so every rule of
``config/schema.py`` holds for the result. Settings that have a variable of
their own (the name, version, state, image source, emulator endpoint) cannot
be overridden here. Any problem is one ``ConfigError`` that names the file, the
field and the value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from config.errors import ConfigError

VARIABLE = "CONFIG_OVERRIDES"
# Fields set by a variable of their own (config/loader.py), not by this file.
NOT_OVERRIDABLE: dict[str, str] = {
    "name": "the environment's name is its key in config/environments.py",
    "app_version": "set APP_VERSION instead",
    "state": "set STATE_BACKEND / TF_STATE_BUCKET instead",
    "images": "set IMAGE_SOURCE instead",
    "emulator_endpoint": "set EMULATOR_ENDPOINT instead",
    "emulator_session": "set EMULATOR_SESSION instead",
}


def _tuples(value: Any) -> Any:
    """JSON arrays as tuples: the config's sequences are tuples and strict."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def read_overrides(path: str, known: Mapping[str, object]) -> dict[str, dict[str, Any]]:
    """Parse and check the file's shape; ``known`` are the environment names."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(VARIABLE, path, f"cannot read the file ({exc.strerror})") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigError(VARIABLE, path, f"not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ConfigError(
            VARIABLE, path, 'must be a JSON object: {"<env>": {<partial config>}, ...}'
        )
    overrides: dict[str, dict[str, Any]] = {}
    for env_name, changes in document.items():
        where = f"{VARIABLE}={path}: {env_name}"
        if env_name not in known:
            raise ConfigError(where, env_name, f"unknown environment; known: {sorted(known)}")
        if not isinstance(changes, dict):
            raise ConfigError(where, changes, "must be an object of config fields")
        for field, reason in NOT_OVERRIDABLE.items():
            if field in changes:
                raise ConfigError(f"{where}.{field}", changes[field], f"not overridable: {reason}")
        overrides[env_name] = _tuples(changes)
    return overrides


def apply_overrides(env: Any, changes: Mapping[str, Any], path: str) -> Any:
    """``env.with_(**changes)``; a rule it breaks is reported with the file named."""
    try:
        return env.with_(**changes)
    except ConfigError as exc:
        raise ConfigError(exc.field, exc.value, f"{exc.reason} (from {VARIABLE}={path})") from None
