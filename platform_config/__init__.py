"""Typed, validated platform configuration, loaded from the profiles in cdk.json context."""

from platform_config.errors import ConfigError, exit_on_config_error
from platform_config.loader import load_config, parse_profile
from platform_config.model import PlatformConfig

__all__ = ["ConfigError", "PlatformConfig", "exit_on_config_error", "load_config", "parse_profile"]
