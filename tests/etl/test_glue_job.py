"""The Glue entrypoint imports without awsglue, documents its arguments, and parses them."""

from __future__ import annotations

import sys
from datetime import date, timedelta

import pytest

from etl import glue_job


def test_importing_the_job_does_not_need_awsglue() -> None:
    assert "awsglue" not in sys.modules


def test_every_argument_is_documented_at_the_top() -> None:
    doc = glue_job.__doc__ or ""
    for name in (*glue_job.REQUIRED_ARGUMENTS, *glue_job.OPTIONAL_ARGUMENTS):
        assert f"--{name} " in doc, f"--{name} is not documented in glue_job.py"


def test_job_paths_follow_the_bucket_layout() -> None:
    paths = glue_job.JobPaths(raw_bucket="raw-b", curated_bucket="cur-b", table="events")
    assert paths.firehose == "s3://raw-b/events/"
    assert paths.landing([date(2026, 11, 20)]) == ["s3://raw-b/landing/events/dt=2026-11-20/"]
    assert paths.curated == "s3://cur-b/events/"
    assert paths.quarantine == "s3://cur-b/quarantine/events/"


def test_landing_dates_parse_sort_and_deduplicate() -> None:
    assert glue_job.parse_landing_dates("") == []
    assert glue_job.parse_landing_dates("2026-11-21, 2026-11-20,2026-11-21") == [
        date(2026, 11, 20),
        date(2026, 11, 21),
    ]
    with pytest.raises(ValueError, match=r"--landing_dates: '2026-13-01' is not a YYYY-MM-DD"):
        glue_job.parse_landing_dates("2026-11-20,2026-13-01")


def test_clock_skew_argument() -> None:
    assert glue_job.parse_clock_skew("24") == timedelta(days=1)
    with pytest.raises(ValueError, match=r"--max_clock_skew_hours: 'soon' is not a number"):
        glue_job.parse_clock_skew("soon")
    with pytest.raises(ValueError, match="must be positive"):
        glue_job.parse_clock_skew("0")
