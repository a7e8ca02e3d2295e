"""The shared event generator: deterministic, realistic, and agreeing with the transform."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from event_normaliser import EventNormaliser
from firehose_contract import transform_batch

from tests.events_testkit import firehose_event
from tools.event_generator import (
    DEFAULT_START,
    GeneratedEvent,
    MalformedKind,
    generate_events,
    generate_sessions,
)

FUNNEL = ["page_view", "search", "add_to_cart", "checkout", "purchase"]


@pytest.fixture(scope="module")
def sample() -> list[GeneratedEvent]:
    return list(generate_events(3000, seed=7, malformed_rate=0.05, late_rate=0.05))


def test_same_seed_same_events_other_seed_other_events() -> None:
    first = list(generate_events(300, seed=11))
    assert first == list(generate_events(300, seed=11))
    assert first != list(generate_events(300, seed=12))


def test_exact_count_in_emit_order(sample: list[GeneratedEvent]) -> None:
    assert len(sample) == 3000
    emitted = [event.emitted_at for event in sample]
    assert emitted == sorted(emitted)
    assert emitted[0] >= DEFAULT_START
    assert list(generate_events(0, seed=1)) == []


def test_malformed_events_are_labelled_and_every_kind_occurs(
    sample: list[GeneratedEvent],
) -> None:
    kinds = Counter(event.malformed for event in sample if event.malformed)
    assert set(kinds) == set(MalformedKind)
    assert 0.03 < sum(kinds.values()) / len(sample) < 0.07


def test_well_formed_events_follow_the_funnel(sample: list[GeneratedEvent]) -> None:
    counts = Counter()
    sessions: dict[str, list[str]] = defaultdict(list)
    for event in sample:
        if event.malformed is None:
            record = json.loads(event.payload)
            counts[record["event_type"]] += 1
            sessions[record["session_id"]].append(record["event_type"])
            assert record["user_id"] == event.partition_key
            if record["event_type"] in ("add_to_cart", "checkout", "purchase"):
                assert record["price"] > 0
                assert record["quantity"] >= 1
    # Each step of the funnel is rarer than the one before it.
    assert [counts[step] for step in FUNNEL] == sorted((counts[s] for s in FUNNEL), reverse=True)
    assert counts["purchase"] > 0
    for steps in sessions.values():
        purchase_steps = [s for s in steps if s in ("add_to_cart", "checkout", "purchase")]
        assert purchase_steps == [s for s in FUNNEL[2:] if s in purchase_steps]


def test_late_events_belong_to_an_earlier_day(sample: list[GeneratedEvent]) -> None:
    late = [event for event in sample if event.late]
    assert 0.03 < len(late) / len(sample) < 0.08
    for event in late:
        event_time = datetime.fromisoformat(json.loads(event.payload)["event_time"])
        assert event.event_date == event_time.date() < event.emitted_at.date()
        assert event.emitted_at - event_time <= timedelta(days=4)


def test_undated_means_no_readable_event_time(sample: list[GeneratedEvent]) -> None:
    for event in sample:
        if event.event_date is None:
            assert event.malformed in {
                MalformedKind.TRUNCATED_JSON,
                MalformedKind.NOT_AN_OBJECT,
                MalformedKind.NON_UTF8,
                MalformedKind.BAD_TIMESTAMP,
                MalformedKind.MISSING_FIELD,
            }
        assert b"\n" not in event.payload, "one payload must stay one JSON line"


def test_the_transform_accepts_exactly_the_well_formed_events(
    sample: list[GeneratedEvent], normaliser: EventNormaliser
) -> None:
    for batch_start in range(0, len(sample), 500):
        batch = sample[batch_start : batch_start + 500]
        arrival = max(event.emitted_at for event in batch)
        event = firehose_event(
            [e.payload for e in batch], arrival_ms=int(arrival.timestamp() * 1000)
        )
        results = transform_batch(event, normaliser=normaliser).response["records"]
        for generated, result in zip(batch, results, strict=True):
            expected = "ProcessingFailed" if generated.malformed else "Ok"
            assert result["result"] == expected, (generated.malformed, generated.payload)
            if expected == "Ok":
                dt = result["metadata"]["partitionKeys"]["dt"]
                assert dt == generated.event_date.isoformat()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": -1}, "count"),
        ({"malformed_rate": 1.5}, "malformed_rate"),
        ({"late_rate": -0.1}, "late_rate"),
        ({"start": datetime(2026, 1, 1)}, "timezone-aware"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    arguments = {"count": 10, "seed": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        list(generate_events(**arguments))


def test_start_moves_the_clock() -> None:
    start = datetime(2027, 3, 1, 8, tzinfo=UTC)
    [first] = generate_events(1, seed=3, start=start, malformed_rate=0, late_rate=0)
    assert first.emitted_at >= start
    assert first.event_date is not None


def test_generate_sessions_emits_whole_sessions_in_order_and_deterministically() -> None:
    """Every session started is emitted whole: a session's events go page_view first and, when
    it buys, purchase last; the count of sessions is exactly what was asked."""
    start = datetime(2026, 11, 1, 8, tzinfo=UTC)
    events = list(generate_sessions(120, seed=4, malformed_rate=0.0, late_rate=0.0, start=start))
    assert events == list(
        generate_sessions(120, seed=4, malformed_rate=0.0, late_rate=0.0, start=start)
    )
    assert [e.emitted_at for e in events] == sorted(e.emitted_at for e in events)
    assert min(e.emitted_at for e in events) >= start
    by_session: dict[str, list[str]] = defaultdict(list)
    for event in events:
        record = json.loads(event.payload)
        by_session[record["session_id"]].append(record["event_type"])
    assert len(by_session) == 120
    for kinds in by_session.values():
        assert kinds[0] == "page_view"
        assert "purchase" not in kinds[:-1]


def test_generate_sessions_rejects_a_negative_count() -> None:
    with pytest.raises(ValueError, match="sessions must be >= 0"):
        list(generate_sessions(-1, seed=1))
