"""Turn raw `events` rows into the curated table: parse, validate, deduplicate, partition.

Plain PySpark with no `awsglue` import, so the same code runs in the Glue job and in local
tests. The Glue job ships this file with `--extra-py-files` and imports it as
`events_transform`; tests import it as `etl.events_transform`.

Every input row ends in exactly one outcome, and `TransformCounts` proves it:

* `curated`         valid, first copy of its event_id: written to the curated table;
* `quarantined`     invalid for any reason: written to quarantine with its payload and reasons;
* `duplicate`       valid, but another valid row in this batch has the same event_id and an
                    earlier ingested_at (ties broken by source, then payload text);
* `already_curated` valid, but its (event_id, dt) is already in the curated table from an
                    earlier run, so appending it again would duplicate it.

The schema comes from the JSON file that `lake_schema` also reads (`lake_schema/events.json`),
passed in as a path or a dict, because the `lake_schema` package itself is not shipped to Glue.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import reduce
from pathlib import Path
from typing import Any, NoReturn

from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession, Window

# F and T are PySpark's conventional aliases; every PySpark reader expects them.
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql import types as T  # noqa: N812

# Pipeline semantics the transform relies on. They name columns that must exist in the schema
# file with these types; `load_table_spec` checks that, so a renamed column fails at load time.
EVENT_ID = "event_id"
EVENT_TIME = "event_time"
INGESTED_AT = "ingested_at"

# Bookkeeping columns. The leading underscore keeps them clear of schema column names.
SOURCE = "_source"
SOURCE_FILE = "_source_file"
PAYLOAD = "_payload"
TYPE_ERRORS = "_type_errors"
INVALID_FIELDS = "_invalid_fields"
REASONS = "_reasons"
OUTCOME = "_outcome"

# Column names of the landing-lines input (see `read_landing_lines`).
LINE = "line"
LANDED_AT = "landed_at"

FIREHOSE = "firehose"
LANDING = "landing"

CURATED = "curated"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"
ALREADY_CURATED = "already_curated"

# Quarantine table columns. `dt` there is the UTC date of the run that quarantined the row.
QUARANTINE_COLUMNS = ("source", "source_file", "payload", "reason", "run_id", "quarantined_at")

DEFAULT_MAX_CLOCK_SKEW = timedelta(days=1)

# Caps a curated file at roughly 100 MB of snappy Parquet for rows of this width.
MAX_RECORDS_PER_FILE = 1_000_000

# ISO-8601 date-time, optional fraction and offset. Spark's own string-to-timestamp cast also
# accepts "2026" or "2026-11" as midnight timestamps, which is never a real event time, so the
# shape is checked first. Digits past microseconds are truncated by Spark.
ISO_TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$"

SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "int": T.IntegerType(),
    "double": T.DoubleType(),
    "timestamp": T.TimestampType(),
    "map<string,string>": T.MapType(T.StringType(), T.StringType(), valueContainsNull=True),
}

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class SchemaError(ValueError):
    """The schema file is not usable by the transform; the message names the file and field."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool
    allowed: tuple[str, ...] = ()
    pattern: str | None = None

    @property
    def spark_type(self) -> T.DataType:
        return SPARK_TYPES[self.type]


@dataclass(frozen=True)
class TableSpec:
    name: str
    schema_version: int
    columns: tuple[ColumnSpec, ...]
    partition_key: ColumnSpec

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def load_table_spec(source: str | os.PathLike[str] | Mapping[str, Any]) -> TableSpec:
    """Read a `lake_schema` JSON file (path) or its parsed dict, and check it fits the transform."""
    raw, where = _read_schema_source(source)
    for key in ("name", "schema_version", "columns", "partition_keys"):
        if key not in raw:
            raise SchemaError(f"{where}: missing top-level key {key!r}")

    columns = tuple(_column_spec(where, "columns", i, c) for i, c in enumerate(raw["columns"]))
    names = [c.name for c in columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SchemaError(f"{where}: duplicate column names {duplicated}")

    partition_keys = tuple(
        _column_spec(where, "partition_keys", i, c) for i, c in enumerate(raw["partition_keys"])
    )
    if len(partition_keys) != 1 or partition_keys[0].type != "string":
        raise SchemaError(
            f"{where}: partition_keys must be exactly one string column (the event date), "
            f"got {[(p.name, p.type) for p in partition_keys]}"
        )
    if partition_keys[0].name in names:
        raise SchemaError(f"{where}: partition key {partition_keys[0].name!r} is also a column")

    spec = TableSpec(
        name=raw["name"],
        schema_version=raw["schema_version"],
        columns=columns,
        partition_key=partition_keys[0],
    )
    for name, expected in (
        (EVENT_ID, "string"),
        (EVENT_TIME, "timestamp"),
        (INGESTED_AT, "timestamp"),
    ):
        if name not in names:
            raise SchemaError(f"{where}: the transform needs a column {name!r}")
        actual = spec.column(name)
        if actual.type != expected or not actual.required:
            raise SchemaError(
                f"{where}: column {name!r} must be a required {expected}, "
                f"got type {actual.type!r}, required={actual.required}"
            )
    return spec


def _read_schema_source(source: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[Mapping, str]:
    if isinstance(source, Mapping):
        return source, "schema dict"
    path = Path(source)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise SchemaError(f"{path}: schema file not found") from error
    except json.JSONDecodeError as error:
        raise SchemaError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(raw, Mapping):
        raise SchemaError(f"{path}: expected a JSON object at the top level")
    return raw, str(path)


def _column_spec(where: str, section: str, index: int, raw: object) -> ColumnSpec:
    at = f"{where}: {section}[{index}]"
    if not isinstance(raw, Mapping):
        raise SchemaError(f"{at}: expected an object, got {type(raw).__name__}")
    for key in ("name", "type", "required"):
        if key not in raw:
            raise SchemaError(f"{at}: missing key {key!r}")
    name, type_ = raw["name"], raw["type"]
    at = f"{where}: {section}[{index}] ({name!r})"
    if type_ not in SPARK_TYPES:
        raise SchemaError(
            f"{at}: unsupported type {type_!r}; expected one of {sorted(SPARK_TYPES)}"
        )
    allowed = tuple(raw.get("allowed", ()))
    if allowed and type_ != "string":
        raise SchemaError(f"{at}: 'allowed' is only supported on string columns, not {type_!r}")
    return ColumnSpec(
        name=name,
        type=type_,
        required=bool(raw["required"]),
        allowed=allowed,
        pattern=raw.get("pattern"),
    )


def curated_struct_type(spec: TableSpec) -> T.StructType:
    """The curated table's Spark schema: every schema column, then the partition key."""
    fields = [T.StructField(c.name, c.spark_type, nullable=not c.required) for c in spec.columns]
    fields.append(T.StructField(spec.partition_key.name, T.StringType(), nullable=False))
    return T.StructType(fields)


def quarantine_struct_type() -> T.StructType:
    return T.StructType(
        [
            T.StructField("source", T.StringType(), nullable=False),
            T.StructField("source_file", T.StringType()),
            T.StructField("payload", T.StringType()),
            T.StructField("reason", T.StringType(), nullable=False),
            T.StructField("run_id", T.StringType(), nullable=False),
            T.StructField("quarantined_at", T.TimestampType(), nullable=False),
            T.StructField("dt", T.StringType(), nullable=False),
        ]
    )


# --------------------------------------------------------------------------------------------
# Landing lines: newline-delimited JSON nobody has validated.
#
# Spark's JSON reader coerces silently (a number for a string column becomes its text, an
# object becomes JSON text) and cannot say which field was wrong, so each line is decoded by
# `decode_landing_line` in a Python UDF. Landing files are out-of-band backfills, small next
# to the stream, so the UDF's per-row cost is acceptable; the Firehose path stays native.
# --------------------------------------------------------------------------------------------


_JSON_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: bool is a subclass of int
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def _json_type_name(value: object) -> str:
    if value is None:
        return "null"
    return next(name for kind, name in _JSON_TYPE_NAMES if isinstance(value, kind))


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not allowed in JSON")


# Each decoder takes (column name, JSON value) and returns (value, None) or (None, error).
Decoded = tuple[object, str | None]


def _mismatch(name: str, type_: str, value: object) -> Decoded:
    return None, f"{name}: expected {type_}, got JSON {_json_type_name(value)}"


def _decode_text(name: str, value: object, type_: str = "string") -> Decoded:
    return (value, None) if isinstance(value, str) else _mismatch(name, type_, value)


def _decode_timestamp_text(name: str, value: object) -> Decoded:
    # Timestamps stay text here; Spark parses them with the same rule as drifted Parquet.
    return _decode_text(name, value, "timestamp")


def _decode_int(name: str, value: object) -> Decoded:
    if not isinstance(value, int) or isinstance(value, bool):
        return _mismatch(name, "int", value)
    if INT_MIN <= value <= INT_MAX:
        return value, None
    return None, f"{name}: {value} is outside the int range"


def _decode_double(name: str, value: object) -> Decoded:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return _mismatch(name, "double", value)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if math.isfinite(number):
        return number, None
    return None, f"{name}: number is out of the double range"


def _decode_string_map(name: str, value: object) -> Decoded:
    if not isinstance(value, dict):
        return _mismatch(name, "map<string,string>", value)
    bad = [
        f"{key}: got JSON {_json_type_name(item)}"
        for key, item in value.items()
        if item is not None and not isinstance(item, str)
    ]
    if bad:
        return None, f"{name}: values must be strings ({'; '.join(bad[:3])})"
    return value, None


_DECODERS: dict[str, Callable[[str, object], Decoded]] = {
    "string": _decode_text,
    "timestamp": _decode_timestamp_text,
    "int": _decode_int,
    "double": _decode_double,
    "map<string,string>": _decode_string_map,
}


def decode_landing_line(line: str | None, columns: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Decode one NDJSON line into the given (name, type) columns with per-field type errors.

    Returns a dict with one key per column (None when absent, null or mistyped), plus
    `_type_errors` (messages) and `_invalid_fields` (names whose value was present but
    unusable, so the required-field check does not also report them as missing).
    """
    result: dict[str, Any] = {name: None for name, _ in columns}
    all_names = [name for name, _ in columns]
    if line is None or not line.strip():
        return {**result, TYPE_ERRORS: ["line is empty"], INVALID_FIELDS: all_names}
    try:
        parsed = json.loads(line, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        message = f"line is not valid JSON: {error.msg} at char {error.pos}"
        return {**result, TYPE_ERRORS: [message], INVALID_FIELDS: all_names}
    except (ValueError, RecursionError) as error:
        return {
            **result,
            TYPE_ERRORS: [f"line is not valid JSON: {error}"],
            INVALID_FIELDS: all_names,
        }
    if not isinstance(parsed, dict):
        message = f"line is a JSON {_json_type_name(parsed)}, not an object"
        return {**result, TYPE_ERRORS: [message], INVALID_FIELDS: all_names}

    errors: list[str] = []
    invalid: list[str] = []
    for name, type_ in columns:
        value = parsed.get(name)
        if value is None:
            continue
        decoded, error = _DECODERS[type_](name, value)
        if error is None:
            result[name] = decoded
        else:
            errors.append(error)
            invalid.append(name)
    return {**result, TYPE_ERRORS: errors, INVALID_FIELDS: invalid}


def _landing_decoded_type(column: ColumnSpec) -> T.DataType:
    return T.StringType() if column.type == "timestamp" else column.spark_type


def _landing_decoder(columns: Sequence[ColumnSpec]) -> Callable[[Column], Column]:
    names_and_types = tuple((c.name, c.type) for c in columns)
    return_type = T.StructType(
        [T.StructField(c.name, _landing_decoded_type(c)) for c in columns]
        + [
            T.StructField(TYPE_ERRORS, T.ArrayType(T.StringType())),
            T.StructField(INVALID_FIELDS, T.ArrayType(T.StringType())),
        ]
    )
    return F.udf(lambda line: decode_landing_line(line, names_and_types), return_type)


def normalise_landing_lines(lines: DataFrame, spec: TableSpec) -> DataFrame:
    """Decode landing lines (`line`, `_source_file`, `landed_at`) into typed schema columns.

    `ingested_at` is set by the pipeline, not the producer, so a landing row gets the time its
    file landed, whatever the line says. That time is stable across reruns, which keeps the
    duplicate tie-break deterministic.
    """
    for required in (LINE, SOURCE_FILE, LANDED_AT):
        if required not in lines.columns:
            raise ValueError(
                f"landing lines need columns {LINE!r}, {SOURCE_FILE!r}, {LANDED_AT!r}; "
                f"got {lines.columns} (use read_landing_lines)"
            )
    decoded_columns = [c for c in spec.columns if c.name != INGESTED_AT]
    decode = _landing_decoder(decoded_columns)
    decoded = lines.select(
        F.lit(LANDING).alias(SOURCE),
        F.col(SOURCE_FILE).cast(T.StringType()).alias(SOURCE_FILE),
        F.col(LINE).alias(PAYLOAD),
        F.col(LANDED_AT),
        decode(F.col(LINE)).alias("_decoded"),
    )
    values: list[Column] = []
    extra_errors: list[Column] = []
    extra_invalid: list[Column] = []
    for column in spec.columns:
        if column.name == INGESTED_AT:
            values.append(F.col(LANDED_AT).cast(T.TimestampType()).alias(INGESTED_AT))
            continue
        raw = F.col(f"_decoded.{column.name}")
        if column.type == "timestamp":
            value, error = _parse_timestamp_text(column.name, raw)
            extra_errors.append(error)
            extra_invalid.append(F.when(error.isNotNull(), F.lit(column.name)))
        else:
            value = raw
        values.append(value.cast(column.spark_type).alias(column.name))
    return decoded.select(
        F.col(SOURCE),
        F.col(SOURCE_FILE),
        F.col(PAYLOAD),
        *values,
        F.concat(F.col(f"_decoded.{TYPE_ERRORS}"), _non_null_array(extra_errors)).alias(
            TYPE_ERRORS
        ),
        F.concat(F.col(f"_decoded.{INVALID_FIELDS}"), _non_null_array(extra_invalid)).alias(
            INVALID_FIELDS
        ),
    )


# --------------------------------------------------------------------------------------------
# Firehose Parquet: typed by Firehose's conversion, but not trusted. A column can be missing
# (older files), or carry another type after a schema change; each is coerced or reported.
# --------------------------------------------------------------------------------------------


def normalise_firehose_rows(raw: DataFrame, spec: TableSpec) -> DataFrame:
    """Bring Firehose rows to the schema's columns and types, recording what did not fit.

    An optional `_source_file` column names the file each row came from; it is kept for the
    quarantine record and left out of the payload. Column names match case-insensitively, as
    Spark and the Glue catalog do.
    """
    data_columns = [c for c in raw.columns if c != SOURCE_FILE]
    by_lower = {c.lower(): c for c in data_columns}
    source_types = {f.name: f.dataType for f in raw.schema.fields}

    payload = (
        F.to_json(F.struct(*[_column(c) for c in data_columns])) if data_columns else F.lit("{}")
    )
    # Glue's DynamicFrame.toDF() can leave input_file_name() empty; empty means unknown.
    source_file = (
        F.when(F.col(SOURCE_FILE) != "", F.col(SOURCE_FILE))
        if SOURCE_FILE in raw.columns
        else F.lit(None)
    )

    values: list[Column] = []
    errors: list[Column] = []
    invalid: list[Column] = []
    for column in spec.columns:
        name = by_lower.get(column.name.lower())
        if name is None:
            value, error = F.lit(None), None
        else:
            value, error = _coerce(_column(name), source_types[name], column)
        values.append(value.cast(column.spark_type).alias(column.name))
        if error is not None:
            errors.append(error)
            invalid.append(F.when(error.isNotNull(), F.lit(column.name)))
    return raw.select(
        F.lit(FIREHOSE).alias(SOURCE),
        source_file.cast(T.StringType()).alias(SOURCE_FILE),
        payload.alias(PAYLOAD),
        *values,
        _non_null_array(errors).alias(TYPE_ERRORS),
        _non_null_array(invalid).alias(INVALID_FIELDS),
    )


def _column(name: str) -> Column:
    """Refer to a column by its literal name, even one with dots or backticks in it."""
    return F.col("`" + name.replace("`", "``") + "`")


_INTEGRAL_TYPES = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
_NUMERIC_TYPES = (*_INTEGRAL_TYPES, T.FloatType, T.DoubleType, T.DecimalType)


def _coerce(value: Column, source: T.DataType, target: ColumnSpec) -> tuple[Column, Column | None]:
    """Cast `value` of type `source` to the target column, or null it with an error message."""
    if source.simpleString() == target.spark_type.simpleString():
        return value, None
    if target.type == "int" and isinstance(source, _INTEGRAL_TYPES):
        in_range = value.between(INT_MIN, INT_MAX)
        error = F.when(
            value.isNotNull() & ~in_range,
            F.concat(
                F.lit(f"{target.name}: "), value.cast("string"), F.lit(" is outside the int range")
            ),
        )
        return F.when(in_range, value), error
    if target.type == "double" and isinstance(source, _NUMERIC_TYPES):
        return value, None
    if target.type == "timestamp" and isinstance(source, T.TimestampNTZType):
        # Spark reads zone-less timestamps in the session zone, which the transform pins to UTC.
        return value, None
    if target.type == "timestamp" and isinstance(source, T.StringType):
        return _parse_timestamp_text(target.name, value)
    message = f"{target.name}: expected {target.type}, got {source.simpleString()}"
    return F.lit(None), F.when(value.isNotNull(), F.lit(message))


def _parse_timestamp_text(name: str, text: Column) -> tuple[Column, Column]:
    parsed = F.when(text.rlike(ISO_TIMESTAMP_PATTERN), F.try_to_timestamp(text))
    error = F.when(
        text.isNotNull() & parsed.isNull(),
        F.concat(
            F.lit(f"{name}: '"), F.substring(text, 1, 64), F.lit("' is not an ISO-8601 timestamp")
        ),
    )
    return parsed, error


def _non_null_array(items: Sequence[Column]) -> Column:
    if not items:
        return F.array().cast(T.ArrayType(T.StringType()))
    return F.filter(F.array(*items), lambda item: item.isNotNull())


# --------------------------------------------------------------------------------------------
# Validation, deduplication and the outcome of every row.
# --------------------------------------------------------------------------------------------


def validation_reasons(spec: TableSpec, max_clock_skew: timedelta) -> Column:
    """All reasons a normalised row is invalid, as array<string>; empty means valid."""
    checks: list[Column] = []
    for column in spec.columns:
        value = F.col(column.name)
        not_reported = ~F.array_contains(F.col(INVALID_FIELDS), column.name)
        if column.required:
            checks.append(
                F.when(value.isNull() & not_reported, F.lit(f"{column.name}: required but missing"))
            )
            if column.type == "string":
                checks.append(
                    F.when(F.trim(value) == "", F.lit(f"{column.name}: required but empty"))
                )
        if column.allowed:
            allowed_text = ", ".join(column.allowed)
            checks.append(
                F.when(
                    value.isNotNull() & ~value.isin(*column.allowed),
                    F.concat(
                        F.lit(f"{column.name}: '"),
                        F.substring(value, 1, 64),
                        F.lit(f"' is not one of {allowed_text}"),
                    ),
                )
            )
        if column.pattern:
            checks.append(
                F.when(
                    value.isNotNull() & ~value.rlike(column.pattern),
                    F.concat(
                        F.lit(f"{column.name}: '"),
                        F.substring(value, 1, 64),
                        F.lit(f"' does not match {column.pattern}"),
                    ),
                )
            )
    # A device clock far ahead would file the event under a future day; reject it instead.
    skew_micros = int(max_clock_skew / timedelta(microseconds=1))
    checks.append(
        F.when(
            F.unix_micros(F.col(EVENT_TIME)) - F.unix_micros(F.col(INGESTED_AT)) > skew_micros,
            F.lit(f"{EVENT_TIME}: more than {max_clock_skew} after {INGESTED_AT}"),
        )
    )
    return F.concat(F.col(TYPE_ERRORS), _non_null_array(checks))


@dataclass(frozen=True)
class TransformCounts:
    """Rows per outcome. `input_rows` must equal the sum of the four outcomes."""

    firehose_rows: int
    landing_rows: int
    curated: int
    quarantined: int
    duplicates: int
    already_curated: int

    @property
    def input_rows(self) -> int:
        return self.firehose_rows + self.landing_rows

    @property
    def balanced(self) -> bool:
        return self.input_rows == (
            self.curated + self.quarantined + self.duplicates + self.already_curated
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "firehose_rows": self.firehose_rows,
            "landing_rows": self.landing_rows,
            "curated": self.curated,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "already_curated": self.already_curated,
        }


@dataclass
class TransformResult:
    curated: DataFrame
    quarantine: DataFrame
    counts: TransformCounts
    # The dt partitions this batch appends to, e.g. for a catalog partition refresh.
    curated_partitions: tuple[str, ...]
    _persisted: list[DataFrame] = field(default_factory=list, repr=False)

    def release(self) -> None:
        """Drop the cached intermediate data once both outputs are written."""
        for frame in self._persisted:
            frame.unpersist()
        self._persisted.clear()


# Given the dt partitions a batch touches, return (event_id, dt) of rows already curated there,
# or None when there are none (first run).
CuratedKeysLookup = Callable[[Sequence[str]], DataFrame | None]


def transform_events(
    spec: TableSpec,
    *,
    firehose_rows: DataFrame | None,
    landing_lines: DataFrame | None,
    run_id: str,
    processed_at: datetime,
    curated_keys: CuratedKeysLookup | None = None,
    max_clock_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
) -> TransformResult:
    """Classify every raw row as curated, quarantined, duplicate or already curated.

    `firehose_rows`: the raw Parquet rows as read (any columns; see normalise_firehose_rows).
    `landing_lines`: `line`, `_source_file`, `landed_at` (see read_landing_lines).
    `processed_at`: aware datetime of the run; stamps quarantine rows and their dt.
    The session time zone must be UTC so that dt is the UTC date of event_time.
    """
    sources = [df for df in (firehose_rows, landing_lines) if df is not None]
    if not sources:
        raise ValueError("transform_events needs firehose_rows, landing_lines or both")
    spark = sources[0].sparkSession
    _require_utc_session(spark)
    if processed_at.tzinfo is None:
        raise ValueError(f"processed_at must be timezone-aware, got {processed_at!r}")
    if not run_id:
        raise ValueError("run_id must be a non-empty string")

    parts = []
    if firehose_rows is not None:
        parts.append(normalise_firehose_rows(firehose_rows, spec))
    if landing_lines is not None:
        parts.append(normalise_landing_lines(landing_lines, spec))
    rows = reduce(lambda left, right: left.unionByName(right), parts)

    partition_key = spec.partition_key.name
    is_valid = F.size(F.col(REASONS)) == 0
    validated = rows.withColumn(REASONS, validation_reasons(spec, max_clock_skew)).withColumn(
        partition_key, F.when(is_valid, F.date_format(F.col(EVENT_TIME), "yyyy-MM-dd"))
    )
    # Earliest ingested_at wins; the stream before landing; payload text makes it total.
    source_rank = F.when(F.col(SOURCE) == FIREHOSE, 0).otherwise(1)
    first_copy = Window.partitionBy(is_valid, F.col(EVENT_ID)).orderBy(
        F.col(INGESTED_AT).asc(), source_rank.asc(), F.col(PAYLOAD).asc()
    )
    ranked = validated.withColumn(
        OUTCOME,
        F.when(~is_valid, F.lit(QUARANTINED))
        .when(F.row_number().over(first_copy) > 1, F.lit(DUPLICATE))
        .otherwise(F.lit(CURATED)),
    ).persist(StorageLevel.MEMORY_AND_DISK)
    persisted = [ranked]

    candidate_partitions = sorted(
        row[partition_key]
        for row in ranked.where(F.col(OUTCOME) == CURATED)
        .select(partition_key)
        .distinct()
        .collect()
    )
    classified = ranked
    existing = (
        curated_keys(candidate_partitions)
        if curated_keys is not None and candidate_partitions
        else None
    )
    if existing is not None:
        known = (
            existing.select(F.col(EVENT_ID), F.col(partition_key))
            .distinct()
            .withColumn("_already_curated", F.lit(True))
        )
        classified = (
            ranked.join(known, on=[EVENT_ID, partition_key], how="left")
            .withColumn(
                OUTCOME,
                F.when(
                    (F.col(OUTCOME) == CURATED) & F.col("_already_curated"),
                    F.lit(ALREADY_CURATED),
                ).otherwise(F.col(OUTCOME)),
            )
            .drop("_already_curated")
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        persisted.append(classified)

    counts, curated_partitions = _count_outcomes(classified, partition_key)
    curated = classified.where(F.col(OUTCOME) == CURATED).select(
        *[F.col(c.name).cast(c.spark_type) for c in spec.columns], F.col(partition_key)
    )
    run_date = processed_at.astimezone(UTC)
    quarantine = classified.where(F.col(OUTCOME) == QUARANTINED).select(
        F.col(SOURCE).alias("source"),
        F.col(SOURCE_FILE).alias("source_file"),
        F.col(PAYLOAD).alias("payload"),
        F.array_join(F.col(REASONS), "; ").alias("reason"),
        F.lit(run_id).alias("run_id"),
        F.lit(run_date).cast(T.TimestampType()).alias("quarantined_at"),
        F.lit(run_date.strftime("%Y-%m-%d")).alias("dt"),
    )
    return TransformResult(
        curated=curated,
        quarantine=quarantine,
        counts=counts,
        curated_partitions=curated_partitions,
        _persisted=persisted,
    )


def _count_outcomes(
    classified: DataFrame, partition_key: str
) -> tuple[TransformCounts, tuple[str, ...]]:
    """Count rows per source and outcome, and list the dt partitions that get curated rows."""
    by_source: dict[str, int] = {FIREHOSE: 0, LANDING: 0}
    by_outcome: dict[str, int] = {CURATED: 0, QUARANTINED: 0, DUPLICATE: 0, ALREADY_CURATED: 0}
    partitions: set[str] = set()
    for row in classified.groupBy(SOURCE, OUTCOME, partition_key).count().collect():
        by_source[row[SOURCE]] += row["count"]
        by_outcome[row[OUTCOME]] += row["count"]
        if row[OUTCOME] == CURATED:
            partitions.add(row[partition_key])
    counts = TransformCounts(
        firehose_rows=by_source[FIREHOSE],
        landing_rows=by_source[LANDING],
        curated=by_outcome[CURATED],
        quarantined=by_outcome[QUARANTINED],
        duplicates=by_outcome[DUPLICATE],
        already_curated=by_outcome[ALREADY_CURATED],
    )
    return counts, tuple(sorted(partitions))


def _require_utc_session(spark: SparkSession) -> None:
    zone = spark.conf.get("spark.sql.session.timeZone")
    if zone not in ("UTC", "Etc/UTC", "Z", "+00:00"):
        raise ValueError(
            f"spark.sql.session.timeZone is {zone!r}; set it to 'UTC' so dt is the UTC date "
            "of event_time and zone-less timestamps read as UTC"
        )


# --------------------------------------------------------------------------------------------
# Plain Spark readers and writers, shared by the Glue job and the end-to-end test.
# --------------------------------------------------------------------------------------------


def read_landing_lines(spark: SparkSession, paths: Sequence[str]) -> DataFrame:
    """Read NDJSON files (gzip or not) as raw lines, with their file and landing time."""
    return spark.read.text(list(paths)).select(
        F.col("value").alias(LINE),
        F.col("_metadata.file_path").alias(SOURCE_FILE),
        F.col("_metadata.file_modification_time").alias(LANDED_AT),
    )


def read_firehose_parquet(spark: SparkSession, path: str) -> DataFrame:
    """Read Firehose Parquet with each row's file name (the Glue job reads via bookmarks)."""
    return spark.read.parquet(path).withColumn(SOURCE_FILE, F.input_file_name())


def curated_keys_reader(
    spark: SparkSession, spec: TableSpec, curated_path: str
) -> CuratedKeysLookup:
    """A lookup of (event_id, dt) already in the curated table, pruned to the given dts."""
    partition_key = spec.partition_key.name
    schema = curated_struct_type(spec)

    def lookup(partitions: Sequence[str]) -> DataFrame | None:
        try:
            table = spark.read.schema(schema).parquet(curated_path)
        except AnalysisException as error:
            if error.getErrorClass() == "PATH_NOT_FOUND":
                return None
            raise
        return table.where(F.col(partition_key).isin(list(partitions))).select(
            EVENT_ID, partition_key
        )

    return lookup


def write_curated(curated: DataFrame, spec: TableSpec, path: str) -> None:
    """Append curated rows as snappy Parquet under `<path>/<dt>=YYYY-MM-DD/`.

    Append, not overwrite: a batch holds only new rows, and a late event lands in an old day,
    so overwriting that day would delete what earlier runs wrote there. Rows are grouped by day
    first so a run adds a few large files per day rather than one per task and day.
    """
    key = spec.partition_key.name
    (
        curated.repartition(F.col(key))
        .write.mode("append")
        .partitionBy(key)
        .option("compression", "snappy")
        .option("maxRecordsPerFile", MAX_RECORDS_PER_FILE)
        .parquet(path)
    )


def write_quarantine(quarantine: DataFrame, path: str) -> None:
    """Append quarantined rows as snappy Parquet under `<path>/dt=<run date>/`."""
    (
        quarantine.coalesce(1)
        .write.mode("append")
        .partitionBy("dt")
        .option("compression", "snappy")
        .parquet(path)
    )
