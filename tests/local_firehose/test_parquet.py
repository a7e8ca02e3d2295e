from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lake_schema import EVENTS
from local_deploy.firehose.parquet import (
    ConversionError,
    TableSchema,
    UnsupportedColumnTypeError,
)

COLUMNS = [
    {"Name": "id", "Type": "string"},
    {"Name": "n", "Type": "int"},
    {"Name": "big", "Type": "bigint"},
    {"Name": "price", "Type": "double"},
    {"Name": "flag", "Type": "boolean"},
    {"Name": "at", "Type": "timestamp"},
    {"Name": "day", "Type": "date"},
    {"Name": "props", "Type": "map<string,string>"},
]
SCHEMA = TableSchema.from_glue(COLUMNS)
GOOD = {
    "id": "a",
    "n": 3,
    "big": 2**40,
    "price": 2,
    "flag": True,
    "at": "2026-11-20T10:00:00.250Z",
    "day": "2026-11-20",
    "props": {"k": "v"},
}


def line(**changes: object) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def test_a_row_is_typed_by_the_table_columns() -> None:
    row = SCHEMA.row(line())
    assert row["at"] == datetime(2026, 11, 20, 10, 0, 0, 250000, tzinfo=UTC)
    assert row["day"] == date(2026, 11, 20)
    assert row["price"] == 2.0
    assert row["props"] == [("k", "v")]


def test_field_names_match_case_insensitively_and_absent_fields_are_null() -> None:
    row = SCHEMA.row(json.dumps({"ID": "a", "extra": 1}).encode())
    assert row["id"] == "a"
    assert row["n"] is None
    assert "extra" not in row


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        pytest.param(line(n="3"), r"n \(int\): expected an integer", id="int-as-string"),
        pytest.param(line(n=True), r"n \(int\): expected an integer", id="int-as-bool"),
        pytest.param(line(n=2**31), "does not fit in 32 bits", id="int-overflow"),
        pytest.param(line(price="1.0"), "expected a number", id="double-as-string"),
        pytest.param(line(flag=1), "expected true or false", id="boolean-as-int"),
        pytest.param(line(at="yesterday"), "not an ISO 8601 timestamp", id="bad-timestamp"),
        pytest.param(line(day="20/11/2026"), "not an ISO 8601 date", id="bad-date"),
        pytest.param(line(props={"k": 1}), "expected an object of strings", id="bad-map"),
        pytest.param(line(id=5), "expected a string", id="string-as-int"),
        pytest.param(b"[1]", "not a JSON object", id="not-an-object"),
        pytest.param(b"{", "not JSON", id="not-json"),
    ],
)
def test_a_value_that_does_not_fit_fails_its_record_naming_the_column(
    payload: bytes, message: str
) -> None:
    with pytest.raises(ConversionError, match=message):
        SCHEMA.row(payload)


def test_parquet_round_trip_keeps_columns_order_and_types() -> None:
    rows = [SCHEMA.row(line()), SCHEMA.row(line(id="b", props=None))]
    table = pq.read_table(io.BytesIO(SCHEMA.to_parquet(rows)))
    assert table.column_names == [c["Name"] for c in COLUMNS]
    assert table.schema.field("n").type == pa.int32()
    assert table.schema.field("at").type == pa.timestamp("ms", tz="UTC")
    assert table.column("id").to_pylist() == ["a", "b"]
    assert table.column("props").to_pylist() == [[("k", "v")], None]


def test_an_unknown_glue_type_is_an_error_naming_the_column() -> None:
    with pytest.raises(UnsupportedColumnTypeError, match=r"column 'x': Glue type 'struct<a:int>'"):
        TableSchema.from_glue([{"Name": "x", "Type": "struct<a:int>"}])


def test_every_column_of_the_events_table_is_supported() -> None:
    table = TableSchema.from_glue([{"Name": c.name, "Type": c.type} for c in EVENTS.columns])
    assert tuple(c.name for c in table.columns) == EVENTS.column_names
