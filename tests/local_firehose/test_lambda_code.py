from __future__ import annotations

import io
import json
import os
import sys
import types
from pathlib import Path

import pytest

from local_deploy.lambda_code import FunctionCodeError, InProcessFunction, asset_directory

HANDLER = """
import os
import sys
import helper

print("cold start", helper.NAME)

def lambda_handler(event, context):
    print("invoked", context.function_name)
    return {"helper": helper.NAME, "mode": os.environ.get("MODE"), "records": event["records"]}
"""


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    (tmp_path / "handler.py").write_text(HANDLER)
    (tmp_path / "helper.py").write_text('NAME = "asset helper"\n')
    return tmp_path


CONFIGURATION = {
    "FunctionName": "transform",
    "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:transform",
    "Handler": "handler.lambda_handler",
    "MemorySize": 256,
    "Environment": {"Variables": {"MODE": "deployed"}},
}


def test_the_handler_runs_with_its_own_siblings_and_deployed_environment(
    code_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another module called `helper` (the repository's copy, say) is already imported.
    other = types.ModuleType("helper")
    other.NAME = "repository helper"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "helper", other)
    monkeypatch.delenv("MODE", raising=False)
    log = io.StringIO()

    transform = InProcessFunction(CONFIGURATION, code_dir, log=log)
    response = transform.invoke({"records": [1]})

    assert response == {"helper": "asset helper", "mode": "deployed", "records": [1]}
    assert sys.modules["helper"] is other
    assert str(code_dir) not in sys.path
    assert "MODE" not in os.environ
    assert log.getvalue().splitlines() == ["cold start asset helper", "invoked transform"]


def test_a_handler_name_that_is_not_in_the_module_is_an_error(code_dir: Path) -> None:
    configuration = {**CONFIGURATION, "Handler": "handler.missing"}
    with pytest.raises(FunctionCodeError, match=r"handler.py has no missing\(\)"):
        InProcessFunction(configuration, code_dir)


def _assembly(tmp_path: Path, s3_key: object) -> tuple[Path, dict[str, object]]:
    (tmp_path / "Stack.assets.json").write_text(
        json.dumps({"files": {"abc123": {"source": {"path": "asset.abc123"}}}})
    )
    template = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Key": s3_key}}},
            "Topic": {"Type": "AWS::SNS::Topic"},
        }
    }
    return tmp_path, template


def test_the_asset_folder_is_found_through_the_code_s3_key(tmp_path: Path) -> None:
    assembly, template = _assembly(tmp_path, "abc123.zip")
    assert asset_directory(assembly, template, "Fn") == assembly / "asset.abc123"


@pytest.mark.parametrize(
    ("s3_key", "logical_id", "message"),
    [
        ("abc123.zip", "Topic", "Topic is not a Lambda function"),
        ({"Ref": "Key"}, "Fn", "code is not a zip asset"),
        ("ffff.zip", "Fn", "asset ffff is not in"),
    ],
)
def test_an_asset_that_cannot_be_found_is_an_error(
    tmp_path: Path, s3_key: object, logical_id: str, message: str
) -> None:
    assembly, template = _assembly(tmp_path, s3_key)
    with pytest.raises(FunctionCodeError, match=message):
        asset_directory(assembly, template, logical_id)
