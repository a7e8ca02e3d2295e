"""`python -m tools.sample_events`: landing-zone files in S3 (moto) or a local folder."""

from __future__ import annotations

import gzip
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.events_testkit import assert_usage_error
from tools import sample_events
from tools.cli_common import Progress, aware_timestamp
from tools.event_generator import generate_events

BUCKET = "raw-zone"
START = "2026-11-15T12:00:00Z"
KEY_PATTERN = re.compile(
    r"landing/events/dt=(\d{4}-\d{2}-\d{2}|__HIVE_DEFAULT_PARTITION__)/"
    r"events-20261115T120000Z-seed5-\d{5}\.json\.gz"
)


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = sample_events.main(list(args))
    captured = capsys.readouterr()
    summary = json.loads(captured.out) if code == 0 else {}
    return code, summary, captured.err


def read_objects(s3: Any) -> dict[str, list[bytes]]:
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    return {
        item["Key"]: gzip.decompress(
            s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        ).splitlines()
        for item in listed
    }


def test_writes_every_record_under_its_event_date(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary, err = run_cli(
        capsys,
        "--bucket", BUCKET, "--count", "1200", "--seed", "5", "--start", START,
        "--malformed-rate", "0.05", "--records-per-file", "400", "--progress-every", "500",
    )  # fmt: skip
    assert code == 0, err
    objects = read_objects(s3)
    assert all(KEY_PATTERN.fullmatch(key) for key in objects), sorted(objects)

    expected = list(
        generate_events(1200, seed=5, malformed_rate=0.05, late_rate=0.05,
                        start=aware_timestamp(START))
    )  # fmt: skip
    per_partition = Counter(sample_events.partition_of(event) for event in expected)
    written = Counter()
    for key, lines in objects.items():
        assert len(lines) <= 400
        written[key.split("/")[2]] += len(lines)
    assert written == per_partition
    assert sorted(line for lines in objects.values() for line in lines) == sorted(
        event.payload for event in expected
    )

    assert summary["records"] == 1200
    assert summary["files"] == len(objects)
    assert summary["malformed"] == sum(e.malformed is not None for e in expected) > 0
    assert summary["late"] == sum(e.late for e in expected) > 0
    assert summary["undated"] == per_partition["dt=__HIVE_DEFAULT_PARTITION__"] > 0
    assert summary["destination"] == f"s3://{BUCKET}/landing/events"
    assert "[sample_events] 500/1200 records (42%)" in err
    assert "[sample_events] 1000/1200 records (83%)" in err


def test_rerun_with_same_seed_replaces_its_own_files(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--bucket", BUCKET, "--count", "200", "--seed", "5", "--start", START)
    run_cli(capsys, *args)
    first = read_objects(s3)
    run_cli(capsys, *args)
    assert read_objects(s3) == first


def test_missing_bucket_is_one_clear_line_and_exit_1(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "--bucket", "no-such-bucket", "--count", "10")
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("sample_events: error: PutObject s3://no-such-bucket/landing/events/")
    assert "NoSuchBucket" in line
    assert "0 files were written" in line


def test_dry_run_writes_the_same_layout_locally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary, _ = run_cli(
        capsys,
        "--dry-run", "--output-dir", str(tmp_path), "--count", "300", "--seed", "5",
        "--start", START, "--prefix", "/landing/events/",
    )  # fmt: skip
    assert code == 0
    files = sorted(tmp_path.rglob("*.json.gz"))
    assert files
    assert all(KEY_PATTERN.fullmatch(str(path.relative_to(tmp_path))) for path in files)
    lines = sum(len(gzip.decompress(path.read_bytes()).splitlines()) for path in files)
    assert lines == summary["records"] == 300
    assert summary["files"] == len(files)


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--count", "10"], "--bucket is required unless --dry-run"),
        (["--dry-run", "--count", "0"], "argument --count"),
        (["--dry-run", "--count", "ten"], "argument --count"),
        (["--dry-run", "--malformed-rate", "2"], "argument --malformed-rate"),
        (["--dry-run", "--late-rate", "x"], "argument --late-rate"),
        (["--dry-run", "--seed", "1.5"], "argument --seed"),
        (["--dry-run", "--start", "2026-11-15T12:00:00"], "argument --start"),
        (["--dry-run", "--endpoint-url", "localhost:5000"], "argument --endpoint-url"),
        (["--dry-run", "--prefix", "/"], "argument --prefix"),
        (["--dry-run", "--records-per-file", "-3"], "argument --records-per-file"),
    ],
)
def test_bad_arguments_name_the_flag(
    args: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_usage_error(sample_events.main, args, flag, capsys)


def test_progress_reports_on_multiples_only() -> None:
    stream = io.StringIO()
    ticks = iter(range(100))
    progress = Progress("x", total=10, every=4, stream=stream, clock=lambda: next(ticks))
    for _ in range(10):
        progress.advance()
    assert [line.split(" records")[0] for line in stream.getvalue().splitlines()] == [
        "[x] 4/10",
        "[x] 8/10",
    ]
