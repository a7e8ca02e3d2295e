"""The lake's table schemas, defined once and shared by every producer and consumer.

The JSON files beside this module are the single source of truth. The Glue catalog table,
Firehose's Parquet conversion, the Firehose transform Lambda and the Glue ETL job all read
them, so a column added here reaches every stage at the next synth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    description: str
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    name: str
    description: str
    schema_version: int
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def source_path(self) -> Path:
        return SCHEMA_DIR / f"{self.name}.json"


def _column(raw: dict[str, Any]) -> Column:
    return Column(
        name=raw["name"],
        type=raw["type"],
        required=raw["required"],
        description=raw["description"],
        allowed=tuple(raw.get("allowed", ())),
    )


@cache
def load(name: str) -> TableSchema:
    """Load the schema named `name` from `<name>.json` beside this module."""
    raw = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return TableSchema(
        name=raw["name"],
        description=raw["description"],
        schema_version=raw["schema_version"],
        columns=tuple(_column(c) for c in raw["columns"]),
        partition_keys=tuple(_column(c) for c in raw["partition_keys"]),
    )


EVENTS = load("events")
