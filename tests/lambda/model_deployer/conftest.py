"""Fixtures for the model deployer Lambda, run against moto in-process.

The Lambda's folder is its own asset root (its modules import each other as top-level modules), so
it is put on sys.path; handler.py is loaded under a unique module name because every Lambda in
this repository has a handler.py.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import boto3
import pytest
from moto import mock_aws

import moto_cfn_models

LAMBDA_DIR = Path(__file__).resolve().parents[3] / "lambda" / "model_deployer"
for path in (LAMBDA_DIR, Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from deployer_fixtures import (  # noqa: E402  (needs the sys.path entries above)
    ARTIFACT_BUCKET,
    GROUP,
    REGION,
    VALID_ENV,
    ApiCalls,
    Registry,
    recorder_hook,
)


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[None]:
    # The emulator's additions include UpdateEndpoint, which moto lacks and the deployer calls.
    moto_cfn_models.register()
    with mock_aws():
        yield


@pytest.fixture
def deployer_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in VALID_ENV.items():
        monkeypatch.setenv(name, value)
    return dict(VALID_ENV)


@pytest.fixture
def load_handler(
    aws: None, deployer_env: dict[str, str]
) -> Callable[[], tuple[ModuleType, ApiCalls]]:
    """Load handler.py afresh (a cold start in the current environment, inside moto) and spy on its
    clients. Returns the module and the record of the calls its clients make."""

    def load() -> tuple[ModuleType, ApiCalls]:
        spec = importlib.util.spec_from_file_location(
            "model_deployer_handler_under_test", LAMBDA_DIR / "handler.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        recorder = ApiCalls()
        sagemaker_events = module.CLIENTS.sagemaker.meta.events
        sagemaker_events.register("before-call.sagemaker", recorder_hook(recorder))
        module.CLIENTS.autoscaling.meta.events.register(
            "before-call.application-auto-scaling", recorder_hook(recorder)
        )
        return module, recorder

    return load


@pytest.fixture
def registry(aws: None) -> Registry:
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    for group in (GROUP, "other-team-models"):
        sagemaker.create_model_package_group(ModelPackageGroupName=group)
    return Registry(sagemaker=sagemaker, s3=s3)
