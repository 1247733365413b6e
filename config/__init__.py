"""Typed, validated configuration: one ``EnvironmentConfig`` per environment.

Constructs never read the environment or hard-code region, account or
environment values; everything they need arrives through these objects.
"""

from config.errors import ConfigError
from config.loader import Settings, load_environment, settings_from_env
from config.schema import (
    EnvironmentConfig,
    ImageConfig,
    LoadBalancerConfig,
    NetworkConfig,
    RegistryConfig,
    ServiceConfig,
    StateConfig,
)

__all__ = [
    "ConfigError",
    "EnvironmentConfig",
    "ImageConfig",
    "LoadBalancerConfig",
    "NetworkConfig",
    "RegistryConfig",
    "ServiceConfig",
    "Settings",
    "StateConfig",
    "load_environment",
    "settings_from_env",
]
