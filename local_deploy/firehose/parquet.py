"""Record format conversion: JSON lines to Parquet with the Glue table's columns as schema.

Firehose converts with the table's columns (not the partition keys, which are in the prefix)
and sends a record it cannot convert to the `format-conversion-failed` error output. Values are
checked one record at a time here, so one bad value fails its record and not the file.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from local_deploy.firehose import LocalDeliveryError

if TYPE_CHECKING:
    import pyarrow as pa

_MAP_OF_STRINGS = re.compile(r"map<\s*string\s*,\s*string\s*>")


class ConversionError(ValueError):
    """One record that does not fit the table's schema."""


class UnsupportedColumnTypeError(LocalDeliveryError, ValueError):
    """A Glue column type this local conversion does not know."""


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ConversionError(f"expected a string, got {type(value).__name__}")
    return value


def _integer(bits: int) -> Callable[[object], int]:
    limit = 2 ** (bits - 1)

    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConversionError(f"expected an integer, got {type(value).__name__}")
        if not -limit <= value < limit:
            raise ConversionError(f"{value} does not fit in {bits} bits")
        return value

    return convert


def _double(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConversionError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ConversionError(f"expected true or false, got {type(value).__name__}")
    return value


def _timestamp(value: object) -> datetime:
    try:
        moment = datetime.fromisoformat(_string(value))
    except ValueError as error:
        raise ConversionError(f"not an ISO 8601 timestamp: {error}") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: object) -> date:
    try:
        return date.fromisoformat(_string(value))
    except ValueError as error:
        raise ConversionError(f"not an ISO 8601 date: {error}") from None


def _map_of_strings(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ConversionError("expected an object of strings")
    return list(value.items())


@dataclass(frozen=True)
class Column:
    name: str
    glue_type: str
    arrow_type: pa.DataType
    convert: Callable[[object], Any]


def _column(name: str, glue_type: str) -> Column:
    import pyarrow as pa  # noqa: PLC0415 - only the local delivery needs it, and it is large

    simple: dict[str, tuple[pa.DataType, Callable[[object], Any]]] = {
        "string": (pa.string(), _string),
        "int": (pa.int32(), _integer(32)),
        "bigint": (pa.int64(), _integer(64)),
        "double": (pa.float64(), _double),
        "boolean": (pa.bool_(), _boolean),
        "timestamp": (pa.timestamp("ms", tz="UTC"), _timestamp),
        "date": (pa.date32(), _date),
    }
    normalised = glue_type.strip().lower()
    if normalised in simple:
        arrow_type, convert = simple[normalised]
        return Column(name, glue_type, arrow_type, convert)
    if _MAP_OF_STRINGS.fullmatch(normalised):
        return Column(name, glue_type, pa.map_(pa.string(), pa.string()), _map_of_strings)
    raise UnsupportedColumnTypeError(f"column {name!r}: Glue type {glue_type!r} is not supported")


@dataclass(frozen=True)
class TableSchema:
    """The Glue table's columns, in order, as Parquet will hold them."""

    columns: tuple[Column, ...]

    @classmethod
    def from_glue(cls, glue_columns: Sequence[Mapping[str, str]]) -> TableSchema:
        return cls(tuple(_column(c["Name"], c["Type"]) for c in glue_columns))

    def row(self, line: bytes) -> dict[str, Any]:
        """One JSON line as a typed row; absent and null fields become nulls."""
        try:
            record = json.loads(line)
        except ValueError as error:
            raise ConversionError(f"not JSON: {error}") from None
        if not isinstance(record, dict):
            raise ConversionError("not a JSON object")
        # Firehose's OpenX JSON SerDe matches field names case-insensitively.
        fields = {str(key).lower(): value for key, value in record.items()}
        row = {}
        for column in self.columns:
            value = fields.get(column.name.lower())
            try:
                row[column.name] = None if value is None else column.convert(value)
            except ConversionError as error:
                raise ConversionError(f"{column.name} ({column.glue_type}): {error}") from None
        return row

    def to_parquet(self, rows: Iterable[dict[str, Any]]) -> bytes:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415

        schema = pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns])
        buffer = io.BytesIO()
        pq.write_table(
            pa.Table.from_pylist(list(rows), schema=schema), buffer, compression="snappy"
        )
        return buffer.getvalue()
