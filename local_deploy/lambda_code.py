"""A deployed Lambda function's code, run in this process where moto cannot run it.

moto's Lambda needs Docker to invoke anything. The local delivery and the smoke checks run the
function's handler here instead: its code (the asset the deploy uploaded, found through the
stack template and the cloud assembly, or a folder of the repository), imported with its
sibling modules, under the function's deployed environment variables. What runs is what runs in
AWS, less the Lambda runtime itself.
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
from typing import IO, Any
from unittest import mock


class FunctionCodeError(RuntimeError):
    """The function's code cannot be found or imported."""


def asset_directory(assembly_dir: Path, template: Mapping[str, Any], logical_id: str) -> Path:
    """The staged asset folder of a Lambda function in the cloud assembly that was deployed."""
    resource = template.get("Resources", {}).get(logical_id)
    if resource is None or resource.get("Type") != "AWS::Lambda::Function":
        raise FunctionCodeError(f"{logical_id} is not a Lambda function of the template")
    s3_key = resource["Properties"].get("Code", {}).get("S3Key")
    if not isinstance(s3_key, str) or not s3_key.endswith(".zip"):
        raise FunctionCodeError(f"{logical_id}: code is not a zip asset (S3Key {s3_key!r})")
    asset_hash = s3_key.removesuffix(".zip")
    for manifest in assembly_dir.glob("*.assets.json"):
        files = json.loads(manifest.read_text()).get("files", {})
        if asset_hash in files:
            return assembly_dir / files[asset_hash]["source"]["path"]
    raise FunctionCodeError(f"{logical_id}: asset {asset_hash} is not in {assembly_dir}")


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
            raise FunctionCodeError(f"cannot import {directory / module_name}.py")
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


class InProcessFunction:
    """One function's handler, imported once (a cold start) and invoked as often as needed.

    `overrides` are set on top of the deployed variables (an emulator endpoint, say). With a
    `log`, whatever the function prints (Powertools log lines, EMF metrics) goes there, the
    local stand-in for its log group.
    """

    def __init__(
        self,
        configuration: Mapping[str, Any],
        code_dir: Path,
        *,
        log: IO[str] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.function_arn: str = configuration["FunctionArn"]
        self._configuration = configuration
        self._log = log
        module_name, _, self._handler_name = configuration["Handler"].rpartition(".")
        self._variables = {
            **configuration.get("Environment", {}).get("Variables", {}),
            **(overrides or {}),
        }
        # Imported inside the environment: handlers read it (and Powertools binds its log
        # handler to sys.stdout) at import time.
        with self._runtime():
            self._module = _import_isolated(code_dir, module_name)
        if not callable(getattr(self._module, self._handler_name, None)):
            raise FunctionCodeError(f"{code_dir}/{module_name}.py has no {self._handler_name}()")

    @contextlib.contextmanager
    def _runtime(self) -> Iterator[None]:
        with mock.patch.dict(os.environ, self._variables), contextlib.ExitStack() as stack:
            if self._log is not None:
                stack.enter_context(contextlib.redirect_stdout(self._log))
            yield

    def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]:
        context = LambdaContext(
            function_name=self._configuration["FunctionName"],
            invoked_function_arn=self.function_arn,
            memory_limit_in_mb=self._configuration.get("MemorySize", 128),
        )
        handler = getattr(self._module, self._handler_name)
        with self._runtime():
            return handler(dict(event), context)
