"""The platform's sample Spark job: events and distinct users per day and event type.

The same aggregation as the lake's saved Athena query (``lake_schema.queries``), read from the
curated zone's ``events/dt=YYYY-MM-DD/`` Parquet and written to the analytics zone. It runs
unchanged on the cluster (``spark-submit`` with ``s3a://`` paths, S3A from the instance
profile) and locally with file paths: pyspark's wheel ships no ``hadoop-aws``, so
``python -m local_deploy cluster`` stages the input from the emulated S3 into a local folder and
uploads the output back.

    spark-submit sample_job.py --input s3a://CURATED/events/ --output s3a://ANALYTICS/spark/events_per_day/run=ID/

``--pause-per-partition`` makes each input partition take at least that many seconds: the
local run uses it to keep a job running across a worker's decommission.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

OUTPUT_COLUMNS = ("dt", "event_type", "events", "users")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sample_job.py", description=__doc__.split("\n")[0])
    parser.add_argument("--input", required=True, help="curated events: .../events/ (dt=...)")
    parser.add_argument("--output", required=True, help="a folder that must not exist yet")
    parser.add_argument(
        "--partitions", type=int, default=8, help="with a pause: input partitions (>= 1)"
    )
    parser.add_argument("--pause-per-partition", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--app-name", default="events-per-day")
    parser.add_argument(
        "--shuffle-partitions", type=int, help="spark.sql.shuffle.partitions (default: Spark's)"
    )
    return parser


def _paused(pause_s: float) -> Callable[[Iterable[Any]], Iterator[Any]]:
    def pause(rows: Iterable[Any]) -> Iterator[Any]:
        time.sleep(pause_s)
        yield from rows

    return pause


def main(argv: Sequence[str] | None = None) -> int:
    """Aggregate and write one Parquet file; exit 2 with one line on bad arguments."""
    args = _parser().parse_args(argv)
    if args.partitions < 1 or args.pause_per_partition < 0:
        print("error: --partitions must be >= 1 and --pause-per-partition >= 0", file=sys.stderr)
        return 2
    # Imported here so that --help and argument errors need no JVM.
    from pyspark.sql import SparkSession  # noqa: PLC0415
    from pyspark.sql import functions as F  # noqa: N812, PLC0415

    builder = SparkSession.builder.appName(args.app_name).config(
        # dt stays the string the lake writes (yyyy-MM-dd), as in the Glue catalog.
        "spark.sql.sources.partitionColumnTypeInference.enabled",
        "false",
    )
    if args.shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
    spark = builder.getOrCreate()
    try:
        events = spark.read.parquet(args.input).select("dt", "event_type", "user_id")
        if args.pause_per_partition:
            events = events.repartition(args.partitions)
            events = spark.createDataFrame(
                events.rdd.mapPartitions(_paused(args.pause_per_partition)), events.schema
            )
        result = events.groupBy("dt", "event_type").agg(
            F.count("*").alias("events"), F.countDistinct("user_id").alias("users")
        )
        # One sorted file: a handful of rows per day and type needs no more.
        result = result.coalesce(1).sortWithinPartitions("dt", "event_type")
        result.write.mode("errorifexists").parquet(args.output)
        print(f"sample_job: wrote {args.output}")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
