"""The transform reads the same schema file as lake_schema, and rejects one it cannot use."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pyspark.sql import types as T  # noqa: N812

import lake_schema
from etl.events_transform import SchemaError, TableSpec, curated_struct_type, load_table_spec

SCHEMA_FILE = Path(lake_schema.EVENTS.source_path)


def test_spec_agrees_with_lake_schema(spec: TableSpec) -> None:
    assert spec.name == lake_schema.EVENTS.name
    assert spec.schema_version == lake_schema.EVENTS.schema_version
    assert [(c.name, c.type, c.required, c.allowed) for c in spec.columns] == [
        (c.name, c.type, c.required, c.allowed) for c in lake_schema.EVENTS.columns
    ]
    assert spec.partition_key.name == lake_schema.EVENTS.partition_keys[0].name


def test_spec_loads_from_a_dict_as_well_as_a_path(spec: TableSpec) -> None:
    raw = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert load_table_spec(raw) == spec


def test_curated_struct_type_maps_every_schema_type(spec: TableSpec) -> None:
    struct = curated_struct_type(spec)
    assert struct.fieldNames() == [*lake_schema.EVENTS.column_names, "dt"]
    types = {f.name: f.dataType for f in struct.fields}
    assert types["event_id"] == T.StringType()
    assert types["event_time"] == T.TimestampType()
    assert types["price"] == T.DoubleType()
    assert types["quantity"] == T.IntegerType()
    assert types["properties"] == T.MapType(T.StringType(), T.StringType())
    assert types["dt"] == T.StringType()
    nullable = {f.name: f.nullable for f in struct.fields}
    assert nullable["event_id"] is False
    assert nullable["price"] is True


def _schema_with(change) -> dict:
    raw = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    changed = copy.deepcopy(raw)
    change(changed)
    return changed


def _column(raw: dict, name: str) -> dict:
    return next(c for c in raw["columns"] if c["name"] == name)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda raw: _column(raw, "price").update(type="float"),
            "columns[7] ('price'): unsupported type 'float'",
        ),
        (
            lambda raw: _column(raw, "quantity").update(allowed=["1"]),
            "'quantity'): 'allowed' is only supported on string columns",
        ),
        (
            lambda raw: raw["columns"].remove(_column(raw, "event_time")),
            "the transform needs a column 'event_time'",
        ),
        (
            lambda raw: _column(raw, "ingested_at").update(required=False),
            "column 'ingested_at' must be a required timestamp",
        ),
        (lambda raw: raw.pop("partition_keys"), "missing top-level key 'partition_keys'"),
        (
            lambda raw: raw["columns"].append(dict(_column(raw, "device"))),
            "duplicate column names ['device']",
        ),
        (
            lambda raw: raw["partition_keys"][0].update(type="int"),
            "partition_keys must be exactly one string column",
        ),
        (lambda raw: raw["columns"][0].pop("type"), "columns[0]: missing key 'type'"),
    ],
)
def test_unusable_schema_is_rejected_with_the_field_named(change, message: str) -> None:
    with pytest.raises(SchemaError, match=None) as caught:
        load_table_spec(_schema_with(change))
    assert message in str(caught.value)


def test_missing_or_broken_schema_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"nope\.json: schema file not found"):
        load_table_spec(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"broken\.json: not valid JSON"):
        load_table_spec(broken)
