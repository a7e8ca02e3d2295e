"""Session-wide fixtures: each profile is synthesized once per test run, not once per test."""

from __future__ import annotations

import pytest

from tests.synthesis import PROFILES, Synthesized, synthesize


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("dev", tmp_path_factory.mktemp("cdk.out.dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("prod", tmp_path_factory.mktemp("cdk.out.prod"))


@pytest.fixture(scope="session", params=PROFILES)
def synthesized(request: pytest.FixtureRequest, dev: Synthesized, prod: Synthesized) -> Synthesized:
    """Each profile in turn, for checks that must hold for every profile."""
    return {"dev": dev, "prod": prod}[request.param]


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials in us-east-1 and no endpoint or profile: no test reaches an account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
