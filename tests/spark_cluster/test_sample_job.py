"""The sample job's arguments, and the scenario's sample data and expected answer (no JVM)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from local_deploy.cluster_scenario import expected_counts, read_result, write_sample_events
from spark_cluster import sample_job


@pytest.mark.parametrize(
    "extra", [["--partitions", "0"], ["--pause-per-partition", "-1"]], ids=["partitions", "pause"]
)
def test_bad_arguments_exit_2_without_a_jvm(extra, capsys):
    assert sample_job.main(["--input", "in/", "--output", "out/", *extra]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_sample_events_are_deterministic_and_partitioned(tmp_path):
    assert write_sample_events(tmp_path / "a") == 1200
    write_sample_events(tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "dt=2026-11-20",
        "dt=2026-11-21",
        "dt=2026-11-22",
    ]
    counts = expected_counts(tmp_path / "a")
    assert counts == expected_counts(tmp_path / "b")
    assert len(counts) == 15  # 3 days x 5 event types
    assert sum(row[2] for row in counts) == 1200
    assert all(0 < users <= events for _, _, events, users in counts)


def test_read_result_sorts_rows(tmp_path):
    table = pa.table(
        {
            "dt": ["2026-11-21", "2026-11-20"],
            "event_type": ["search", "purchase"],
            "events": [3, 2],
            "users": [2, 1],
        }
    )
    pq.write_table(table, tmp_path / "part-0.parquet")
    assert read_result(tmp_path) == [
        ("2026-11-20", "purchase", 2, 1),
        ("2026-11-21", "search", 3, 2),
    ]
