"""Fixtures for lambda/firehose_transform: its modules by bare name, the handler, a context."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace

import pytest

from tests.events_testkit import (  # normaliser, _dummy_aws: fixtures pytest finds here
    SCHEMA_FILE,
    TRANSFORM_DIR,
    _dummy_aws,  # noqa: F401
    import_transform_modules_by_bare_name,
    normaliser,  # noqa: F401
)

import_transform_modules_by_bare_name()


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
            "firehose_transform_handler", TRANSFORM_DIR / "handler.py"
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
