"""The single error type for bad configuration."""


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
