"""Dummy AWS credentials for tests: the one copy of what "no test reaches an account" sets.

The function-scoped `aws_credentials` fixture (tests/conftest.py) uses it, and so do the
module- and package-scoped fixtures, which cannot take the function-scoped `monkeypatch`.
"""

from __future__ import annotations

import pytest

REGION = "us-east-1"


def use_fake_aws(patch: pytest.MonkeyPatch, region: str = REGION) -> None:
    """Dummy credentials in `region`, and no endpoint or profile that could point at an account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
    }.items():
        patch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        patch.delenv(name, raising=False)
