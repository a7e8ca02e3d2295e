"""A local Athena engine: Trino SQL transpiled by sqlglot, run by DuckDB over the emulated S3.

Nothing here knows moto. The caller hands in the Glue table lookup, an object store
(:class:`ObjectStore`) and the query's clock; ``moto_cfn_models.athena`` adapts moto's Glue and
S3 backends and wires the engine into StartQueryExecution.

How a query runs:

* The SQL is parsed as Trino (Athena engine v3) and rewritten before it is written as DuckDB:
  each table becomes a view over a ``pyarrow.dataset`` of the table's Parquet files, laid out
  as the Glue table says (location, columns and types, ``dt``-style Hive partitions, partition
  projection's date range); ``current_date`` and friends become literals of the query's start
  time (so a pinned clock pins them, and partition filters on them are constants that DuckDB
  pushes into the dataset scan, which skips the other partitions' files); ``date_diff``
  becomes DuckDB's ``date_sub`` (whole units elapsed, as in Trino, where DuckDB's ``date_diff``
  counts unit boundaries crossed); and DuckDB runs with ``integer_division`` on, so ``7 / 2``
  is 3 as in Trino.
* ``UNLOAD (query) TO 's3://...' WITH (format = 'PARQUET', ...)`` does not parse in sqlglot;
  it is rewritten to DuckDB's ``COPY (query) TO <staging folder> (FORMAT PARQUET, COMPRESSION
  snappy)`` and the files are then uploaded to the target, which must be empty, as in Athena.
* DuckDB autoloads and installs no extension (nothing is downloaded); objects are read through
  a pyarrow file system over :class:`ObjectStore`, which counts the bytes read: that count is
  the query's DataScannedInBytes.

Anything the engine cannot run faithfully fails with :class:`QueryFailedError`, whose reason names
the construct, never with a wrong answer.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from moto_cfn_models import (
    athena_functions,  # noqa: F401 - registers the functions
    athena_sql,
)
from moto_cfn_models import athena_types as ty
from moto_cfn_models.athena_sql import (
    RUNTIME_ERROR,
    RUNTIME_REFUSAL,
    Clock,
    SqlError,
    Translator,
    parse,
)
from moto_cfn_models.athena_types import T, format_value

# Athena's own reasons, as its StateChangeReason reads them.
BYTES_SCANNED_LIMIT_REASON = "Query cancelled! : Bytes scanned limit was exceeded"
_PATH_EXISTS = "HIVE_PATH_ALREADY_EXISTS"
_NOT_SUPPORTED = "NOT_SUPPORTED"
_SYNTAX_ERROR = "SYNTAX_ERROR"

_DDL_STATEMENT = re.compile(r"^\s*(CREATE|DROP)\s+(DATABASE|SCHEMA)\b", re.IGNORECASE)
_LEADING_COMMENTS = re.compile(r"^(\s*(--[^\n]*(\n|$)|/\*.*?\*/))*\s*", re.DOTALL)
_UNLOAD = re.compile(
    r"^UNLOAD\s*\((?P<query>.*)\)\s*TO\s*'(?P<target>[^']*)'\s*WITH\s*\((?P<options>.*)\)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_UNLOAD_OPTION = re.compile(r"(\w+)\s*=\s*(ARRAY\s*\[[^\]]*\]|'[^']*')", re.IGNORECASE)
_GLUE_TO_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "varchar": pa.string(),
    "char": pa.string(),
    "boolean": pa.bool_(),
    "tinyint": pa.int8(),
    "smallint": pa.int16(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "date": pa.date32(),
    "binary": pa.binary(),
}
# JSON Lines tables, as the Glue console and Athena's DDL name their SerDes.
_JSON_SERDES = frozenset(
    {"org.openx.data.jsonserde.JsonSerDe", "org.apache.hive.hcatalog.data.JsonSerDe"}
)
_MAP_OF = re.compile(r"^map<\s*(\w+)\s*,\s*(\w+)\s*>$")
_ARRAY_OF = re.compile(r"^array<\s*(\w+)\s*>$")
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")
# Projection's date formats (Java DateTimeFormatter letters) and their strptime equivalents.
_JAVA_DATE_PATTERN = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


class QueryFailedError(Exception):
    """The query fails as Athena would: ``reason`` is the StateChangeReason."""

    def __init__(
        self,
        reason: str,
        *,
        category: int = 2,
        error_type: int = 1006,
        construct: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        #: For a refusal (the local engine cannot run the query as Athena does): what it refuses.
        self.construct = construct
        # AthenaError: category 1 system, 2 user, 3 other; type 1006 "user error".
        self.category = category
        self.error_type = error_type
        #: Bytes read before the query failed (Athena reports them for a cancelled scan).
        self.data_scanned_bytes = 0


class ObjectStore(Protocol):
    """The emulated S3, as the engine needs it."""

    def list_objects(self, bucket: str, prefix: str) -> list[tuple[str, int]]:
        """(key, size) of every object under ``prefix``."""
        ...

    def get_object(self, bucket: str, key: str) -> bytes:
        """The object's bytes."""
        ...

    def put_object(self, bucket: str, key: str, body: bytes, encryption: Mapping[str, str]) -> None:
        """Store ``body``; ``encryption`` is Athena's EncryptionConfiguration (may be empty)."""
        ...


TableLookup = Callable[[str, str], Mapping[str, Any] | None]
"""(database, table) -> the Glue table (GetTable's ``Table``), or None when it does not exist."""


@dataclass
class QueryRequest:
    sql: str
    database: str | None
    #: The query's start time, UTC (naive): what current_date and now() return.
    started_at: datetime
    #: Where results go: ``s3://bucket/prefix/`` (the execution's file names are added here).
    output_location: str | None
    encryption: Mapping[str, str] = field(default_factory=dict)
    bytes_scanned_cutoff: int | None = None
    execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class ColumnInfo:
    name: str
    athena_type: str
    precision: int = 0
    scale: int = 0

    def as_api(self) -> dict[str, Any]:
        """The ColumnInfo entry of GetQueryResults."""
        return {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": self.name,
            "Label": self.name,
            "Type": self.athena_type,
            "Precision": self.precision,
            "Scale": self.scale,
            "Nullable": "UNKNOWN",
            "CaseSensitive": self.athena_type == "varchar",
        }


@dataclass
class QueryOutcome:
    statement_type: str  # DML or DDL
    columns: list[ColumnInfo]
    #: Each value as Athena prints it (None for NULL).
    rows: list[list[str | None]]
    data_scanned_bytes: int
    engine_millis: int
    #: Objects written: the results CSV, or the UNLOAD files and their manifest.
    written: list[str] = field(default_factory=list)
    #: For UNLOAD: the data files' URIs.
    unloaded: list[str] = field(default_factory=list)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> (``bucket``, ``a/b``)."""
    if not uri.startswith("s3://"):
        raise QueryFailedError(f"{_SYNTAX_ERROR}: {uri!r} is not an s3:// location")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


# --- reading objects --------------------------------------------------------------------------


class ScanLimitExceededError(OSError):
    """Raised inside a scan once the query has read more than the workgroup's cutoff."""


@dataclass
class ScanBudget:
    """The bytes one query has read, against the workgroup's BytesScannedCutoffPerQuery."""

    cutoff: int | None
    scanned: int = 0

    @property
    def exceeded(self) -> bool:
        return self.cutoff is not None and self.scanned > self.cutoff

    def add(self, count: int) -> None:
        """Count ``count`` bytes read; stops the scan (raises) once over the cutoff."""
        self.scanned += count
        if self.exceeded:
            raise ScanLimitExceededError(BYTES_SCANNED_LIMIT_REASON)


class _CountingReader(io.BytesIO):
    def __init__(self, data: bytes, budget: ScanBudget) -> None:
        super().__init__(data)
        self._budget = budget

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self._budget.add(len(chunk))
        return chunk


class ObjectStoreFileSystem(pafs.FileSystemHandler):
    """A read-only pyarrow file system (paths ``bucket/key``) over an :class:`ObjectStore`;
    it counts every byte read against the query's :class:`ScanBudget`."""

    def __init__(self, store: ObjectStore, sizes: Mapping[str, int], budget: ScanBudget) -> None:
        self._store = store
        self._sizes = dict(sizes)
        self._budget = budget

    def get_type_name(self) -> str:
        return "athena-engine-s3"

    def equals(self, other: object) -> bool:
        return other is self

    def normalize_path(self, path: str) -> str:
        return path

    def get_file_info(self, paths: Sequence[str]) -> list[pafs.FileInfo]:
        return [
            pafs.FileInfo(path, pafs.FileType.File, size=self._sizes[path])
            if path in self._sizes
            else pafs.FileInfo(path, pafs.FileType.NotFound)
            for path in paths
        ]

    def get_file_info_selector(self, selector: pafs.FileSelector) -> list[pafs.FileInfo]:
        base = selector.base_dir.rstrip("/") + "/"
        return [
            pafs.FileInfo(path, pafs.FileType.File, size=size)
            for path, size in self._sizes.items()
            if path.startswith(base)
        ]

    def open_input_file(self, path: str) -> pa.NativeFile:
        bucket, _, key = path.partition("/")
        return pa.PythonFile(
            _CountingReader(self._store.get_object(bucket, key), self._budget), mode="r"
        )

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return self.open_input_file(path)

    def _read_only(self, *args: object, **kwargs: object) -> None:
        raise OSError("the local Athena engine reads the lake; it does not write through pyarrow")

    create_dir = delete_dir = delete_dir_contents = delete_root_dir_contents = _read_only
    delete_file = move = copy_file = open_output_stream = open_append_stream = _read_only


# --- the Glue table ---------------------------------------------------------------------------


def arrow_type(glue_type: str, column: str) -> pa.DataType:
    """The Arrow type of a Glue column type; an unknown type fails naming the column."""
    kind = glue_type.replace(" ", "").lower()
    if kind in _GLUE_TO_ARROW:
        return _GLUE_TO_ARROW[kind]
    if kind == "timestamp":
        # Microseconds: Spark writes them (the ETL job), Firehose writes ms; both read losslessly.
        return pa.timestamp("us", tz="UTC")
    if match := _DECIMAL.match(kind):
        return pa.decimal128(int(match[1]), int(match[2]))
    if match := _MAP_OF.match(kind):
        return pa.map_(arrow_type(match[1], column), arrow_type(match[2], column))
    if match := _ARRAY_OF.match(kind):
        return pa.list_(arrow_type(match[1], column))
    if kind.startswith("struct<") and kind.endswith(">"):
        fields = []
        for member in _top_level_split(kind[len("struct<") : -1]):
            name, separator, member_type = member.partition(":")
            if not separator or not name:
                break
            fields.append(pa.field(name, arrow_type(member_type, f"{column}.{name}")))
        else:
            if fields:
                return pa.struct(fields)
    raise QueryFailedError(
        f"{_NOT_SUPPORTED}: column {column!r} has Glue type {glue_type!r}, "
        "which the local engine cannot read"
    )


def _top_level_split(text: str) -> list[str]:
    """``a:int,b:struct<c:int,d:string>`` -> its members, not splitting inside ``<...>``."""
    members, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            members.append(text[start:index])
            start = index + 1
    members.append(text[start:])
    return members


def _strptime_pattern(java_format: str) -> str:
    pattern = java_format
    for java, python in _JAVA_DATE_PATTERN.items():
        pattern = pattern.replace(java, python)
    return pattern


@dataclass(frozen=True)
class LakeTable:
    """A Glue table as the engine lays it out."""

    database: str
    name: str
    location: str
    columns: tuple[tuple[str, str], ...]
    partition_keys: tuple[tuple[str, str], ...]
    parameters: Mapping[str, str]
    #: ``parquet`` or ``json`` (JSON Lines read by a JSON SerDe).
    data_format: str = "parquet"

    @classmethod
    def from_glue(cls, database: str, table: Mapping[str, Any]) -> LakeTable:
        """Build from GetTable's ``Table``; refuses what it cannot lay out faithfully."""
        name = table["Name"]
        descriptor = table.get("StorageDescriptor") or {}
        parameters = dict(table.get("Parameters") or {})
        table_type = str(parameters.get("table_type", "")).upper()
        if table_type in ("ICEBERG", "DELTA", "HUDI"):
            raise QueryFailedError(f"{_NOT_SUPPORTED}: {database}.{name} is a {table_type} table")
        serde = (descriptor.get("SerdeInfo") or {}).get("SerializationLibrary", "")
        classification = parameters.get("classification", "")
        if "parquet" in serde.lower() or classification.lower() == "parquet":
            data_format = "parquet"
        elif serde in _JSON_SERDES:
            data_format = "json"
        else:
            raise QueryFailedError(
                f"{_NOT_SUPPORTED}: {database}.{name} is neither a Parquet nor a JSON table "
                f"(SerDe {serde or 'none'}, classification {classification or 'none'})"
            )
        location = descriptor.get("Location", "")
        partition_keys = tuple((c["Name"], c["Type"]) for c in table.get("PartitionKeys") or [])
        if data_format == "json" and partition_keys:
            raise QueryFailedError(
                f"{_NOT_SUPPORTED}: {database}.{name}: the local engine reads JSON tables "
                "without partition keys only"
            )
        template = parameters.get("storage.location.template")
        hive_layout = (
            location.rstrip("/") + "/" + "".join(f"{key}=${{{key}}}/" for key, _ in partition_keys)
        )
        if template and template.rstrip("/") != hive_layout.rstrip("/"):
            raise QueryFailedError(
                f"{_NOT_SUPPORTED}: {database}.{name}: storage.location.template {template!r} "
                f"is not the Hive layout {hive_layout!r} the local engine reads"
            )
        return cls(
            database=database,
            name=name,
            location=location,
            columns=tuple((c["Name"], c["Type"]) for c in descriptor.get("Columns") or []),
            partition_keys=partition_keys,
            parameters=parameters,
            data_format=data_format,
        )

    def schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(name, arrow_type(kind, name)) for name, kind in self.columns]
            + [pa.field(name, pa.string()) for name, _ in self.partition_keys]
        )

    def _projected(self, key: str, value: str, today: date) -> bool:
        """Whether partition projection lists this value (Athena reads only those folders)."""
        if self.parameters.get("projection.enabled", "").lower() != "true":
            return True
        kind = self.parameters.get(f"projection.{key}.type")
        if kind == "injected":
            return True
        if kind == "enum":
            return value in self.parameters.get(f"projection.{key}.values", "").split(",")
        if kind == "integer":
            low, _, high = self.parameters.get(f"projection.{key}.range", "").partition(",")
            return value.lstrip("-").isdigit() and int(low) <= int(value) <= int(high)
        if kind == "date":
            pattern = _strptime_pattern(self.parameters.get(f"projection.{key}.format", ""))
            try:
                day = datetime.strptime(value, pattern).date()
            except ValueError:
                return False
            low, _, high = self.parameters.get(f"projection.{key}.range", "").partition(",")
            return (
                _projection_bound(low, pattern, today)
                <= day
                <= _projection_bound(high, pattern, today)
            )
        raise QueryFailedError(
            f"{_NOT_SUPPORTED}: {self.database}.{self.name}: partition projection type "
            f"{kind!r} of {key!r}"
        )

    def files(self, store: ObjectStore, today: date) -> dict[str, int]:
        """``bucket/key`` -> size of each data file the table holds, partitions as projected."""
        bucket, prefix = split_s3_uri(self.location)
        prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        keys = [name for name, _ in self.partition_keys]
        found: dict[str, int] = {}
        for key, size in store.list_objects(bucket, prefix):
            relative = key[len(prefix) :].split("/")
            name = relative[-1]
            if not name or name.startswith(("_", ".")) or name.endswith("_$folder$"):
                continue  # markers and folders, as Hive skips them
            folders = relative[:-1]
            if keys:
                values = dict(part.partition("=")[::2] for part in folders if "=" in part)
                if len(folders) != len(keys) or set(values) != set(keys):
                    continue
                if not all(self._projected(k, values[k], today) for k in keys):
                    continue
            elif folders and self.data_format != "json":
                continue
            found[f"{bucket}/{key}"] = size
        return found


def _projection_bound(text: str, pattern: str, today: date) -> date:
    text = text.strip()
    match = re.fullmatch(r"NOW(?:\s*([+-])\s*(\d+)\s*DAYS?)?", text, re.IGNORECASE)
    if match:
        offset = int(match[2] or 0) * (-1 if match[1] == "-" else 1)
        return today + timedelta(days=offset)
    return datetime.strptime(text, pattern).date()


# --- SQL --------------------------------------------------------------------------------------


def trino_type(glue_type: str, column: str) -> T:
    """The Trino type Athena reads a Glue column type as (the Arrow type is arrow_type's)."""
    kind = glue_type.replace(" ", "").lower()
    simple = {
        "string": ty.VARCHAR,
        "varchar": ty.VARCHAR,
        "char": ty.VARCHAR,
        "boolean": ty.BOOLEAN,
        "tinyint": ty.TINYINT,
        "smallint": ty.SMALLINT,
        "int": ty.INTEGER,
        "integer": ty.INTEGER,
        "bigint": ty.BIGINT,
        "float": ty.REAL,
        "double": ty.DOUBLE,
        "date": ty.DATE,
        "binary": ty.VARBINARY,
        "timestamp": ty.timestamp(3),
    }
    if kind in simple:
        return simple[kind]
    if match := _DECIMAL.match(kind):
        return ty.decimal(int(match[1]), int(match[2]))
    if match := _MAP_OF.match(kind):
        return ty.map_of(trino_type(match[1], column), trino_type(match[2], column))
    if match := _ARRAY_OF.match(kind):
        return ty.array(trino_type(match[1], column))
    if kind.startswith("struct<") and kind.endswith(">"):
        fields = []
        for member in _top_level_split(kind[len("struct<") : -1]):
            name, _, member_type = member.partition(":")
            fields.append((name, trino_type(member_type, f"{column}.{name}")))
        return ty.row(fields)
    arrow_type(glue_type, column)  # raises, naming the column
    raise AssertionError(glue_type)


def _query_failed(error: SqlError) -> QueryFailedError:
    return QueryFailedError(error.reason, construct=error.construct)


def _runtime_failure(error: Exception) -> QueryFailedError | None:
    """DuckDB's error() raised by a translated check: Trino's failure, or a refusal."""
    text = str(error)
    if RUNTIME_REFUSAL in text:
        construct, _, why = text.split(RUNTIME_REFUSAL, 1)[1].strip().partition(":")
        return QueryFailedError(
            f"{_NOT_SUPPORTED}: {construct}: the local engine cannot run it here ({why})",
            construct=construct,
        )
    if RUNTIME_ERROR in text:
        return QueryFailedError(text.split(RUNTIME_ERROR, 1)[1].strip().splitlines()[0])
    if "Division by zero" in text:
        return QueryFailedError("DIVIDE_BY_ZERO: Division by zero")
    return None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def column_info(name: str, t: T) -> ColumnInfo:
    """The ColumnInfo entry Athena reports for a result column of Trino type ``t``."""
    if t.kind == "decimal":
        return ColumnInfo(name, "decimal", t.precision, t.scale)
    if t.kind in ("timestamp", "timestamp_tz", "time", "time_tz"):
        return ColumnInfo(name, t.athena_column_type(), precision=t.precision)
    if t.kind == "char":
        return ColumnInfo(name, "char", precision=t.params[0])
    return ColumnInfo(name, t.athena_column_type())


def results_csv(columns: Sequence[ColumnInfo], rows: Sequence[Sequence[str | None]]) -> bytes:
    """Athena's results file: a header, every value double-quoted, NULL as an empty field."""

    def line(values: Sequence[str | None]) -> str:
        return ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in values)

    return ("".join(line(r) + "\n" for r in [[c.name for c in columns], *rows])).encode()


# --- running ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unload:
    query: str
    target: str
    options: dict[str, str]


def _parse_unload(sql: str) -> _Unload | None:
    body = _LEADING_COMMENTS.sub("", sql, count=1)
    if not re.match(r"UNLOAD\b", body, re.IGNORECASE):
        return None
    match = _UNLOAD.match(body)
    if match is None:
        raise QueryFailedError(
            f"{_SYNTAX_ERROR}: UNLOAD must read UNLOAD (query) TO 's3://...' WITH (...)"
        )
    options = {
        key.lower(): value.strip("'") for key, value in _UNLOAD_OPTION.findall(match["options"])
    }
    return _Unload(match["query"], match["target"], options)


class LocalAthenaEngine:
    """Runs one query at a time against the Glue catalog and object store it is given."""

    def __init__(self, lookup_table: TableLookup, store: ObjectStore) -> None:
        self._lookup_table = lookup_table
        self._store = store

    def run(self, request: QueryRequest) -> QueryOutcome:
        """Run ``request``; raises :class:`QueryFailedError` with Athena's reason."""
        started = time.perf_counter()
        if _DDL_STATEMENT.match(_LEADING_COMMENTS.sub("", request.sql, count=1)):
            # moto's backend records CREATE/DROP DATABASE itself.
            return QueryOutcome("DDL", [], [], 0, 0)
        unload = _parse_unload(request.sql)
        if unload is not None:
            self._check_unload(unload)
        tables: dict[tuple[str, str], tuple[str, LakeTable]] = {}
        try:
            tree = parse(unload.query if unload else request.sql)
            translation = Translator(
                lambda database, name: self._table_columns(request, tables, database, name),
                Clock(request.started_at),
            ).statement(tree)
            duck_sql = athena_sql.duck_sql(translation.tree)
        except SqlError as error:
            raise _query_failed(error) from None
        with tempfile.TemporaryDirectory(prefix="athena-engine-") as staging:
            connection = duckdb.connect(
                config={
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                }
            )
            try:
                connection.execute("SET TimeZone = 'UTC'")
                # Trino divides integers as integers (7 / 2 = 3); DuckDB's `/` would give 3.5.
                connection.execute("SET integer_division = true")
                budget = ScanBudget(request.bytes_scanned_cutoff)
                self._register_tables(connection, tables, request, budget)
            except BaseException:
                connection.close()
                raise
            try:
                if unload is not None:
                    staged = Path(staging) / "unload"
                    staged.mkdir()
                    self._execute(
                        connection,
                        f"COPY ({duck_sql}) TO '{staged / 'data.parquet'}' "
                        "(FORMAT PARQUET, COMPRESSION snappy)",
                    )
                    columns, rows = [], []
                else:
                    table = self._select(connection, duck_sql)
                    # Trino folds every identifier to lower case, result columns included.
                    columns = [column_info(name, t) for name, t in translation.columns]
                    values = [
                        [format_value(v, t) for v in table.column(index).to_pylist()]
                        for index, (_, t) in enumerate(translation.columns)
                    ]
                    rows = [list(row) for row in zip(*values, strict=True)] if values else []
            except QueryFailedError:
                if budget.exceeded:  # the scan stopped at the cutoff, as Athena cancels it
                    failure = QueryFailedError(
                        BYTES_SCANNED_LIMIT_REASON, category=2, error_type=1003
                    )
                    failure.data_scanned_bytes = budget.scanned
                    raise failure from None
                raise
            finally:
                connection.close()
            outcome = QueryOutcome(
                "DML", columns, rows, budget.scanned, int((time.perf_counter() - started) * 1000)
            )
            if unload is not None:
                self._upload_unload(unload, Path(staging) / "unload", request, outcome)
            elif request.output_location:
                outcome.written.append(
                    self._write(
                        request,
                        f"{request.execution_id}.csv",
                        results_csv(columns, rows),
                    )
                )
        return outcome

    def _execute(self, connection: duckdb.DuckDBPyConnection, sql: str) -> Any:  # noqa: ANN401
        try:
            return connection.execute(sql)
        except QueryFailedError:
            raise
        except duckdb.Error as error:
            failure = _runtime_failure(error)
            if failure is not None:
                raise failure from None
            reason = f"{_NOT_SUPPORTED}: local engine (DuckDB): {_first_line(error)}"
            raise QueryFailedError(reason) from error

    def _select(self, connection: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
        try:
            return connection.sql(sql).to_arrow_table()
        except QueryFailedError:
            raise
        except duckdb.Error as error:
            failure = _runtime_failure(error)
            if failure is not None:
                raise failure from None
            reason = f"{_NOT_SUPPORTED}: local engine (DuckDB): {_first_line(error)}"
            raise QueryFailedError(reason) from error

    def _table_columns(
        self,
        request: QueryRequest,
        tables: dict[tuple[str, str], tuple[str, LakeTable]],
        database: str | None,
        name: str,
    ) -> tuple[str, str, list[tuple[str, T]]]:
        """A table the query reads: its database, the DuckDB view it is registered as, and its
        columns' Trino types (partition keys are varchar, as the lake's projection declares)."""
        database = database or (request.database or "default").lower()
        if (database, name) not in tables:
            glue_table = self._lookup_table(database, name)
            if glue_table is None:
                raise SqlError(
                    f"{_SYNTAX_ERROR}: Table 'awsdatacatalog.{database}.{name}' does not exist"
                )
            try:
                table = LakeTable.from_glue(database, glue_table)
                table.schema()
            except QueryFailedError as error:
                raise SqlError(error.reason) from None
            tables[(database, name)] = (f"lake_table_{len(tables)}", table)
        view, table = tables[(database, name)]
        columns = [(column.lower(), trino_type(kind, column)) for column, kind in table.columns]
        columns += [(key.lower(), ty.VARCHAR) for key, _ in table.partition_keys]
        return database, view, columns

    def _register_tables(
        self,
        connection: duckdb.DuckDBPyConnection,
        tables: Mapping[tuple[str, str], tuple[str, LakeTable]],
        request: QueryRequest,
        budget: ScanBudget,
    ) -> None:
        for view, table in tables.values():
            files = table.files(self._store, request.started_at.date())
            bucket, prefix = split_s3_uri(table.location)
            if table.data_format == "json":
                connection.register(f"{view}_files", self._json_rows(table, files, budget))
                connection.execute(f'CREATE VIEW "{view}" AS SELECT * FROM "{view}_files"')
                continue
            handler = ObjectStoreFileSystem(self._store, files, budget)
            dataset = ds.dataset(
                sorted(files),
                schema=table.schema(),
                format="parquet",
                filesystem=pafs.PyFileSystem(handler),
                partitioning=ds.partitioning(
                    pa.schema([pa.field(k, pa.string()) for k, _ in table.partition_keys]),
                    flavor="hive",
                )
                if table.partition_keys
                else None,
                partition_base_dir=f"{bucket}/{prefix}".rstrip("/"),
            )
            connection.register(f"{view}_files", dataset)
            # Glue's `timestamp` is Trino's timestamp without time zone (UTC wall time).
            projection = ", ".join(
                f'CAST("{f.name}" AS TIMESTAMP) AS "{f.name}"'
                if pa.types.is_timestamp(f.type)
                else f'"{f.name}"'
                for f in table.schema()
            )
            connection.execute(f'CREATE VIEW "{view}" AS SELECT {projection} FROM "{view}_files"')

    def _json_rows(
        self, table: LakeTable, files: Mapping[str, int], budget: ScanBudget
    ) -> pa.Table:
        """A JSON SerDe table's rows: one JSON object per line, keys matched to the columns
        case-insensitively (the JSON SerDes' default, so ``captureData`` fills ``capturedata``),
        absent keys and unknown ones as the SerDe treats them (NULL, ignored). A line that is not
        a JSON object fails the query, as the SerDe does without ``ignore.malformed.json``."""
        rows = []
        for path in sorted(files):
            bucket, _, key = path.partition("/")
            body = self._store.get_object(bucket, key)
            try:
                budget.add(len(body))
            except ScanLimitExceededError:
                failure = QueryFailedError(BYTES_SCANNED_LIMIT_REASON, category=2, error_type=1003)
                failure.data_scanned_bytes = budget.scanned
                raise failure from None
            for number, line in enumerate(body.decode("utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    document = json.loads(line)
                except ValueError as error:
                    raise QueryFailedError(
                        f"HIVE_BAD_DATA: s3://{path} line {number} is not JSON: {error}"
                    ) from None
                if not isinstance(document, dict):
                    raise QueryFailedError(
                        f"HIVE_BAD_DATA: s3://{path} line {number} is not a JSON object"
                    )
                rows.append(_lower_keys(document))
        try:
            return pa.Table.from_pylist(rows, schema=table.schema())
        except (pa.ArrowException, TypeError, ValueError) as error:
            raise QueryFailedError(
                f"HIVE_BAD_DATA: {table.database}.{table.name}: a JSON value does not fit the "
                f"declared column types: {_first_line(error)}"
            ) from None

    def _check_unload(self, unload: _Unload) -> None:
        fmt = unload.options.get("format", "").upper()
        if fmt != "PARQUET":
            raise QueryFailedError(
                f"{_NOT_SUPPORTED}: UNLOAD format {fmt or '(none)'!r}: the local engine writes "
                "PARQUET only"
            )
        compression = unload.options.get("compression", "SNAPPY").upper()
        if compression != "SNAPPY":
            raise QueryFailedError(
                f"{_NOT_SUPPORTED}: UNLOAD compression {compression!r}: the local engine writes "
                "SNAPPY only"
            )
        extra = set(unload.options) - {"format", "compression"}
        if extra:
            raise QueryFailedError(
                f"{_NOT_SUPPORTED}: UNLOAD option(s) {', '.join(sorted(extra))}: the local "
                "engine supports format and compression only"
            )
        bucket, prefix = split_s3_uri(unload.target)
        if self._store.list_objects(bucket, prefix.rstrip("/") + "/" if prefix else ""):
            raise QueryFailedError(
                f"{_PATH_EXISTS}: Unable to write to the target location, because the location "
                f"is not empty: {unload.target}"
            )

    def _upload_unload(
        self, unload: _Unload, staged: Path, request: QueryRequest, outcome: QueryOutcome
    ) -> None:
        bucket, prefix = split_s3_uri(unload.target)
        prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        # Athena names UNLOAD files <query id>_<uuid>, without a suffix.
        for number, path in enumerate(sorted(p for p in staged.rglob("*") if p.is_file())):
            key = f"{prefix}{request.execution_id}_{number:05d}"
            self._store.put_object(bucket, key, path.read_bytes(), request.encryption)
            outcome.unloaded.append(f"s3://{bucket}/{key}")
        if request.output_location:
            manifest = "".join(f"{uri}\n" for uri in outcome.unloaded).encode()
            outcome.written.append(
                self._write(request, f"{request.execution_id}-manifest.csv", manifest)
            )

    def _write(self, request: QueryRequest, name: str, body: bytes) -> str:
        assert request.output_location is not None
        bucket, prefix = split_s3_uri(request.output_location)
        prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self._store.put_object(bucket, prefix + name, body, request.encryption)
        return f"s3://{bucket}/{prefix}{name}"


def _lower_keys(value: Any) -> Any:  # noqa: ANN401 - any JSON value
    """Object keys in lower case at every depth, as Glue's (lower-case) column names read them."""
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value
