"""The Firehose batch contract (firehose_contract.py): shapes in, one result per record out."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from event_normaliser import EventNormaliser, Reason
from firehose_contract import (
    DEFAULT_MAX_RECORD_BYTES,
    BatchOutcome,
    MalformedEventError,
    transform_batch,
)

from tests.events_testkit import ARRIVAL_MS, as_json, b64, firehose_event, valid_event


def run(normaliser: EventNormaliser, event: Any, **kwargs: Any) -> BatchOutcome:
    return transform_batch(event, normaliser=normaliser, **kwargs)


def only_failure_reason(outcome: BatchOutcome) -> Reason:
    assert len(outcome.failures) == 1
    return outcome.failures[0].reason


def decoded(record: dict[str, Any], key: str = "data") -> dict[str, Any]:
    text = base64.b64decode(record[key]).decode("utf-8")
    assert text.endswith("\n"), "one JSON object per line"
    assert text.count("\n") == 1, "one JSON object per line"
    return json.loads(text)


def test_ok_record_carries_normalised_json_and_partition_key(
    normaliser: EventNormaliser,
) -> None:
    event = firehose_event([as_json(valid_event(event_time="2026-11-14T23:30:00-02:00"))])
    outcome = run(normaliser, event)
    [record] = outcome.response["records"]
    assert record["recordId"] == event["records"][0]["recordId"]
    assert record["result"] == "Ok"
    assert record["metadata"] == {"partitionKeys": {"dt": "2026-11-15"}}
    body = decoded(record)
    assert body["event_time"] == "2026-11-15T01:30:00.000Z"
    assert body["ingested_at"] == "2026-11-15T12:00:00.000Z"
    assert outcome.ok == 1
    assert outcome.failures == []


def test_kinesis_stream_source_shape(normaliser: EventNormaliser) -> None:
    event = firehose_event([as_json(valid_event()), "{"], source="kinesis")
    records = run(normaliser, event).response["records"]
    assert [r["result"] for r in records] == ["Ok", "ProcessingFailed"]
    assert all("data" in r and "kafkaRecordValue" not in r for r in records)


def test_msk_source_answers_in_kafka_record_value(normaliser: EventNormaliser) -> None:
    event = firehose_event([as_json(valid_event()), "not json"], source="msk")
    outcome = run(normaliser, event)
    ok, failed = outcome.response["records"]
    assert ok["result"] == "Ok"
    assert "data" not in ok
    assert decoded(ok, "kafkaRecordValue")["user_id"] == "user-0000042"
    assert ok["metadata"] == {"partitionKeys": {"dt": "2026-11-15"}}
    assert failed["result"] == "ProcessingFailed"
    assert failed["kafkaRecordValue"] == event["records"][1]["kafkaRecordValue"]


def test_msk_record_without_payload_fails_alone(normaliser: EventNormaliser) -> None:
    event = firehose_event([as_json(valid_event())] * 2, source="msk")
    del event["records"][1]["kafkaRecordValue"]
    outcome = run(normaliser, event)
    assert [r["result"] for r in outcome.response["records"]] == ["Ok", "ProcessingFailed"]
    assert outcome.response["records"][1]["kafkaRecordValue"] == ""
    assert only_failure_reason(outcome) is Reason.MISSING_PAYLOAD


MALFORMED_PAYLOADS: dict[str, tuple[bytes | str, Reason]] = {
    "empty": (b"", Reason.INVALID_JSON),
    "whitespace": (b"  \n ", Reason.INVALID_JSON),
    "truncated": (as_json(valid_event())[:40], Reason.INVALID_JSON),
    "trailing garbage": (as_json(valid_event()) + "}", Reason.INVALID_JSON),
    "two objects": (as_json(valid_event()) + "\n" + as_json(valid_event()), Reason.INVALID_JSON),
    "single quotes": ("{'event_id': 1}", Reason.INVALID_JSON),
    "NaN literal": ('{"price": NaN}', Reason.INVALID_JSON),
    "Infinity literal": ('{"price": Infinity}', Reason.INVALID_JSON),
    "duplicate key": ('{"user_id": "a", "user_id": "b"}', Reason.INVALID_JSON),
    "deep nesting": ("[" * 20_000 + "]" * 20_000, Reason.INVALID_JSON),
    "huge integer": ('{"quantity": ' + "9" * 5000 + "}", Reason.INVALID_JSON),
    "array": (json.dumps([valid_event()]), Reason.NOT_AN_OBJECT),
    "string": ('"hello"', Reason.NOT_AN_OBJECT),
    "number": ("42", Reason.NOT_AN_OBJECT),
    "null": ("null", Reason.NOT_AN_OBJECT),
    "latin-1 bytes": (b'{"user_id": "caf\xe9"}', Reason.NOT_UTF8),
    "binary": (bytes(range(256)), Reason.NOT_UTF8),
    "empty object": ("{}", Reason.MISSING_FIELD),
    "nested garbage": (
        json.dumps({**valid_event(), "junk": {"a": [{"b": [None, {"c": []}]}]}}),
        Reason.UNKNOWN_FIELD,
    ),
    "wrong types": (json.dumps(valid_event(quantity=[1, 2])), Reason.WRONG_TYPE),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_PAYLOADS))
def test_malformed_payload_fails_only_its_record_and_is_returned_unchanged(
    normaliser: EventNormaliser, name: str
) -> None:
    payload, reason = MALFORMED_PAYLOADS[name]
    event = firehose_event([as_json(valid_event()), payload, as_json(valid_event())])
    outcome = run(normaliser, event)
    results = outcome.response["records"]
    assert [r["result"] for r in results] == ["Ok", "ProcessingFailed", "Ok"]
    assert results[1]["data"] == event["records"][1]["data"], "original bytes kept for errors/"
    assert "metadata" not in results[1]
    assert only_failure_reason(outcome) is reason
    assert outcome.failures[0].record_id == event["records"][1]["recordId"]


def test_utf8_bom_is_tolerated(normaliser: EventNormaliser) -> None:
    event = firehose_event([b"\xef\xbb\xbf" + as_json(valid_event()).encode()])
    assert run(normaliser, event).ok == 1


def test_non_ascii_text_survives_the_round_trip(normaliser: EventNormaliser) -> None:
    event = firehose_event([as_json(valid_event(properties={"query": "café ☕ 東京"}))])
    record = run(normaliser, event).response["records"][0]
    assert decoded(record)["properties"]["query"] == "café ☕ 東京"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("!!!not base64!!!", Reason.INVALID_BASE64),
        ("abc", Reason.INVALID_BASE64),  # bad padding
        ("eyJhIjoxfQ==\n", Reason.INVALID_BASE64),  # stray newline
        (None, Reason.INVALID_BASE64),
        (12345, Reason.INVALID_BASE64),
    ],
)
def test_invalid_base64_fails_the_record(
    normaliser: EventNormaliser, data: object, reason: Reason
) -> None:
    event = firehose_event([as_json(valid_event())])
    event["records"][0]["data"] = data
    outcome = run(normaliser, event)
    record = outcome.response["records"][0]
    assert record["result"] == "ProcessingFailed"
    assert record["data"] == (data if isinstance(data, str) else "")
    assert only_failure_reason(outcome) is reason


def test_oversized_record_is_refused_before_decoding(normaliser: EventNormaliser) -> None:
    padding = "x" * DEFAULT_MAX_RECORD_BYTES
    event = firehose_event([as_json(valid_event(properties={"blob": padding}))])
    outcome = run(normaliser, event)
    assert only_failure_reason(outcome) is Reason.TOO_LARGE
    assert str(DEFAULT_MAX_RECORD_BYTES) in outcome.failures[0].detail


def test_record_size_limit_is_exact(normaliser: EventNormaliser) -> None:
    body = as_json(valid_event())
    limit = len(body.encode())
    assert run(normaliser, firehose_event([body]), max_record_bytes=limit).ok == 1
    outcome = run(normaliser, firehose_event([body + " "]), max_record_bytes=limit)
    assert only_failure_reason(outcome) is Reason.TOO_LARGE


@pytest.mark.parametrize("arrival", [None, "yesterday", -1, True, 10**20])
def test_missing_or_bad_arrival_time_fails_the_record(
    normaliser: EventNormaliser, arrival: object
) -> None:
    event = firehose_event([as_json(valid_event())])
    if arrival is None:
        del event["records"][0]["approximateArrivalTimestamp"]
    else:
        event["records"][0]["approximateArrivalTimestamp"] = arrival
    assert only_failure_reason(run(normaliser, event)) is Reason.MISSING_ARRIVAL_TIME


def test_empty_batch_returns_empty_records(normaliser: EventNormaliser) -> None:
    outcome = run(normaliser, firehose_event([]))
    assert outcome.response == {"records": []}
    assert outcome.ok == 0
    assert outcome.failures == []


def test_order_and_ids_are_preserved_in_a_mixed_batch(normaliser: EventNormaliser) -> None:
    payloads = [as_json(valid_event()) if i % 3 else "{" for i in range(30)]
    event = firehose_event(payloads)
    outcome = run(normaliser, event)
    assert [r["recordId"] for r in outcome.response["records"]] == [
        r["recordId"] for r in event["records"]
    ]
    assert outcome.ok == 20
    assert len(outcome.failures) == 10
    assert outcome.failed_by_reason == {"invalid_json": 10}


def test_a_bug_in_normalisation_fails_only_that_record(normaliser: EventNormaliser) -> None:
    class Exploding(EventNormaliser):
        def normalise(self, event: dict[str, Any], *, arrived_at: Any) -> Any:
            if event.get("user_id") == "boom":
                raise KeyError("simulated bug")
            return super().normalise(event, arrived_at=arrived_at)

    exploding = Exploding.__new__(Exploding)
    exploding.__dict__.update(normaliser.__dict__)
    event = firehose_event([as_json(valid_event(user_id="boom")), as_json(valid_event())])
    outcome = run(exploding, event)
    assert [r["result"] for r in outcome.response["records"]] == ["ProcessingFailed", "Ok"]
    assert only_failure_reason(outcome) is Reason.INTERNAL_ERROR
    assert "simulated bug" in outcome.failures[0].detail


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"invocationId": "x"}, "no 'records' list"),
        ({"records": None}, "no 'records' list"),
        ({"records": {"a": 1}}, "no 'records' list"),
        ([], "must be an object"),
        (None, "must be an object"),
        ({"records": ["not a record"]}, r"records\[0\] has no string 'recordId'"),
        (
            {"records": [{"data": b64("{}"), "approximateArrivalTimestamp": ARRIVAL_MS}]},
            r"records\[0\] has no string 'recordId'",
        ),
    ],
)
def test_malformed_invocation_event_raises_a_clear_error(
    normaliser: EventNormaliser, event: object, message: str
) -> None:
    with pytest.raises(MalformedEventError, match=message):
        run(normaliser, event)
