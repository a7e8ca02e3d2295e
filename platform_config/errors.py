"""One-line configuration errors.

A bad profile must stop synthesis with a single line that names the key, the value and
what is allowed. pydantic's own report is multi-line and says "Input should be ...";
this module turns it into the house format.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

CONFIG_EXIT_CODE = 2


class ConfigError(Exception):
    """A configuration problem, already phrased as the one line the user sees."""


def _dotted(location: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in location)


def _model_at(model: type[BaseModel], location: tuple[str | int, ...]) -> type[BaseModel] | None:
    """Walk `location` through nested model fields; None where it leaves the model tree."""
    current: Any = model
    for part in location:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = field.annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _describe(model: type[BaseModel], error: ErrorDetails) -> tuple[str, str]:
    """(value shown to the user, what is allowed) for one pydantic error."""
    kind = error["type"]
    location = error["loc"]
    if kind == "extra_forbidden":
        parent = _model_at(model, location[:-1])
        allowed = ", ".join(sorted(parent.model_fields)) if parent else "no extra keys"
        return "unknown key", f"allowed keys here: {allowed}"
    if kind == "missing":
        return "missing", "this key is required"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Input should be "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    if isinstance(error["input"], Mapping):
        # A check across fields (a model validator): its input is the whole section, but its
        # message already names the fields involved and their values, so show only that.
        return "", message
    return f"got {error['input']!r}", message


def from_validation_error(
    error: ValidationError, model: type[BaseModel], where: str
) -> ConfigError:
    """Turn pydantic's report into one line about the first problem (and a count of the rest)."""
    problems = error.errors(include_url=False)
    first = problems[0]
    value, allowed = _describe(model, first)
    key = f"{where}.{_dotted(first['loc'])}" if first["loc"] else where
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    problem = f"{value}; {allowed}" if value else allowed
    return ConfigError(f"config error at {key}: {problem}{more}")


@contextmanager
def exit_on_config_error() -> Iterator[None]:
    """Print a ConfigError as its one line and exit non-zero, with no traceback."""
    try:
        yield
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(CONFIG_EXIT_CODE) from None
