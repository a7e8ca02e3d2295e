"""transform_events on a small mixed batch: every row lands in exactly one outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql import types as T  # noqa: N812

from etl.events_transform import (
    TableSpec,
    TransformResult,
    curated_struct_type,
    transform_events,
)

RUN_ID = "jr_test_0001"
PROCESSED_AT = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _firehose_rows(event) -> list[dict[str, Any]]:
    return [
        event(event_id="e-1"),
        # Happened a second before midnight, arrived the next day: belongs to its own day.
        event(
            event_id="e-2",
            event_type="purchase",
            event_time=utc("2026-11-20T23:59:59+00:00"),
            ingested_at=utc("2026-11-21T00:00:10+00:00"),
            price=9.99,
            quantity=2,
            properties={"sku": "A1"},
        ),
        # Late by three days.
        event(
            event_id="e-late",
            event_time=utc("2026-11-18T08:00:00+00:00"),
            ingested_at=utc("2026-11-21T09:00:00+00:00"),
        ),
        # Three copies of one event: the earliest ingested_at wins, wherever it sits.
        event(
            event_id="e-dup",
            session_id="s-later",
            ingested_at=utc("2026-11-21T10:00:02+00:00"),
            event_time=utc("2026-11-21T10:00:00+00:00"),
        ),
        event(
            event_id="e-dup",
            session_id="s-earliest",
            ingested_at=utc("2026-11-21T10:00:01+00:00"),
            event_time=utc("2026-11-21T10:00:00+00:00"),
        ),
        # Same event_id and ingested_at: the smaller payload text wins, so reruns agree.
        event(event_id="e-tie", session_id="s-b"),
        event(event_id="e-tie", session_id="s-a"),
        event(event_id="f-bad-type", event_type="click"),
        event(event_id="f-no-user", user_id=None),
        event(event_id="f-bad-device", device="windows-phone"),
        event(event_id="  "),
        event(
            event_id="f-future",
            event_time=utc("2026-11-25T00:00:00+00:00"),
            ingested_at=utc("2026-11-21T00:00:00+00:00"),
        ),
    ]


def _landing_lines(event_line) -> list[str]:
    return [
        # A producer-supplied ingested_at is ignored: the pipeline sets it to the landing time.
        event_line(
            event_id="l-1",
            event_type="search",
            event_time="2026-11-19T07:30:00+02:00",
            ingested_at="not even a time",
        ),
        # +05:00 on the 20th is still the 19th in UTC.
        event_line(event_id="l-offset", event_time="2026-11-20T01:00:00+05:00"),
        # A landing copy of e-dup, landed after every stream copy.
        event_line(event_id="e-dup", event_time="2026-11-21T10:00:00Z"),
        '{"event_id": "l-broken",',
        "[1, 2, 3]",
        event_line(event_id=123, price="cheap", quantity="2"),
        event_line(event_id="l-bad-time", event_time="yesterday"),
        event_line(event_id="l-year-only", event_time="2026"),
        event_line(event_id="l-missing", event_type=None, user_id=None),
        "",
        event_line(event_id="l-bad-props", properties={"n": 1}),
        event_line(event_id="l-float-qty", quantity=2.5),
    ]


@pytest.fixture(scope="module")
def result(spec: TableSpec, make_firehose, make_landing, event, event_line) -> TransformResult:
    outcome = transform_events(
        spec,
        firehose_rows=make_firehose(_firehose_rows(event)),
        landing_lines=make_landing(_landing_lines(event_line)),
        run_id=RUN_ID,
        processed_at=PROCESSED_AT,
    )
    yield outcome
    outcome.release()


@pytest.fixture(scope="module")
def curated(result: TransformResult) -> dict[str, dict[str, Any]]:
    rows = [row.asDict() for row in result.curated.collect()]
    by_id = {row["event_id"]: row for row in rows}
    assert len(by_id) == len(rows), "curated rows must have unique event_ids"
    return by_id


@pytest.fixture(scope="module")
def quarantine(result: TransformResult) -> list[dict[str, Any]]:
    return [row.asDict() for row in result.quarantine.collect()]


def test_counts_add_up_to_every_input_row(result: TransformResult) -> None:
    counts = result.counts
    assert (counts.firehose_rows, counts.landing_rows) == (12, 12)
    assert counts.balanced
    assert counts.as_dict() == {
        "firehose_rows": 12,
        "landing_rows": 12,
        "curated": 7,
        "quarantined": 14,
        "duplicates": 3,
        "already_curated": 0,
    }


def test_counts_match_the_rows_in_each_output(
    result: TransformResult, curated: dict, quarantine: list
) -> None:
    assert len(curated) == result.counts.curated
    assert len(quarantine) == result.counts.quarantined


def test_valid_rows_are_partitioned_by_the_utc_date_of_event_time(curated: dict) -> None:
    assert {event_id: row["dt"] for event_id, row in curated.items()} == {
        "e-1": "2026-11-20",
        "e-2": "2026-11-20",
        "e-late": "2026-11-18",
        "e-dup": "2026-11-21",
        "e-tie": "2026-11-20",
        "l-1": "2026-11-19",
        "l-offset": "2026-11-19",
    }
    assert curated["l-offset"]["event_time"] == datetime(2026, 11, 19, 20, 0)


def test_curated_frame_has_the_schema_types(result: TransformResult, spec: TableSpec) -> None:
    expected = [(f.name, f.dataType) for f in curated_struct_type(spec).fields]
    assert [(f.name, f.dataType) for f in result.curated.schema.fields] == expected
    assert result.curated_partitions == ("2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21")


def test_values_survive_the_cast(curated: dict) -> None:
    purchase = curated["e-2"]
    assert purchase["price"] == pytest.approx(9.99)
    assert purchase["quantity"] == 2
    assert purchase["properties"] == {"sku": "A1"}
    assert purchase["event_time"] == datetime(2026, 11, 20, 23, 59, 59)


def test_landing_rows_get_the_landing_time_as_ingested_at(curated: dict) -> None:
    assert curated["l-1"]["ingested_at"] == datetime(2026, 11, 21, 12, 0)
    assert curated["l-1"]["event_time"] == datetime(2026, 11, 19, 5, 30)


def test_duplicates_keep_the_earliest_ingested_at(curated: dict) -> None:
    assert curated["e-dup"]["session_id"] == "s-earliest"
    assert curated["e-tie"]["session_id"] == "s-a"


def _reasons_by_key(quarantine: list[dict[str, Any]]) -> dict[str, str]:
    """Key each quarantined row by its event_id when its payload has one, else the payload."""
    keyed = {}
    for row in quarantine:
        try:
            payload = json.loads(row["payload"])
            key = str(payload.get("event_id", row["payload"]))
        except (ValueError, AttributeError):
            key = row["payload"]
        keyed[key] = row["reason"]
    return keyed


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("f-bad-type", "event_type: 'click' is not one of page_view, search, add_to_cart"),
        ("f-no-user", "user_id: required but missing"),
        ("f-bad-device", "device: 'windows-phone' is not one of web, ios, android"),
        ("  ", "event_id: required but empty"),
        ("f-future", "event_time: more than 1 day, 0:00:00 after ingested_at"),
        ('{"event_id": "l-broken",', "line is not valid JSON: Expecting property name"),
        ("[1, 2, 3]", "line is a JSON array, not an object"),
        ("123", "event_id: expected string, got JSON integer"),
        ("123", "price: expected double, got JSON string"),
        ("123", "quantity: expected int, got JSON string"),
        ("l-bad-time", "event_time: 'yesterday' is not an ISO-8601 timestamp"),
        ("l-year-only", "event_time: '2026' is not an ISO-8601 timestamp"),
        ("l-missing", "event_type: required but missing; user_id: required but missing"),
        ("", "line is empty"),
        ("l-bad-props", "properties: values must be strings (n: got JSON integer)"),
        ("l-float-qty", "quantity: expected int, got JSON number"),
    ],
)
def test_invalid_rows_are_quarantined_with_reasons(
    quarantine: list[dict[str, Any]], key: str, reason: str
) -> None:
    reasons = _reasons_by_key(quarantine)
    assert key in reasons, f"{key!r} not quarantined; quarantined: {sorted(reasons)}"
    assert reason in reasons[key]


def test_mistyped_field_is_not_also_reported_missing(quarantine: list[dict[str, Any]]) -> None:
    reasons = _reasons_by_key(quarantine)
    assert "event_id: required but missing" not in reasons["123"]
    assert reasons["l-bad-time"] == "event_time: 'yesterday' is not an ISO-8601 timestamp"


def test_quarantine_rows_carry_payload_source_and_run(quarantine: list[dict[str, Any]]) -> None:
    assert {row["run_id"] for row in quarantine} == {RUN_ID}
    assert {row["dt"] for row in quarantine} == {"2026-11-21"}
    assert {row["quarantined_at"] for row in quarantine} == {datetime(2026, 11, 21, 13, 0)}
    by_source = {row["source"] for row in quarantine}
    assert by_source == {"firehose", "landing"}
    landing = [row for row in quarantine if row["source"] == "landing"]
    assert {row["source_file"] for row in landing} == {
        "s3://raw/landing/events/dt=2026-11-21/backfill-1.json.gz"
    }
    # A Firehose row's payload is the whole row as JSON, so nothing about it is lost.
    firehose = next(r for r in quarantine if r["source"] == "firehose" and "click" in r["payload"])
    payload = json.loads(firehose["payload"])
    assert payload["event_id"] == "f-bad-type"
    assert payload["properties"] == {"page": "/home"}


def test_rows_already_curated_by_an_earlier_run_are_not_appended_again(
    spark: SparkSession, spec: TableSpec, make_firehose, event
) -> None:
    seen: list[tuple[str, ...]] = []

    def curated_keys(partitions):
        seen.append(tuple(partitions))
        # e-2 is known but under another day, so it is not the same curated row.
        return spark.createDataFrame(
            [("e-1", "2026-11-20"), ("e-1", "2026-11-20"), ("e-2", "2026-11-19")],
            "event_id string, dt string",
        )

    outcome = transform_events(
        spec,
        firehose_rows=make_firehose([event(event_id="e-1"), event(event_id="e-2")]),
        landing_lines=None,
        run_id=RUN_ID,
        processed_at=PROCESSED_AT,
        curated_keys=curated_keys,
    )
    try:
        assert seen == [("2026-11-20",)]
        assert [r.event_id for r in outcome.curated.collect()] == ["e-2"]
        assert outcome.counts.already_curated == 1
        assert outcome.counts.balanced
    finally:
        outcome.release()


def test_drifted_firehose_columns_are_coerced_or_quarantined(
    spark: SparkSession, spec: TableSpec
) -> None:
    # An older file: no `country`, quantity written as bigint, price as text, an extra column,
    # and event_time as text.
    schema = T.StructType(
        [
            T.StructField("event_id", T.StringType()),
            T.StructField("event_type", T.StringType()),
            T.StructField("EVENT_TIME", T.StringType()),
            T.StructField("user_id", T.StringType()),
            T.StructField("quantity", T.LongType()),
            T.StructField("price", T.StringType()),
            T.StructField("ingested_at", T.TimestampType()),
            T.StructField("legacy.flag", T.BooleanType()),
        ]
    )
    ingested = utc("2026-11-20T10:00:05+00:00")
    raw = spark.createDataFrame(
        [
            ("d-ok", "search", "2026-11-20T09:00:00Z", "u", 3, None, ingested, True),
            ("d-big", "search", "2026-11-20T09:00:00Z", "u", 2**40, None, ingested, False),
            ("d-price", "search", "2026-11-20T09:00:00Z", "u", None, "1.5", ingested, None),
            ("d-time", "search", "20/11/2026", "u", None, None, ingested, None),
        ],
        schema,
    )
    outcome = transform_events(
        spec,
        firehose_rows=raw,
        landing_lines=None,
        run_id=RUN_ID,
        processed_at=PROCESSED_AT,
    )
    try:
        curated = {r.event_id: r for r in outcome.curated.collect()}
        assert set(curated) == {"d-ok"}
        assert curated["d-ok"].quantity == 3
        assert curated["d-ok"].country is None
        assert curated["d-ok"].event_time == datetime(2026, 11, 20, 9, 0)
        reasons = {
            json.loads(r.payload)["event_id"]: r.reason for r in outcome.quarantine.collect()
        }
        assert reasons == {
            "d-big": "quantity: 1099511627776 is outside the int range",
            "d-price": "price: expected double, got string",
            "d-time": "event_time: '20/11/2026' is not an ISO-8601 timestamp",
        }
        assert outcome.counts.balanced
    finally:
        outcome.release()


def test_an_empty_bookmark_batch_yields_nothing(spark: SparkSession, spec: TableSpec) -> None:
    # With no new files, Glue's DynamicFrame.toDF() has no columns at all.
    empty = spark.createDataFrame([], T.StructType([]))
    outcome = transform_events(
        spec, firehose_rows=empty, landing_lines=None, run_id=RUN_ID, processed_at=PROCESSED_AT
    )
    try:
        assert outcome.counts.input_rows == 0
        assert outcome.counts.balanced
        assert outcome.curated.count() == 0
        assert outcome.curated_partitions == ()
    finally:
        outcome.release()


def test_a_non_utc_session_is_refused(spark: SparkSession, spec: TableSpec, make_firehose, event):
    frame: DataFrame = make_firehose([event()])
    spark.conf.set("spark.sql.session.timeZone", "Europe/Berlin")
    try:
        with pytest.raises(ValueError, match="set it to 'UTC'"):
            transform_events(
                spec,
                firehose_rows=frame,
                landing_lines=None,
                run_id=RUN_ID,
                processed_at=PROCESSED_AT,
            )
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"firehose_rows": None, "landing_lines": None}, "needs firehose_rows, landing_lines"),
        ({"processed_at": datetime(2026, 11, 21)}, "processed_at must be timezone-aware"),
        ({"run_id": ""}, "run_id must be a non-empty string"),
    ],
)
def test_bad_arguments_are_refused(spec: TableSpec, make_firehose, event, kwargs, message) -> None:
    arguments = {
        "firehose_rows": make_firehose([event()]),
        "landing_lines": None,
        "run_id": RUN_ID,
        "processed_at": PROCESSED_AT,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        transform_events(spec, **arguments)


def test_clock_skew_limit_is_configurable(spec: TableSpec, make_firehose, event) -> None:
    early = event(
        event_id="skewed",
        event_time=utc("2026-11-20T12:00:00+00:00"),
        ingested_at=utc("2026-11-20T10:00:00+00:00"),
    )
    outcome = transform_events(
        spec,
        firehose_rows=make_firehose([early]),
        landing_lines=None,
        run_id=RUN_ID,
        processed_at=PROCESSED_AT,
        max_clock_skew=timedelta(hours=1),
    )
    try:
        assert outcome.counts.quarantined == 1
        reason = outcome.quarantine.select(F.col("reason")).first()[0]
        assert reason == "event_time: more than 1:00:00 after ingested_at"
    finally:
        outcome.release()
