"""The single error type for bad configuration, and its translation from pydantic."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError


class ConfigError(ValueError):
    """A configuration value is missing or invalid.

    The message always names the field (dotted path) and the offending value,
    so the user can fix it without reading a stack trace.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"invalid config: {field}={value!r}: {reason}")


def field_path(prefix: str, loc: Sequence[str | int], field: str = "") -> str:
    """Join a pydantic location into this project's field path.

    ``("network", "private_subnet_cidrs", 1)`` under ``dev`` becomes
    ``dev.network.private_subnet_cidrs[1]``; ``field`` (default none) is a
    path relative to that location, already in the same form.
    """
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":  # pydantic's marker for a bad dict key; the key is the part before
            path = f"{path}.{part}" if path else str(part)
    if field:
        joiner = "" if field.startswith("[") or not path else "."
        path = f"{path}{joiner}{field}"
    return path


def from_validation_error(exc: ValidationError, prefix: str) -> ConfigError:
    """The first error of ``exc`` as one ``ConfigError`` whose path starts with ``prefix``.

    Errors raised by the config's own rules (a ``ConfigError`` whose field is
    relative to the model that raised it) keep their reason; pydantic's own
    errors (wrong type, unknown field, missing field) keep pydantic's message.
    """
    first = exc.errors(include_url=False)[0]
    rule = (first.get("ctx") or {}).get("error")
    if isinstance(rule, ConfigError):
        # A rule names sibling fields as ``{path}field``: the model's own path goes there.
        here = field_path(prefix, first["loc"])
        reason = rule.reason.replace("{path}", f"{here}." if here else "")
        return ConfigError(field_path(prefix, first["loc"], rule.field), rule.value, reason)
    path = field_path(prefix, first["loc"])
    if first["type"] == "missing":
        return ConfigError(path, None, "required")
    if first["type"] == "extra_forbidden":
        return ConfigError(path, first["input"], "unknown field")
    return ConfigError(path, first["input"], first["msg"])
