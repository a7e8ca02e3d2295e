"""Fixtures for the events pipeline: the transform Lambda's modules, Firehose events, AWS env."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_DIR = REPO_ROOT / "lambda" / "firehose_transform"
SCHEMA_FILE = REPO_ROOT / "lake_schema" / "events.json"

# The Lambda asset imports its sibling modules by bare name, as the Lambda runtime would;
# the tests import `tools` from the repository root and `events_testkit` from here.
for path in (str(REPO_ROOT), str(LAMBDA_DIR), str(Path(__file__).resolve().parent)):
    if path not in sys.path:
        sys.path.append(path)

from event_normaliser import EventNormaliser  # noqa: E402
from event_schema import load_event_schema  # noqa: E402


@pytest.fixture(autouse=True)
def _dummy_aws(aws_credentials: None) -> None:
    """Every test here runs with dummy credentials (tests/conftest.py)."""


@pytest.fixture(scope="session")
def normaliser() -> EventNormaliser:
    return EventNormaliser(load_event_schema(SCHEMA_FILE))


@pytest.fixture(scope="session")
def handler_module() -> Iterator[ModuleType]:
    """handler.py imported once, as Lambda would on a cold start, under a unique name."""
    env = {
        "EVENTS_SCHEMA_PATH": str(SCHEMA_FILE),
        "POWERTOOLS_SERVICE_NAME": "events-transform-test",
        "POWERTOOLS_METRICS_NAMESPACE": "Test/Events",
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        spec = importlib.util.spec_from_file_location(
            "firehose_transform_handler", LAMBDA_DIR / "handler.py"
        )
        assert spec
        assert spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return module


@pytest.fixture
def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="events-transform",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:events-transform",
        aws_request_id="6f1d4c1e-0000-4000-8000-000000000000",
    )


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """tools.produce (pacing, backoff) sees a fake clock: sleeps are recorded, not waited."""
    from tools import produce  # noqa: PLC0415 - after the sys.path set-up above

    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(produce, "time", SimpleNamespace(monotonic=lambda: now[0], sleep=sleep))
    return slept
