"""Read the chosen profile from CDK context and validate it, once, at the edge of the app."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from platform_config.artifacts import LOCK_CONTEXT_KEY, LOCK_PATH, pin_staged, read_lock
from platform_config.errors import ConfigError, from_validation_error
from platform_config.model import PlatformConfig

if TYPE_CHECKING:  # importing constructs would load jsii, which config validation never needs
    from constructs import Construct

DEFAULT_PROFILE = "dev"
PROFILE_CONTEXT_KEY = "env"
PROFILES_CONTEXT_KEY = "profiles"


def parse_profile(name: str, raw: object) -> PlatformConfig:
    """Validate one profile's raw settings; raise ConfigError with a one-line message."""
    where = f"cdk.json context {PROFILES_CONTEXT_KEY}.{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"config error at {where}: got {raw!r}; allowed: a JSON object")
    if "profile" in raw:
        raise ConfigError(f"config error at {where}.profile: unknown key; it is set from the name")
    try:
        return PlatformConfig.model_validate({**raw, "profile": name})
    except ValidationError as error:
        raise from_validation_error(error, PlatformConfig, where) from None


def load_config(scope: Construct) -> PlatformConfig:
    """The profile named by `-c env=NAME` (default dev), from the `profiles` context key, with
    the downloads that `make stage-artifacts` staged for it (platform_config/artifacts.py)."""
    name = scope.node.try_get_context(PROFILE_CONTEXT_KEY) or DEFAULT_PROFILE
    profiles = scope.node.try_get_context(PROFILES_CONTEXT_KEY)
    if not isinstance(profiles, Mapping) or not profiles:
        raise ConfigError(
            f"config error at cdk.json context {PROFILES_CONTEXT_KEY}: missing or empty; "
            "allowed: an object of named profiles (see cdk.json)"
        )
    if name not in profiles:
        allowed = ", ".join(sorted(profiles))
        raise ConfigError(
            f"config error at {PROFILE_CONTEXT_KEY}: unknown profile {name!r}; allowed: {allowed}"
        )
    lock_path = Path(scope.node.try_get_context(LOCK_CONTEXT_KEY) or LOCK_PATH)
    staged = pin_staged(str(name), profiles[name], read_lock(lock_path), lock_path.name)
    return parse_profile(str(name), staged)
