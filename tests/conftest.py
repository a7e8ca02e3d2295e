"""Session-wide fixtures: each profile is synthesized once per test run, not once per test."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import botocore.session
import pytest

from tests.fake_aws import use_fake_aws
from tests.stacks.streaming_testkit import MSK_MODES, ModeApp
from tests.synthesis import PROFILES, Synthesized, synthesize_once

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Each worker is one of several processes sharing the machine's cores. OpenMP (XGBoost) and
    # Arrow would each start a thread per core, and OpenMP's spinning threads then wait on each
    # other when the other worker holds the core: a 0.3 s training took 18 s. Set before any
    # test module loads them; subprocesses inherit it.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

# moto's mock gives every test a new default boto3 session, and every new botocore session
# parses the service models and endpoint rules again: 33 s of JSON decoding in tests/lambda,
# tests/tools and tests/moto_cfn_models alone. The sessions of a test process share one loader
# per data path instead; the loader caches what it has parsed, and no test changes that data.
botocore.session.create_loader = functools.cache(botocore.session.create_loader)


@pytest.fixture(scope="session")
def shared_tmp(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every pytest-xdist worker of this run shares (each worker's basetemp is a child
    of the run's); without xdist (`worker_id == "master"`), the session's own basetemp."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def dev(shared_tmp: Path) -> Synthesized:
    return synthesize_once("dev", shared_tmp)


@pytest.fixture(scope="session")
def prod(shared_tmp: Path) -> Synthesized:
    return synthesize_once("prod", shared_tmp)


@pytest.fixture(scope="session", params=PROFILES)
def synthesized(request: pytest.FixtureRequest, dev: Synthesized, prod: Synthesized) -> Synthesized:
    """Each profile in turn, for checks that must hold for every profile."""
    return {"dev": dev, "prod": prod}[request.param]


@pytest.fixture(scope="session", params=MSK_MODES)
def msk_mode_app(request: pytest.FixtureRequest, shared_tmp: Path) -> ModeApp:
    """Each MSK mode's app (the profiles ship with MSK off), synthesized once per run: read by
    tests/stacks/test_streaming_msk_modes.py and scanned by checkov."""
    return ModeApp(request.param, shared_tmp)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials in us-east-1 and no endpoint or profile: no test reaches an account."""
    use_fake_aws(monkeypatch)


# A costly session resource, by the fixture that makes it, and the pytest-xdist group that keeps
# every test using it on one worker (`--dist loadgroup`), so that it is made once per run: the
# local Spark session (a JVM start) and the checkov run over every template set (about 15 s).
# The local deployment (a minute to deploy) goes by its `local_deploy` mark.
_SHARED_RESOURCE_GROUPS = {"spark": "spark", "checkov_results": "checkov"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test that uses a costly session resource with that resource's xdist group.
    Without xdist the marks change nothing."""
    for item in items:
        if item.get_closest_marker("local_deploy"):
            item.add_marker(pytest.mark.xdist_group("local_deploy"))
            continue
        fixtures = getattr(item, "fixturenames", ())
        for fixture, group in _SHARED_RESOURCE_GROUPS.items():
            if fixture in fixtures:
                item.add_marker(pytest.mark.xdist_group(group))
                break
