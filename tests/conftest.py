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
