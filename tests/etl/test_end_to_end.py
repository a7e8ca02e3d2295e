"""Raw files on disk, through the transform, to dt= folders of Parquet and a quarantine folder."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from etl.events_transform import (
    TableSpec,
    TransformResult,
    curated_keys_reader,
    curated_struct_type,
    quarantine_struct_type,
    read_firehose_parquet,
    read_landing_lines,
    transform_events,
    write_curated,
    write_quarantine,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, make_firehose, event, event_line) -> Path:
    root = tmp_path_factory.mktemp("lake")
    firehose = make_firehose(
        [
            event(event_id="e-1"),
            event(
                event_id="e-late",
                event_time=utc("2026-11-18T08:00:00+00:00"),
                ingested_at=utc("2026-11-21T09:00:00+00:00"),
            ),
            event(event_id="e-1", ingested_at=utc("2026-11-21T09:30:00+00:00")),
            event(event_id="bad", event_type="click"),
        ]
    )
    firehose.write.parquet(str(root / "raw" / "events" / "dt=2026-11-21"))
    landing = root / "raw" / "landing" / "events" / "dt=2026-11-21"
    landing.mkdir(parents=True)
    lines = [
        event_line(event_id="l-1", event_time="2026-11-19T23:30:00-01:00"),
        "this is not json",
    ]
    with gzip.open(landing / "backfill-1.json.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return root


def _run(spark: SparkSession, spec: TableSpec, lake: Path, run_id: str) -> TransformResult:
    result = transform_events(
        spec,
        firehose_rows=read_firehose_parquet(spark, str(lake / "raw" / "events")),
        landing_lines=read_landing_lines(
            spark, [str(lake / "raw" / "landing" / "events" / "dt=2026-11-21")]
        ),
        run_id=run_id,
        processed_at=datetime(2026, 11, 21, 13, 0, tzinfo=UTC),
        curated_keys=curated_keys_reader(spark, spec, str(lake / "curated" / "events")),
    )
    if result.counts.curated:
        write_curated(result.curated, spec, str(lake / "curated" / "events"))
    if result.counts.quarantined:
        write_quarantine(result.quarantine, str(lake / "curated" / "quarantine" / "events"))
    result.release()
    return result


@pytest.fixture(scope="module")
def first_run(spark: SparkSession, spec: TableSpec, lake: Path) -> TransformResult:
    return _run(spark, spec, lake, "jr_first")


def test_first_run_writes_dt_folders_of_snappy_parquet(first_run: TransformResult, lake: Path):
    assert first_run.counts.as_dict() == {
        "firehose_rows": 4,
        "landing_rows": 2,
        "curated": 3,
        "quarantined": 2,
        "duplicates": 1,
        "already_curated": 0,
    }
    curated = lake / "curated" / "events"
    folders = sorted(p.name for p in curated.iterdir() if p.is_dir())
    # The late event sits in its own day, and the landing event in its UTC day (the 20th).
    assert folders == ["dt=2026-11-18", "dt=2026-11-20"]
    for folder in folders:
        assert list((curated / folder).glob("*.snappy.parquet")), f"no Parquet in {folder}"
    quarantine = lake / "curated" / "quarantine" / "events" / "dt=2026-11-21"
    assert list(quarantine.glob("*.snappy.parquet"))


def test_written_tables_read_back(
    first_run: TransformResult, spark: SparkSession, spec: TableSpec, lake: Path
) -> None:
    curated = spark.read.schema(curated_struct_type(spec)).parquet(str(lake / "curated" / "events"))
    rows = {(r.event_id, r.dt, r.ingested_at) for r in curated.collect()}
    assert rows == {
        ("e-1", "2026-11-20", datetime(2026, 11, 20, 10, 0, 5)),
        ("e-late", "2026-11-18", datetime(2026, 11, 21, 9, 0)),
        ("l-1", "2026-11-20", rows_landed_at(rows, "l-1")),
    }
    quarantine = spark.read.schema(quarantine_struct_type()).parquet(
        str(lake / "curated" / "quarantine" / "events")
    )
    found = {(r.source, r.reason.split(":")[0], r.run_id) for r in quarantine.collect()}
    assert found == {
        ("firehose", "event_type", "jr_first"),
        ("landing", "line is not valid JSON", "jr_first"),
    }
    landing_file = next(r.source_file for r in quarantine.collect() if r.source == "landing")
    assert landing_file.endswith("dt=2026-11-21/backfill-1.json.gz")


def rows_landed_at(rows: set, event_id: str) -> datetime:
    """The landing row's ingested_at is its file's modification time, whatever that was."""
    landed = next(ingested for eid, _, ingested in rows if eid == event_id)
    assert landed > datetime(2026, 1, 1)
    return landed


def test_rerunning_the_same_files_appends_no_curated_duplicates(
    first_run: TransformResult, spark: SparkSession, spec: TableSpec, lake: Path
) -> None:
    second = _run(spark, spec, lake, "jr_second")
    assert second.counts.curated == 0
    assert second.counts.already_curated == 3
    assert second.counts.balanced
    curated = spark.read.schema(curated_struct_type(spec)).parquet(str(lake / "curated" / "events"))
    assert curated.count() == 3
    # Quarantine is append-only too: the rerun's copies are told apart by their run id.
    quarantine = spark.read.schema(quarantine_struct_type()).parquet(
        str(lake / "curated" / "quarantine" / "events")
    )
    assert sorted(r.run_id for r in quarantine.collect()) == [
        "jr_first",
        "jr_first",
        "jr_second",
        "jr_second",
    ]
