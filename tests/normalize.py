"""Make templates comparable across CDK releases: only real changes should show in a diff."""

from __future__ import annotations

import re
from typing import Any

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
_NODE_RUNTIME = re.compile(r"^nodejs\d+\.x$")


def normalize(value: Any) -> Any:
    """Replace asset hashes and CDK-chosen runtime versions with stable placeholders."""
    if isinstance(value, dict):
        return {key: normalize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if isinstance(value, str):
        value = _ASSET_HASH.sub("<asset-hash>", value)
        return _NODE_RUNTIME.sub("nodejs<cdk-managed>.x", value)
    return value
