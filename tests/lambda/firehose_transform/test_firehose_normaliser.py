"""Validation and normalisation of one decoded event (event_normaliser.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from event_normaliser import (
    EventNormaliser,
    Reason,
    RecordRejectedError,
    canonical_field_name,
    format_timestamp,
)
from event_schema import EventSchema, SchemaError, load_event_schema

import lake_schema
from tests.events_testkit import valid_event

ARRIVED = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def normalise(normaliser: EventNormaliser, event: dict[str, Any]) -> dict[str, Any]:
    return normaliser.normalise(event, arrived_at=ARRIVED).fields


def rejection(normaliser: EventNormaliser, event: dict[str, Any]) -> RecordRejectedError:
    with pytest.raises(RecordRejectedError) as caught:
        normaliser.normalise(event, arrived_at=ARRIVED)
    return caught.value


def test_the_lambda_reads_the_same_schema_as_lake_schema() -> None:
    theirs = lake_schema.EVENTS
    ours = load_event_schema(theirs.source_path)
    assert ours.name == theirs.name
    assert ours.schema_version == theirs.schema_version
    assert [(c.name, c.type, c.required, c.allowed) for c in ours.columns] == [
        (c.name, c.type, c.required, c.allowed) for c in theirs.columns
    ]


def test_a_valid_event_comes_out_in_schema_order_with_ingested_at(
    normaliser: EventNormaliser,
) -> None:
    result = normaliser.normalise(valid_event(), arrived_at=ARRIVED)
    assert list(result.fields) == [
        "event_id", "event_type", "event_time", "user_id", "session_id", "device",
        "country", "price", "quantity", "properties", "ingested_at",
    ]  # fmt: skip
    assert result.fields["event_time"] == "2026-11-15T11:59:00.250Z"
    assert result.fields["ingested_at"] == "2026-11-15T12:00:00.000Z"
    assert result.dt == "2026-11-15"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("eventId", "event_id"),
        ("EventId", "event_id"),
        ("eventID", "event_id"),
        ("EVENT_ID", "event_id"),
        ("event-id", "event_id"),
        ("EventType", "event_type"),
        ("sessionId", "session_id"),
        (" user_id ", "user_id"),
    ],
)
def test_field_name_spellings_map_to_the_schema_name(given: str, expected: str) -> None:
    assert canonical_field_name(given) == expected


def test_camel_case_event_is_renamed(normaliser: EventNormaliser) -> None:
    event = {
        "eventId": "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
        "EventType": "Purchase",
        "eventTime": "2026-11-15T13:30:00+02:00",
        "UserId": "u-1",
        "Country": " de ",
        "Device": "IOS",
    }
    fields = normalise(normaliser, event)
    assert fields == {
        "event_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "event_type": "purchase",
        "event_time": "2026-11-15T11:30:00.000Z",
        "user_id": "u-1",
        "device": "ios",
        "country": "DE",
        "ingested_at": "2026-11-15T12:00:00.000Z",
    }


@pytest.mark.parametrize(
    ("event_time", "expected", "dt"),
    [
        ("2026-11-15T11:00:00Z", "2026-11-15T11:00:00.000Z", "2026-11-15"),
        ("2026-11-15T01:30:00+05:30", "2026-11-14T20:00:00.000Z", "2026-11-14"),
        ("2026-11-14T22:00:00-03:00", "2026-11-15T01:00:00.000Z", "2026-11-15"),
        ("2026-11-15 11:00:00.123456+00:00", "2026-11-15T11:00:00.123Z", "2026-11-15"),
        (1_794_740_400, "2026-11-15T11:00:00.000Z", "2026-11-15"),
        (1_794_740_400.5, "2026-11-15T11:00:00.500Z", "2026-11-15"),
        (1_794_740_400_250, "2026-11-15T11:00:00.250Z", "2026-11-15"),
        ("1794740400", "2026-11-15T11:00:00.000Z", "2026-11-15"),
        ("1794740400250", "2026-11-15T11:00:00.250Z", "2026-11-15"),
    ],
)
def test_timestamps_become_utc_iso_with_z_and_drive_dt(
    normaliser: EventNormaliser, event_time: object, expected: str, dt: str
) -> None:
    result = normaliser.normalise(valid_event(event_time=event_time), arrived_at=ARRIVED)
    assert result.fields["event_time"] == expected
    assert result.dt == dt


def test_dt_comes_from_event_time_not_arrival(normaliser: EventNormaliser) -> None:
    late = valid_event(event_time="2026-11-12T23:59:59Z")
    assert normaliser.normalise(late, arrived_at=ARRIVED).dt == "2026-11-12"


@pytest.mark.parametrize(
    ("overrides", "column", "expected"),
    [
        ({"price": "19.99"}, "price", 19.99),
        ({"price": 20}, "price", 20.0),
        ({"price": " 1e2 "}, "price", 100.0),
        ({"quantity": "3"}, "quantity", 3),
        ({"quantity": 3.0}, "quantity", 3),
        ({"quantity": "3.0"}, "quantity", 3),
        ({"user_id": 12345}, "user_id", "12345"),
        ({"country": "gb"}, "country", "GB"),
        ({"device": " Android "}, "device", "android"),
        ({"properties": {"a": 1, "b": True, "c": "x", "d": 1.5}}, "properties",
         {"a": "1", "b": "true", "c": "x", "d": "1.5"}),
    ],
)  # fmt: skip
def test_lossless_casts(
    normaliser: EventNormaliser, overrides: dict[str, Any], column: str, expected: object
) -> None:
    assert normalise(normaliser, valid_event(**overrides))[column] == expected


@pytest.mark.parametrize("empty", [None, "", "   "])
@pytest.mark.parametrize("column", ["session_id", "device", "country", "price", "properties"])
def test_null_or_blank_optional_fields_are_absent(
    normaliser: EventNormaliser, column: str, empty: object
) -> None:
    assert column not in normalise(normaliser, valid_event(**{column: empty}))


def test_unknown_scalar_fields_move_into_properties(normaliser: EventNormaliser) -> None:
    fields = normalise(
        normaliser,
        valid_event(appVersion="5.12.0", retries=2, beta=False, ratio=0.5, gone=None),
    )
    assert fields["properties"] == {
        "product_id": "p-00001",
        "appVersion": "5.12.0",
        "retries": "2",
        "beta": "false",
        "ratio": "0.5",
    }
    assert "appVersion" not in fields
    assert "gone" not in fields


def test_unknown_fields_create_properties_when_absent(normaliser: EventNormaliser) -> None:
    fields = normalise(normaliser, valid_event(properties=..., referrer="newsletter"))
    assert fields["properties"] == {"referrer": "newsletter"}
    assert list(fields)[-2:] == ["properties", "ingested_at"]


def test_producer_ingested_at_is_replaced_by_arrival_time(normaliser: EventNormaliser) -> None:
    fields = normalise(normaliser, valid_event(ingested_at="2020-01-01T00:00:00Z"))
    assert fields["ingested_at"] == "2026-11-15T12:00:00.000Z"


@pytest.mark.parametrize(
    ("overrides", "reason", "mentions"),
    [
        ({"event_id": ...}, Reason.MISSING_FIELD, "event_id"),
        ({"event_type": None}, Reason.MISSING_FIELD, "event_type"),
        ({"event_time": ...}, Reason.MISSING_FIELD, "event_time"),
        ({"user_id": ""}, Reason.EMPTY_FIELD, "user_id"),
        ({"user_id": "  "}, Reason.EMPTY_FIELD, "user_id"),
        ({"event_id": "not-a-uuid"}, Reason.INVALID_VALUE, "event_id"),
        ({"event_id": 42}, Reason.INVALID_VALUE, "event_id"),
        ({"event_type": "click"}, Reason.INVALID_VALUE, "event_type"),
        ({"device": "tv"}, Reason.INVALID_VALUE, "device"),
        ({"country": "USA"}, Reason.INVALID_VALUE, "country"),
        ({"country": "1A"}, Reason.INVALID_VALUE, "country"),
        ({"user_id": True}, Reason.WRONG_TYPE, "user_id"),
        ({"user_id": {"id": 1}}, Reason.WRONG_TYPE, "user_id"),
        ({"price": "cheap"}, Reason.WRONG_TYPE, "price"),
        ({"price": [1]}, Reason.WRONG_TYPE, "price"),
        ({"price": True}, Reason.WRONG_TYPE, "price"),
        ({"price": "NaN"}, Reason.WRONG_TYPE, "price"),
        ({"price": 2**60}, Reason.INVALID_VALUE, "price"),
        ({"price": "1e400"}, Reason.INVALID_VALUE, "price"),
        ({"quantity": 2.5}, Reason.INVALID_VALUE, "quantity"),
        ({"quantity": "2.5"}, Reason.INVALID_VALUE, "quantity"),
        ({"quantity": 2**31}, Reason.INVALID_VALUE, "quantity"),
        ({"quantity": "two"}, Reason.WRONG_TYPE, "quantity"),
        ({"properties": "a=b"}, Reason.WRONG_TYPE, "properties"),
        ({"properties": {"a": {"b": "c"}}}, Reason.WRONG_TYPE, "properties.a"),
        ({"properties": {"a": None}}, Reason.WRONG_TYPE, "properties.a"),
        ({"event_time": "yesterday"}, Reason.INVALID_VALUE, "event_time"),
        ({"event_time": "2026-11-15T11:00:00"}, Reason.INVALID_VALUE, "no UTC offset"),
        ({"event_time": "2026-13-45T25:61:00Z"}, Reason.INVALID_VALUE, "event_time"),
        ({"event_time": True}, Reason.WRONG_TYPE, "event_time"),
        ({"event_time": [2026]}, Reason.WRONG_TYPE, "event_time"),
        ({"event_time": 10**30}, Reason.INVALID_VALUE, "out of range"),
        ({"event_time": "1999-12-31T23:59:59Z"}, Reason.IMPLAUSIBLE_TIME, "event_time"),
        ({"event_time": "2026-11-16T12:00:01Z"}, Reason.IMPLAUSIBLE_TIME, "after arrival"),
        ({"extra": {"nested": [1, 2]}}, Reason.UNKNOWN_FIELD, "extra"),
        ({"extra": [1]}, Reason.UNKNOWN_FIELD, "extra"),
        ({"eventId": "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}, Reason.DUPLICATE_FIELD, "eventId"),
        ({"product_id": "p-2"}, Reason.DUPLICATE_FIELD, "product_id"),
    ],
)
def test_invalid_events_are_rejected_with_reason_and_field(
    normaliser: EventNormaliser, overrides: dict[str, Any], reason: Reason, mentions: str
) -> None:
    rejected = rejection(normaliser, valid_event(**overrides))
    assert rejected.reason is reason
    assert mentions in rejected.detail


def test_rejection_detail_truncates_long_values(normaliser: EventNormaliser) -> None:
    rejected = rejection(normaliser, valid_event(country="X" * 10_000))
    assert len(rejected.detail) < 200


def test_format_timestamp_truncates_to_milliseconds() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678_999, tzinfo=UTC)
    assert format_timestamp(moment) == "2026-01-02T03:04:05.678Z"


def test_schema_without_event_time_is_refused() -> None:
    schema = EventSchema(name="events", schema_version=1, columns=())
    with pytest.raises(ValueError, match="event_time"):
        EventNormaliser(schema)


def test_missing_schema_file_names_the_path_and_the_fix(tmp_path) -> None:
    missing = tmp_path / "events.json"
    with pytest.raises(SchemaError, match="EVENTS_SCHEMA_PATH") as caught:
        load_event_schema(missing)
    assert str(missing) in str(caught.value)


def test_schema_with_an_unsupported_type_is_refused(tmp_path) -> None:
    path = tmp_path / "events.json"
    path.write_text(
        '{"name": "events", "schema_version": 2, "columns": ['
        '{"name": "tags", "type": "array<string>", "required": false, "description": ""}]}'
    )
    with pytest.raises(SchemaError, match=r"tags \(array<string>\)"):
        load_event_schema(path)
