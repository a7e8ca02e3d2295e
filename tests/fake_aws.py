"""Dummy AWS credentials for tests: the one copy of what "no test reaches an account" sets.

The function-scoped `aws_credentials` fixture (tests/conftest.py) uses it, and so do the
module- and package-scoped fixtures, which cannot take the function-scoped `monkeypatch`.
"""

from __future__ import annotations

import json
from typing import Any

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


def create_service_role(
    iam: Any,
    name: str,
    service: str,
    policies: dict[str, list[dict[str, Any]]],
) -> None:
    """A role `service` assumes, with one inline policy per entry of `policies` (its statements):
    what a local engine's calls are authorized against (local_deploy.access)."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": service}}
        ],
    }
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    for policy, statements in policies.items():
        document = json.dumps({"Version": "2012-10-17", "Statement": statements})
        iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=document)
