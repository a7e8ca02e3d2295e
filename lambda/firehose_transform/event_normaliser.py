"""Validate one decoded event against the `events` schema and normalise it.

Pure functions, no I/O and no clock: the caller passes the arrival time, so the output is a
function of the input alone and every rule below is unit-testable.

The rules, in the order they apply:

* Field names are matched to schema columns case- and style-insensitively: `eventId`,
  `EventId`, `EVENT_ID`, `event-id` and `event_id` all mean `event_id`. Two spellings of the
  same column in one event are rejected (`duplicate_field`), since either choice would
  silently discard the other value.
* Unknown fields are not dropped and do not fail the event: a scalar unknown field is moved
  into the `properties` map under its original name, as a string, so a producer that ships a
  new attribute before the schema has a column for it loses nothing. An unknown field that
  holds an object or array is rejected (`unknown_field`): `properties` is a flat
  map<string,string> and flattening arbitrary structures would invent a format. A name that
  is already a key of `properties` is rejected (`duplicate_field`).
* `null`, or an empty/blank string, in an optional column means "absent"; in a required
  column it is `missing_field` / `empty_field`.
* string: a JSON string (an integer is accepted and written as its decimal text). Columns
  with `allowed` values match case-insensitively after trimming and are written in the
  schema's spelling. `event_id` must be a UUID and is written in canonical lower-case form;
  `country` must be two ASCII letters and is upper-cased.
* int: a JSON integer, a float with no fractional part, or a numeric string with an integral
  value; it must fit Parquet's 32-bit INT.
* double: a JSON number or numeric string; NaN and infinities are rejected. Integers beyond
  2**53 are rejected because a double cannot hold them exactly.
* timestamp: an ISO 8601 string with an explicit offset (`Z` or `+hh:mm`), or epoch seconds
  or milliseconds as a number or numeric string (magnitudes of 1e11 and above are read as
  milliseconds; 1e11 seconds is the year 5138). A string without an offset is rejected: its
  instant is unknowable. Output is UTC, ISO 8601, millisecond precision, with a `Z` suffix.
  `event_time` must lie between 2000-01-01 and one day after arrival (`implausible_time`).
* map<string,string>: a JSON object of string keys; string values are kept, numbers and
  booleans are written as their JSON text, anything else is rejected.
* `ingested_at` is set from the record's arrival time. A producer-supplied value is
  overwritten: the column is defined as "set by the pipeline", and replayed records must get
  the time of this ingestion.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from event_schema import ColumnSpec, EventSchema

PARTITION_SOURCE_COLUMN = "event_time"
INGESTED_AT_COLUMN = "ingested_at"
PROPERTIES_COLUMN = "properties"

EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MAX_FUTURE_SKEW = timedelta(days=1)
EPOCH_MILLIS_THRESHOLD = 100_000_000_000  # 1e11: below are seconds, at or above are millis.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
MAX_EXACT_DOUBLE_INT = 2**53
_DETAIL_VALUE_LIMIT = 80

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NUMERIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Reason(StrEnum):
    """Why a record was rejected. Low-cardinality codes: they become metric names."""

    INVALID_BASE64 = "invalid_base64"
    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_PAYLOAD = "missing_payload"
    MISSING_ARRIVAL_TIME = "missing_arrival_time"
    MISSING_FIELD = "missing_field"
    EMPTY_FIELD = "empty_field"
    DUPLICATE_FIELD = "duplicate_field"
    UNKNOWN_FIELD = "unknown_field"
    WRONG_TYPE = "wrong_type"
    INVALID_VALUE = "invalid_value"
    IMPLAUSIBLE_TIME = "implausible_time"
    INTERNAL_ERROR = "internal_error"  # a bug in this transform, never the producer's fault


class RecordRejectedError(Exception):
    """One record is invalid. `reason` is a Reason code, `detail` names the field and value."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class NormalisedEvent:
    fields: dict[str, Any]  # schema columns in schema order; absent optionals are omitted
    dt: str  # the partition value: event_time's UTC date, yyyy-MM-dd


def canonical_field_name(name: str) -> str:
    """`eventId`, `EventID`, `EVENT_ID`, `event-id` -> `event_id`."""
    snake = _CAMEL_BOUNDARY.sub("_", name.strip())
    return snake.replace("-", "_").replace(" ", "_").lower()


def format_timestamp(moment: datetime) -> str:
    """UTC, millisecond precision, `Z` suffix: one fixed layout for Firehose's SerDe."""
    # isoformat of a UTC datetime always ends in "+00:00"; it is several times faster than
    # strftime, which matters at one call per timestamp per record.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _DETAIL_VALUE_LIMIT else text[: _DETAIL_VALUE_LIMIT - 3] + "..."


_JSON_TYPE_NAMES = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def _type_name(value: object) -> str:
    """The JSON name of a decoded value's type, for messages producers understand."""
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _wrong_type(column: str, expected: str, value: object) -> RecordRejectedError:
    return RecordRejectedError(
        Reason.WRONG_TYPE, f"{column}: expected {expected}, got {_type_name(value)} {_show(value)}"
    )


def _decimal(column: str, text: str, expected: str) -> Decimal:
    stripped = text.strip()
    if not _NUMERIC.fullmatch(stripped):
        raise RecordRejectedError(
            Reason.WRONG_TYPE, f"{column}: expected {expected}, got string {_show(text)}"
        )
    try:
        return Decimal(stripped)
    except InvalidOperation:  # the regex admits only finite decimals; kept for safety
        raise RecordRejectedError(
            Reason.WRONG_TYPE, f"{column}: expected {expected}, got string {_show(text)}"
        ) from None


def _to_string(column: ColumnSpec, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _wrong_type(column.name, "string", value)


def _to_int(column: ColumnSpec, value: object) -> int:
    if isinstance(value, bool):
        raise _wrong_type(column.name, "integer", value)
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise RecordRejectedError(
                Reason.INVALID_VALUE, f"{column.name}: {_show(value)} is not a whole number"
            )
        result = int(value)
    elif isinstance(value, str):
        number = _decimal(column.name, value, "integer")
        if number != number.to_integral_value():
            raise RecordRejectedError(
                Reason.INVALID_VALUE, f"{column.name}: {_show(value)} is not a whole number"
            )
        result = int(number)
    else:
        raise _wrong_type(column.name, "integer", value)
    if not INT32_MIN <= result <= INT32_MAX:
        raise RecordRejectedError(
            Reason.INVALID_VALUE, f"{column.name}: {_show(value)} does not fit a 32-bit int"
        )
    return result


def _to_double(column: ColumnSpec, value: object) -> float:
    if isinstance(value, bool):
        raise _wrong_type(column.name, "number", value)
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_DOUBLE_INT:
            raise RecordRejectedError(
                Reason.INVALID_VALUE, f"{column.name}: {_show(value)} is not exact as a double"
            )
        return float(value)
    if isinstance(value, float):
        result = value
    elif isinstance(value, str):
        result = float(_decimal(column.name, value, "number"))
    else:
        raise _wrong_type(column.name, "number", value)
    if not math.isfinite(result):
        raise RecordRejectedError(
            Reason.INVALID_VALUE, f"{column.name}: {_show(value)} is not finite"
        )
    return result


def _from_epoch(column: str, seconds_or_millis: float, original: object) -> datetime:
    seconds = (
        seconds_or_millis / 1000
        if abs(seconds_or_millis) >= EPOCH_MILLIS_THRESHOLD
        else seconds_or_millis
    )
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise RecordRejectedError(
            Reason.INVALID_VALUE, f"{column}: epoch {_show(original)} is out of range"
        ) from None


def _to_timestamp(column: ColumnSpec, value: object) -> datetime:
    if isinstance(value, bool):
        raise _wrong_type(column.name, "timestamp", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise RecordRejectedError(Reason.INVALID_VALUE, f"{column.name}: {_show(value)}")
        return _from_epoch(column.name, value, value)
    if not isinstance(value, str):
        raise _wrong_type(column.name, "timestamp", value)
    text = value.strip()
    if _NUMERIC.fullmatch(text):
        return _from_epoch(column.name, float(text), value)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RecordRejectedError(
            Reason.INVALID_VALUE, f"{column.name}: {_show(value)} is not an ISO 8601 timestamp"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise RecordRejectedError(
            Reason.INVALID_VALUE,
            f"{column.name}: {_show(value)} has no UTC offset (add Z or +hh:mm)",
        )
    return parsed


def _to_string_map(column: ColumnSpec, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _wrong_type(column.name, "object of strings", value)
    result: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, str):
            result[key] = item
        elif isinstance(item, bool):
            result[key] = "true" if item else "false"
        elif isinstance(item, int | float) and math.isfinite(item):
            result[key] = repr(item)
        else:
            raise RecordRejectedError(
                Reason.WRONG_TYPE,
                f"{column.name}.{key}: values must be strings, numbers or booleans, "
                f"got {_type_name(item)}",
            )
    return result


def _uuid(column: str, text: str) -> str:
    if _CANONICAL_UUID.fullmatch(text):
        return text  # already canonical: skip the costlier parse and re-format
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise RecordRejectedError(
            Reason.INVALID_VALUE, f"{column}: {_show(text)} is not a UUID"
        ) from None


def _country(column: str, text: str) -> str:
    stripped = text.strip()
    if not _COUNTRY.fullmatch(stripped):
        raise RecordRejectedError(
            Reason.INVALID_VALUE,
            f"{column}: {_show(text)} is not an ISO 3166-1 alpha-2 code (two letters)",
        )
    return stripped.upper()


def _absent(column: ColumnSpec, raw: object) -> RecordRejectedError:
    if raw is None:
        return RecordRejectedError(Reason.MISSING_FIELD, f"{column.name}: required, not given")
    return RecordRejectedError(Reason.EMPTY_FIELD, f"{column.name}: required, given empty")


def _allowed_value_converter(allowed: tuple[str, ...]) -> Callable[[ColumnSpec, object], str]:
    """Case-insensitive match against `allowed`, answering in the schema's spelling."""
    by_lower = {value.lower(): value for value in allowed}

    def convert(column: ColumnSpec, raw: object) -> str:
        match = by_lower.get(_to_string(column, raw).strip().lower())
        if match is None:
            raise RecordRejectedError(
                Reason.INVALID_VALUE,
                f"{column.name}: {_show(raw)} is not one of {', '.join(allowed)}",
            )
        return match

    return convert


# One converter per non-string schema type; event_schema.SUPPORTED_TYPES lists the same set.
_CONVERTERS: dict[str, Callable[[ColumnSpec, object], object]] = {
    "int": _to_int,
    "double": _to_double,
    "timestamp": _to_timestamp,
    "map<string,string>": _to_string_map,
}

# Column-specific rules the JSON schema cannot express. Keyed by column name, so a column
# removed from events.json simply stops being checked.
_STRING_RULES = {"event_id": _uuid, "country": _country}


class EventNormaliser:
    """Validates and normalises decoded events for one schema. Build once per cold start."""

    def __init__(self, schema: EventSchema) -> None:
        self._schema = schema
        self._columns = {column.name: column for column in schema.columns}
        if PARTITION_SOURCE_COLUMN not in self._columns:
            raise ValueError(f"schema {schema.name} has no {PARTITION_SOURCE_COLUMN} column")
        # Resolved once here rather than per record: which function converts each column.
        self._plan = [
            (column, self._converter_for(column))
            for column in schema.columns
            if column.name != INGESTED_AT_COLUMN
        ]
        self._timestamp_columns = [c.name for c in schema.columns if c.type == "timestamp"]
        # Exact schema names hit this dict first; other spellings are canonicalised.
        self._name_cache: dict[str, str] = {name: name for name in self._columns}
        self._last_arrival: tuple[datetime, str] | None = None

    @staticmethod
    def _converter_for(column: ColumnSpec) -> Callable[[ColumnSpec, object], object]:
        if column.type != "string":
            return _CONVERTERS[column.type]
        if column.allowed:
            return _allowed_value_converter(column.allowed)
        rule = _STRING_RULES.get(column.name)
        if rule is None:
            return _to_string
        return lambda spec, raw: rule(spec.name, _to_string(spec, raw))

    def _column_for(self, field: str) -> str | None:
        cached = self._name_cache.get(field)
        if cached is not None:
            return cached
        canonical = canonical_field_name(field)
        return canonical if canonical in self._columns else None

    def _arrival_text(self, arrived_at: datetime) -> str:
        # Records of one batch mostly share an arrival time; format it once.
        if self._last_arrival is None or self._last_arrival[0] != arrived_at:
            self._last_arrival = (arrived_at, format_timestamp(arrived_at))
        return self._last_arrival[1]

    def _split_fields(self, event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(values by schema column, fields that match no column)."""
        by_column: dict[str, Any] = {}
        given_as: dict[str, str] = {}
        unknown: dict[str, Any] = {}
        for field, value in event.items():
            column = self._column_for(field)
            if column is None:
                unknown[field] = value
            elif column in by_column:
                raise RecordRejectedError(
                    Reason.DUPLICATE_FIELD,
                    f"{column}: given twice, as {given_as[column]!r} and {field!r}",
                )
            else:
                by_column[column] = value
                given_as[column] = field
        return by_column, unknown

    def normalise(self, event: dict[str, Any], *, arrived_at: datetime) -> NormalisedEvent:
        """Return the normalised event, or raise RecordRejectedError naming the field at fault."""
        by_column, unknown = self._split_fields(event)
        fields: dict[str, Any] = {}
        for column, convert in self._plan:
            raw = by_column.get(column.name)
            if raw is None or (raw.__class__ is str and not raw.strip()):
                if column.required:
                    raise _absent(column, raw)
                continue
            fields[column.name] = convert(column, raw)
        if INGESTED_AT_COLUMN in self._columns:
            fields[INGESTED_AT_COLUMN] = self._arrival_text(arrived_at)

        if unknown:
            merged = self._merge_unknown(fields.get(PROPERTIES_COLUMN), unknown)
            if merged:
                fields[PROPERTIES_COLUMN] = merged
                self._reorder(fields)

        event_time: datetime = fields[PARTITION_SOURCE_COLUMN]
        if not EARLIEST_EVENT_TIME <= event_time <= arrived_at + MAX_FUTURE_SKEW:
            raise RecordRejectedError(
                Reason.IMPLAUSIBLE_TIME,
                f"{PARTITION_SOURCE_COLUMN}: {format_timestamp(event_time)} is before "
                f"{EARLIEST_EVENT_TIME.date()} or more than "
                f"{MAX_FUTURE_SKEW.total_seconds() / 3600:g} hours after arrival "
                f"({format_timestamp(arrived_at)})",
            )
        for name in self._timestamp_columns:
            value = fields.get(name)
            if isinstance(value, datetime):
                fields[name] = format_timestamp(value)
        return NormalisedEvent(fields=fields, dt=fields[PARTITION_SOURCE_COLUMN][:10])

    def _merge_unknown(
        self, properties: dict[str, str] | None, unknown: dict[str, Any]
    ) -> dict[str, str]:
        if PROPERTIES_COLUMN not in self._columns:
            raise RecordRejectedError(
                Reason.UNKNOWN_FIELD, f"{next(iter(unknown))}: not a column of the schema"
            )
        merged = dict(properties or {})
        for field, value in unknown.items():
            if isinstance(value, dict | list):
                raise RecordRejectedError(
                    Reason.UNKNOWN_FIELD,
                    f"{field}: not a schema column and holds {_type_name(value)}; only scalar "
                    f"unknown fields are kept (moved into {PROPERTIES_COLUMN})",
                )
            if field in merged:
                raise RecordRejectedError(
                    Reason.DUPLICATE_FIELD,
                    f"{field}: given both as a field and as {PROPERTIES_COLUMN}.{field}",
                )
            if value is None:
                continue  # an unknown null carries no information to keep
            if isinstance(value, bool):
                merged[field] = "true" if value else "false"
            elif isinstance(value, int | float):
                merged[field] = repr(value)
            else:
                merged[field] = value
        return merged

    def _reorder(self, fields: dict[str, Any]) -> None:
        """Put a newly added `properties` back into schema order (deterministic output)."""
        ordered = {c.name: fields[c.name] for c in self._schema.columns if c.name in fields}
        fields.clear()
        fields.update(ordered)
