"""Glue 5.0 (Spark 3.5, Python 3.11) job: raw `events` to the curated zone.

Job arguments (`--name value`; Glue sets the first two):
  --JOB_NAME              the job's name; Job.init uses it to key the bookmark state.
  --JOB_RUN_ID            the run's id; stamped on every quarantined row.
  --raw_bucket            bucket holding `events/dt=YYYY-MM-DD/` (Firehose Parquet) and
                          `landing/events/dt=YYYY-MM-DD/*.json.gz` (NDJSON from outside the stream).
  --curated_bucket        bucket receiving `events/dt=YYYY-MM-DD/` and `quarantine/events/dt=.../`.
  --schema_file           the schema JSON; the CDK uploads lake_schema/events.json as an asset named
                          <content hash>.json, lists it in --extra-files (Glue copies it into the
                          working dir) and sets this argument to that name.
  --table                 optional; the dataset's prefix in both buckets. Default: the schema's
                          name (`events`).
  --landing_dates         optional; comma-separated YYYY-MM-DD list of landing/events/dt=... folders
                          to load in this run (see "Landing files" below). Default: none.
  --max_clock_skew_hours  optional; how far event_time may lead ingested_at. Default: 24.

Glue-level settings the CDK passes: `--job-bookmark-option job-bookmark-enable`,
`--extra-py-files s3://.../events_transform.py`, `--extra-files s3://.../<hash>.json`,
`--enable-metrics`, `--enable-observability-metrics`, and MaxConcurrentRuns 1 (two runs appending
at once could both curate the same late duplicate). No continuous-logging flag: Glue 5.0 streams
every job's logs to CloudWatch in real time (`/aws-glue/jobs/error` for Spark and GlueLogger,
`/aws-glue/jobs/output` for print and stderr), encrypted by the lake's security configuration.

Write strategy: append, with job bookmarks. The bookmark hands each run only the Firehose files it
has not processed, so the curated data of earlier runs is never rewritten. Dynamic partition
overwrite would be wrong here: a late event belongs to an old day, and overwriting that day with
one batch would delete what earlier runs wrote there, unless every run re-read the whole raw zone.
Re-delivered events are caught by joining the batch to the event_ids already curated in the days
it touches (`already_curated` in the counts), so a rerun after a failed commit is idempotent.

Landing files: Glue bookmarks only track formats Glue itself parses (JSON, CSV, Parquet...), and
its JSON reader cannot hand back a malformed line verbatim for quarantine, so landing files are
read as text lines from the folders named by --landing_dates, an explicit backfill request.
Loading a date twice is safe for the curated table (the rows come back as `already_curated`), but
quarantines its bad lines again under the new run id.

The raw table in the catalog uses partition projection, which only Athena applies; the job reads
S3 paths directly rather than `from_catalog`, which would see no partitions.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pyspark.context import SparkContext
from pyspark.sql import functions as F  # noqa: N812 - PySpark's conventional alias

try:
    # In Glue, --extra-py-files puts the module at the top level.
    import events_transform as et
except ModuleNotFoundError:  # in the repository (tests, tools) it sits in the etl package
    from etl import events_transform as et

REQUIRED_ARGUMENTS = ("JOB_NAME", "JOB_RUN_ID", "raw_bucket", "curated_bucket", "schema_file")
OPTIONAL_ARGUMENTS = {"table": "", "landing_dates": "", "max_clock_skew_hours": "24"}


@dataclass(frozen=True)
class JobPaths:
    raw_bucket: str
    curated_bucket: str
    table: str

    @property
    def firehose(self) -> str:
        return f"s3://{self.raw_bucket}/{self.table}/"

    def landing(self, dates: Sequence[date]) -> list[str]:
        return [f"s3://{self.raw_bucket}/landing/{self.table}/dt={d.isoformat()}/" for d in dates]

    @property
    def curated(self) -> str:
        return f"s3://{self.curated_bucket}/{self.table}/"

    @property
    def quarantine(self) -> str:
        return f"s3://{self.curated_bucket}/quarantine/{self.table}/"


def parse_landing_dates(text: str) -> list[date]:
    """`2026-11-20,2026-11-21` to dates; an empty string means no landing folders."""
    dates = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            dates.append(date.fromisoformat(item))
        except ValueError as error:
            raise ValueError(f"--landing_dates: {item!r} is not a YYYY-MM-DD date") from error
    return sorted(set(dates))


def parse_clock_skew(text: str) -> timedelta:
    try:
        hours = float(text)
    except ValueError as error:
        raise ValueError(f"--max_clock_skew_hours: {text!r} is not a number") from error
    if hours <= 0:
        raise ValueError(f"--max_clock_skew_hours: {text!r} must be positive")
    return timedelta(hours=hours)


def resolve_arguments(argv: Sequence[str]) -> dict[str, str]:
    """The job's arguments, with defaults for the optional ones getResolvedOptions cannot give."""
    from awsglue.utils import getResolvedOptions  # noqa: PLC0415 - exists only inside Glue

    args = dict(getResolvedOptions(list(argv), list(REQUIRED_ARGUMENTS)))
    for name, default in OPTIONAL_ARGUMENTS.items():
        present = any(a == f"--{name}" or a.startswith(f"--{name}=") for a in argv)
        args[name] = getResolvedOptions(list(argv), [name])[name] if present else default
    return args


def main(argv: Sequence[str]) -> None:
    # Glue-only imports live here so the module imports (and its helpers test) without awsglue.
    from awsglue.context import GlueContext  # noqa: PLC0415
    from awsglue.job import Job  # noqa: PLC0415

    args = resolve_arguments(argv)
    spec = et.load_table_spec(args["schema_file"])
    paths = JobPaths(args["raw_bucket"], args["curated_bucket"], args["table"] or spec.name)
    landing_dates = parse_landing_dates(args["landing_dates"])
    max_clock_skew = parse_clock_skew(args["max_clock_skew_hours"])

    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    logger = glue_context.get_logger()
    # dt is the UTC date of event_time; the transform refuses any other session zone.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    # Int64 microsecond timestamps rather than Spark's legacy INT96, for Athena and pyarrow.
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)

    firehose = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [paths.firehose], "recurse": True},
        format="parquet",
        transformation_ctx="firehose_events",
    ).toDF()
    firehose = firehose.withColumn(et.SOURCE_FILE, F.input_file_name())
    landing = et.read_landing_lines(spark, paths.landing(landing_dates)) if landing_dates else None

    result = et.transform_events(
        spec,
        firehose_rows=firehose,
        landing_lines=landing,
        run_id=args["JOB_RUN_ID"],
        processed_at=datetime.now(UTC),
        curated_keys=et.curated_keys_reader(spark, spec, paths.curated),
        max_clock_skew=max_clock_skew,
    )
    counts = result.counts
    read_rows = firehose.count() + (landing.count() if landing is not None else 0)
    if read_rows != counts.input_rows or not counts.balanced:
        # Fail before writing and before job.commit(), so the bookmark does not move on.
        raise RuntimeError(
            f"row accounting mismatch: read {read_rows} rows, outcomes {counts.as_dict()}"
        )
    if counts.curated:
        et.write_curated(result.curated, spec, paths.curated)
    if counts.quarantined:
        et.write_quarantine(result.quarantine, paths.quarantine)
    logger.info(
        json.dumps(
            {
                "event": "events_etl_finished",
                "run_id": args["JOB_RUN_ID"],
                "landing_dates": [d.isoformat() for d in landing_dates],
                "curated_partitions": list(result.curated_partitions),
                **counts.as_dict(),
            }
        )
    )
    result.release()
    job.commit()


if __name__ == "__main__":
    main(sys.argv)
