"""Load the `events` table schema that the transform validates against.

The Lambda asset must be self-contained, so this module reads the same `events.json` that
`lake_schema` reads, but without importing `lake_schema`: the CDK copies the file beside
`handler.py` at deploy time, and tests point `EVENTS_SCHEMA_PATH` at the repository copy.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

SCHEMA_PATH_ENV = "EVENTS_SCHEMA_PATH"
BUNDLED_SCHEMA_PATH = Path(__file__).resolve().parent / "events.json"

# The column types the normaliser knows how to validate. A column of any other type in
# events.json fails the cold start loudly instead of passing unvalidated data through.
SUPPORTED_TYPES = frozenset({"string", "int", "double", "timestamp", "map<string,string>"})


class SchemaError(RuntimeError):
    """The schema file is missing or describes something the transform cannot enforce."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventSchema:
    name: str
    schema_version: int
    columns: tuple[ColumnSpec, ...]

    def column(self, name: str) -> ColumnSpec | None:
        return next((column for column in self.columns if column.name == name), None)


def schema_path() -> Path:
    """Where the schema is read from: `$EVENTS_SCHEMA_PATH`, else `events.json` beside us."""
    configured = os.environ.get(SCHEMA_PATH_ENV)
    return Path(configured) if configured else BUNDLED_SCHEMA_PATH


def load_event_schema(path: Path) -> EventSchema:
    """Parse `path` into an EventSchema, failing with the path and the problem in the message."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(
            f"events schema not found at {path}: the Lambda asset must contain events.json "
            f"beside handler.py, or {SCHEMA_PATH_ENV} must name the file"
        ) from None
    except (OSError, ValueError) as error:
        raise SchemaError(f"events schema at {path} is unreadable: {error}") from error

    try:
        columns = tuple(
            ColumnSpec(
                name=column["name"],
                type=column["type"],
                required=bool(column["required"]),
                allowed=tuple(column.get("allowed", ())),
            )
            for column in raw["columns"]
        )
        schema = EventSchema(
            name=raw["name"], schema_version=int(raw["schema_version"]), columns=columns
        )
    except (KeyError, TypeError, ValueError) as error:
        raise SchemaError(f"events schema at {path} is malformed: {error!r}") from error

    unsupported = [f"{c.name} ({c.type})" for c in columns if c.type not in SUPPORTED_TYPES]
    if unsupported:
        raise SchemaError(
            f"events schema at {path} has column types the transform cannot validate: "
            f"{', '.join(unsupported)}; supported: {', '.join(sorted(SUPPORTED_TYPES))}"
        )
    return schema
