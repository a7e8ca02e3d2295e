"""Smoke checks run with boto3 against the deployed emulator, one module per stack.

A module here declares ``STACK_ID`` (the stack's construct ID in app.py, e.g.
``"NetworkStack"``) and ``CHECKS``, a list of functions that take a :class:`SmokeContext` and
return a one-line description of what they verified, raising :class:`SmokeCheckError` (via
:func:`expect`) when something is wrong. Adding a stack's checks is adding a module: the
runner finds it by its ``STACK_ID``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from platform_config import PlatformConfig


class SmokeCheckError(AssertionError):
    """A deployed resource is not as the stack promises."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeCheckError(message)


@dataclass
class SmokeContext:
    """One deployed stack, seen through the emulator's APIs."""

    stack_id: str
    stack_name: str
    outputs: dict[str, str]
    config: PlatformConfig
    session: boto3.Session
    endpoint: str
    #: logical ID -> (resource type, physical ID), from ListStackResources
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)

    def client(self, service: str) -> Any:  # noqa: ANN401 - boto3 clients are untyped
        return self.session.client(service, endpoint_url=self.endpoint)

    def physical_ids(self, resource_type: str) -> list[str]:
        return [pid for rtype, pid in self.resources.values() if rtype == resource_type]


Check = Callable[[SmokeContext], str]


@dataclass(frozen=True)
class CheckResult:
    stack_id: str
    name: str
    passed: bool
    detail: str


def check_modules() -> dict[str, ModuleType]:
    """Every smoke module in this package, by the stack construct ID it checks."""
    modules = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        stack_id = getattr(module, "STACK_ID", None)
        if stack_id is None or not hasattr(module, "CHECKS"):
            raise TypeError(f"smoke module {module.__name__} needs STACK_ID and CHECKS")
        modules[stack_id] = module
    return modules


def run_checks(context: SmokeContext, checks: list[Check]) -> Iterator[CheckResult]:
    for check in checks:
        name = check.__name__
        try:
            yield CheckResult(context.stack_id, name, True, check(context))
        except SmokeCheckError as failure:
            yield CheckResult(context.stack_id, name, False, str(failure))
