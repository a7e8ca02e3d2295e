"""Property: whatever a batch holds, every record gets exactly one answer and none is lost."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from event_normaliser import EventNormaliser, Reason
from firehose_contract import transform_batch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.events_testkit import ARRIVAL_MS, firehose_event, valid_event

SOURCES = st.sampled_from(["direct", "kinesis", "msk"])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

# Values that are sometimes right for a column and often wrong, so both outcomes occur.
field_values = {
    "event_id": st.uuids().map(str) | st.text(max_size=10) | st.integers(),
    "event_type": st.sampled_from(["page_view", "Purchase", " search ", "click", ""]),
    "event_time": st.sampled_from(
        ["2026-11-15T11:00:00Z", "2026-11-15T13:00:00+02:00", "2026-11-15 11:00", "soon"]
    )
    | st.integers(min_value=-(10**14), max_value=10**14)
    | st.floats(allow_nan=True, allow_infinity=True),
    "user_id": st.text(max_size=12) | st.integers(),
    "device": st.sampled_from(["web", "IOS", "tv", None]),
    "country": st.text(max_size=3) | st.none(),
    "price": st.floats(allow_nan=False) | st.text(max_size=6) | st.integers(),
    "quantity": st.integers() | st.text(max_size=4) | st.floats(allow_nan=False),
    "properties": st.dictionaries(st.text(max_size=5), json_scalars, max_size=3) | json_values,
}
event_like = st.fixed_dictionaries(
    {},
    optional={
        **field_values,
        "eventId": field_values["event_id"],
        "unknownThing": json_values,
    },
).map(lambda overrides: {**valid_event(), **overrides})

payloads = (
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | event_like.map(lambda e: json.dumps(e, ensure_ascii=False).encode())
    | st.just(json.dumps(valid_event()).encode())
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(payloads, max_size=25), source=SOURCES)
def test_every_record_gets_exactly_one_valid_answer(
    normaliser: EventNormaliser, batch: list[bytes], source: str
) -> None:
    event = firehose_event(batch, source=source)
    key = "kafkaRecordValue" if source == "msk" else "data"
    outcome = transform_batch(event, normaliser=normaliser)
    results = outcome.response["records"]

    assert len(results) == len(event["records"])
    assert [r["recordId"] for r in results] == [r["recordId"] for r in event["records"]]
    assert {r["result"] for r in results} <= {"Ok", "ProcessingFailed"}
    assert outcome.ok + len(outcome.failures) == len(results)
    assert all(f.reason is not Reason.INTERNAL_ERROR for f in outcome.failures), outcome.failures

    arrived_at = datetime.fromtimestamp(ARRIVAL_MS / 1000, tz=UTC)
    for original, result in zip(event["records"], results, strict=True):
        if result["result"] == "ProcessingFailed":
            assert result[key] == original[key]
            continue
        text = base64.b64decode(result[key]).decode("utf-8")
        assert text.endswith("\n")
        assert "\n" not in text[:-1]
        body: dict[str, Any] = json.loads(text)
        # Normalised output is a fixed point: normalising it again changes nothing.
        again = normaliser.normalise(body, arrived_at=arrived_at)
        assert again.fields == body
        assert result["metadata"]["partitionKeys"]["dt"] == body["event_time"][:10] == again.dt
