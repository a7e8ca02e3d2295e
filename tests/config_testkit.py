"""Helpers the config tests share: a shipped profile to change, and the one-line error it gives."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from platform_config import ConfigError, parse_profile
from tests.synthesis import cdk_json_context


def profile(name: str = "dev") -> dict[str, Any]:
    """A deep copy of a shipped profile from cdk.json, free to change."""
    return copy.deepcopy(cdk_json_context()["profiles"][name])


def error_for(raw: dict[str, Any], name: str = "dev") -> str:
    """The ConfigError `raw` gives, checked to be a single line."""
    with pytest.raises(ConfigError) as caught:
        parse_profile(name, raw)
    message = str(caught.value)
    assert "\n" not in message, "a config error must be a single line"
    return message
