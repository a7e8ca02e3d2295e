"""One local SparkSession for the whole session, so the JVM starts once, plus event builders."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T  # noqa: N812

from etl.events_transform import (
    LANDED_AT,
    LINE,
    SOURCE_FILE,
    TableSpec,
    curated_struct_type,
    load_table_spec,
)
from tests.required_tools import use_pinned_java

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO_ROOT / "lake_schema" / "events.json"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    use_pinned_java()
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    # Python UDF workers import etl.events_transform by name, so they need the repo on their
    # path, and this interpreter (the venv's) rather than whatever `python3` is on PATH.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[1]")
        .appName("etl-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        # Whole-stage code generation compiles Java for every new plan, which on test-sized
        # data costs more than it saves (tests/etl: 36-41 s with it, 34 s without); it changes
        # how a plan executes, not its results.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        # A short-lived test JVM spends most of its time compiling; C1-only JIT and the serial
        # collector roughly halve the first query's latency on a small shared machine.
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dderby.system.home={warehouse} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        )
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spec() -> TableSpec:
    return load_table_spec(SCHEMA_FILE)


@pytest.fixture(scope="session")
def firehose_schema(spec: TableSpec) -> T.StructType:
    """What Firehose's Parquet conversion writes: the schema's columns, without dt."""
    return T.StructType(
        [
            T.StructField(f.name, f.dataType, nullable=True)
            for f in curated_struct_type(spec).fields
            if f.name != spec.partition_key.name
        ]
    )


def _event(**overrides: Any) -> dict[str, Any]:
    """A valid event as Python values; override any field, or set it to None to drop it."""
    row: dict[str, Any] = {
        "event_id": "e-default",
        "event_type": "page_view",
        "event_time": utc("2026-11-20T10:00:00+00:00"),
        "user_id": "u-1",
        "session_id": "s-1",
        "device": "web",
        "country": "DE",
        "price": None,
        "quantity": None,
        "properties": {"page": "/home"},
        "ingested_at": utc("2026-11-20T10:00:05+00:00"),
    }
    row.update(overrides)
    return row


def _event_line(**overrides: Any) -> str:
    """One landing NDJSON line for `_event(**overrides)`, with times as ISO-8601 text."""
    row = _event(**overrides)
    return json.dumps(
        {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in row.items()
            if value is not None
        }
    )


@pytest.fixture(scope="session")
def event() -> Callable[..., dict[str, Any]]:
    return _event


@pytest.fixture(scope="session")
def event_line() -> Callable[..., str]:
    return _event_line


@pytest.fixture(scope="session")
def make_firehose(
    spark: SparkSession, firehose_schema: T.StructType
) -> Callable[[list[dict[str, Any]]], DataFrame]:
    def build(rows: list[dict[str, Any]]) -> DataFrame:
        names = firehose_schema.fieldNames()
        return spark.createDataFrame(
            [tuple(r.get(n) for n in names) for r in rows], firehose_schema
        )

    return build


LANDING_FILE = "s3://raw/landing/events/dt=2026-11-21/backfill-1.json.gz"
LANDED = utc("2026-11-21T12:00:00+00:00")


@pytest.fixture(scope="session")
def make_landing(spark: SparkSession) -> Callable[[list[str]], DataFrame]:
    schema = T.StructType(
        [
            T.StructField(LINE, T.StringType()),
            T.StructField(SOURCE_FILE, T.StringType()),
            T.StructField(LANDED_AT, T.TimestampType()),
        ]
    )

    def build(lines: list[str]) -> DataFrame:
        return spark.createDataFrame([(line, LANDING_FILE, LANDED) for line in lines], schema)

    return build
