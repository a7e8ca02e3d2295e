"""Decoding one unvalidated landing line: plain Python, no Spark needed."""

from __future__ import annotations

import pytest

from etl.events_transform import INVALID_FIELDS, TYPE_ERRORS, decode_landing_line

COLUMNS = (
    ("event_id", "string"),
    ("event_time", "timestamp"),
    ("price", "double"),
    ("quantity", "int"),
    ("properties", "map<string,string>"),
)
ALL_NAMES = [name for name, _ in COLUMNS]


def test_well_typed_line_decodes_without_errors() -> None:
    line = (
        '{"event_id": "e-1", "event_time": "2026-11-20T10:00:00Z", "price": 3,'
        ' "quantity": 2, "properties": {"k": "v", "empty": null}, "unknown": [1]}'
    )
    decoded = decode_landing_line(line, COLUMNS)
    assert decoded == {
        "event_id": "e-1",
        "event_time": "2026-11-20T10:00:00Z",
        "price": 3.0,
        "quantity": 2,
        "properties": {"k": "v", "empty": None},
        TYPE_ERRORS: [],
        INVALID_FIELDS: [],
    }
    assert isinstance(decoded["price"], float)


def test_absent_and_null_fields_are_missing_not_errors() -> None:
    decoded = decode_landing_line('{"event_id": null}', COLUMNS)
    assert all(decoded[name] is None for name in ALL_NAMES)
    assert decoded[TYPE_ERRORS] == []
    assert decoded[INVALID_FIELDS] == []


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("event_id", "123", "event_id: expected string, got JSON integer"),
        ("event_id", '{"a": 1}', "event_id: expected string, got JSON object"),
        ("event_time", "1732100000", "event_time: expected timestamp, got JSON integer"),
        ("price", '"9.99"', "price: expected double, got JSON string"),
        ("price", "true", "price: expected double, got JSON boolean"),
        ("price", "1e400", "price: number is out of the double range"),
        ("quantity", "2.5", "quantity: expected int, got JSON number"),
        ("quantity", '"2"', "quantity: expected int, got JSON string"),
        ("quantity", "3000000000", "quantity: 3000000000 is outside the int range"),
        ("properties", '["a"]', "properties: expected map<string,string>, got JSON array"),
        ("properties", '{"n": 1}', "properties: values must be strings (n: got JSON integer)"),
    ],
)
def test_mistyped_field_is_reported_by_name(field: str, value: str, error: str) -> None:
    decoded = decode_landing_line(f'{{"{field}": {value}}}', COLUMNS)
    assert decoded[field] is None
    assert decoded[TYPE_ERRORS] == [error]
    assert decoded[INVALID_FIELDS] == [field]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ('{"event_id": "e-1",', "line is not valid JSON: Expecting property name"),
        ("not json at all", "line is not valid JSON: Expecting value at char 0"),
        ('{"price": NaN}', "line is not valid JSON: NaN is not allowed in JSON"),
        ("[1, 2]", "line is a JSON array, not an object"),
        ('"just a string"', "line is a JSON string, not an object"),
        ("", "line is empty"),
        ("   ", "line is empty"),
    ],
)
def test_line_that_is_not_a_json_object_fails_as_a_whole(line: str, error: str) -> None:
    decoded = decode_landing_line(line, COLUMNS)
    assert len(decoded[TYPE_ERRORS]) == 1
    assert decoded[TYPE_ERRORS][0].startswith(error)
    # Every field counts as reported, so the required check adds no "missing" noise.
    assert decoded[INVALID_FIELDS] == ALL_NAMES
