"""The deployed transform Lambda's code, run in-process as Firehose would invoke it.

The code is the asset the deploy uploaded (found through the stack template and the cloud
assembly), run with the function's deployed environment variables, so what runs here is what
runs in AWS, less the Lambda runtime itself. Its log lines and EMF metrics go to a file, the
local stand-in for the function's log group.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Any, Protocol

from local_deploy.firehose import LocalDeliveryError


class TransformLoadError(LocalDeliveryError, RuntimeError):
    """The deployed function's code cannot be found or imported."""


def asset_directory(assembly_dir: Path, template: Mapping[str, Any], logical_id: str) -> Path:
    """The staged asset folder of a Lambda function in the cloud assembly that was deployed."""
    resource = template.get("Resources", {}).get(logical_id)
    if resource is None or resource.get("Type") != "AWS::Lambda::Function":
        raise TransformLoadError(f"{logical_id} is not a Lambda function of the template")
    s3_key = resource["Properties"].get("Code", {}).get("S3Key")
    if not isinstance(s3_key, str) or not s3_key.endswith(".zip"):
        raise TransformLoadError(f"{logical_id}: code is not a zip asset (S3Key {s3_key!r})")
    asset_hash = s3_key.removesuffix(".zip")
    for manifest in assembly_dir.glob("*.assets.json"):
        files = json.loads(manifest.read_text()).get("files", {})
        if asset_hash in files:
            return assembly_dir / files[asset_hash]["source"]["path"]
    raise TransformLoadError(f"{logical_id}: asset {asset_hash} is not in {assembly_dir}")


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _import_isolated(directory: Path, module_name: str) -> ModuleType:
    """Import directory/module_name.py with the folder's siblings, leaving sys.modules as it was.

    A Lambda imports its sibling modules by bare name; other copies of them (the repository's,
    imported by tests) must neither be used here nor be replaced by these.
    """
    siblings = {path.stem for path in directory.glob("*.py")}
    saved = {name: sys.modules.pop(name) for name in siblings if name in sys.modules}
    sys.path.insert(0, str(directory))
    try:
        spec = importlib.util.spec_from_file_location(
            f"local_lambda_{uuid.uuid4().hex}", directory / f"{module_name}.py"
        )
        if spec is None or spec.loader is None:
            raise TransformLoadError(f"cannot import {directory / module_name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(directory))
        for name in siblings:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class Transform(Protocol):
    """What a delivery needs of a transform: one call per batch, Firehose's event in, its
    response out."""

    def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]: ...


class InProcessTransform:
    """One function's handler, loaded once (a cold start), invoked once per batch."""

    def __init__(self, configuration: Mapping[str, Any], code_dir: Path, log: IO[str]) -> None:
        self.function_arn: str = configuration["FunctionArn"]
        self._configuration = configuration
        self._log = log
        module_name, _, self._handler_name = configuration["Handler"].rpartition(".")
        variables = configuration.get("Environment", {}).get("Variables", {})
        self._variables = dict(variables)
        # Powertools binds its log handler to sys.stdout at import: send it to the log file.
        with _environment(self._variables), contextlib.redirect_stdout(log):
            self._module = _import_isolated(code_dir, module_name)
        if not callable(getattr(self._module, self._handler_name, None)):
            raise TransformLoadError(f"{code_dir}/{module_name}.py has no {self._handler_name}()")

    def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]:
        context = LambdaContext(
            function_name=self._configuration["FunctionName"],
            invoked_function_arn=self.function_arn,
            memory_limit_in_mb=self._configuration.get("MemorySize", 128),
        )
        handler = getattr(self._module, self._handler_name)
        with _environment(self._variables), contextlib.redirect_stdout(self._log):
            return handler(dict(event), context)
