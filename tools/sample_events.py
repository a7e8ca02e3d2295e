"""Write generated `events` to the raw zone's landing area, as batch uploads would arrive.

    python -m tools.sample_events --bucket RAW_BUCKET [--prefix landing/events] --count 10000
    python -m tools.sample_events --dry-run --output-dir .local/sample-events --count 1000

Files are newline-delimited JSON, gzip-compressed, one folder per event date:
`<prefix>/dt=YYYY-MM-DD/<run>-NNNNN.json.gz`, at most --records-per-file lines each. Records
whose payload has no readable event date (truncated JSON, a missing or unparseable
event_time, bytes that are not UTF-8, JSON that is not an object) go to
`<prefix>/dt=__HIVE_DEFAULT_PARTITION__/`, the folder name Hive, Glue and Spark use for a
null partition value: the crawler still sees them, as rows with a null dt, and the ETL can
quarantine them. Nothing is dropped.

Object names depend only on --seed and --start, so a rerun with the same arguments replaces
its own files instead of adding duplicates. Progress goes to stderr; the final summary is one
JSON object on stdout. Exit status: 0 on success, 1 on an S3 or file error, 2 on bad arguments.

The generator is importable from here too: `from tools.sample_events import generate_events`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from tools.cli_common import (
    Progress,
    add_aws_arguments,
    aware_timestamp,
    aws_client,
    describe_aws_error,
    fail,
    fraction,
    non_negative_int,
    positive_int,
)
from tools.event_generator import GeneratedEvent, MalformedKind, generate_events

__all__ = ["GeneratedEvent", "MalformedKind", "generate_events", "main", "write_landing_files"]

PROG = "sample_events"
DEFAULT_PREFIX = "landing/events"
UNDATED_PARTITION = "__HIVE_DEFAULT_PARTITION__"
DEFAULT_RECORDS_PER_FILE = 50_000


class SinkError(RuntimeError):
    """Writing one object failed; the message names the destination and the cause."""


class Sink(Protocol):
    def put(self, key: str, body: bytes) -> None: ...

    def location(self, key: str) -> str: ...


class S3Sink:
    def __init__(self, client: BaseClient, bucket: str) -> None:
        self.client, self.bucket = client, bucket

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def put(self, key: str, body: bytes) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/gzip"
            )
        except (BotoCoreError, ClientError) as error:
            raise SinkError(
                f"PutObject {self.location(key)} failed: {describe_aws_error(error)}"
            ) from error


class LocalDirSink:
    def __init__(self, root: Path) -> None:
        self.root = root

    def location(self, key: str) -> str:
        return str(self.root / key)

    def put(self, key: str, body: bytes) -> None:
        path = self.root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        except OSError as error:
            raise SinkError(f"writing {path} failed: {error.strerror or error}") from error


@dataclass
class WriteSummary:
    destination: str
    records: int = 0
    files: int = 0
    malformed: int = 0
    late: int = 0
    undated: int = 0
    partitions: dict[str, int] = field(default_factory=dict)
    malformed_by_kind: dict[str, int] = field(default_factory=dict)


def partition_of(event: GeneratedEvent) -> str:
    date = event.event_date
    return f"dt={date.isoformat()}" if date is not None else f"dt={UNDATED_PARTITION}"


def run_name(seed: int, start: datetime) -> str:
    return f"events-{start.astimezone(UTC):%Y%m%dT%H%M%SZ}-seed{seed}"


def _gzip_lines(lines: list[bytes]) -> bytes:
    # mtime=0 makes the bytes depend on content only: same seed, same objects.
    return gzip.compress(b"\n".join(lines) + b"\n", mtime=0)


def write_landing_files(
    events: Iterable[GeneratedEvent],
    sink: Sink,
    *,
    prefix: str,
    run: str,
    records_per_file: int = DEFAULT_RECORDS_PER_FILE,
    progress: Progress | None = None,
) -> WriteSummary:
    """Group `events` by partition into gzip JSON-lines objects under `prefix`."""
    summary = WriteSummary(destination=sink.location(prefix))
    buffers: dict[str, list[bytes]] = {}
    parts: dict[str, int] = {}

    def flush(partition: str) -> None:
        lines = buffers.pop(partition)
        part = parts.get(partition, 0)
        parts[partition] = part + 1
        key = f"{prefix}/{partition}/{run}-{part:05d}.json.gz"
        try:
            sink.put(key, _gzip_lines(lines))
        except SinkError as error:
            raise SinkError(f"{error} ({summary.files} files were written before it)") from error
        summary.files += 1

    for event in events:
        partition = partition_of(event)
        buffers.setdefault(partition, []).append(event.payload)
        summary.records += 1
        summary.partitions[partition] = summary.partitions.get(partition, 0) + 1
        summary.late += event.late
        summary.undated += event.event_date is None
        if event.malformed is not None:
            summary.malformed += 1
            kind = str(event.malformed)
            summary.malformed_by_kind[kind] = summary.malformed_by_kind.get(kind, 0) + 1
        if len(buffers[partition]) >= records_per_file:
            flush(partition)
        if progress is not None:
            progress.advance()
    for partition in sorted(buffers):
        flush(partition)
    summary.partitions = dict(sorted(summary.partitions.items()))
    summary.malformed_by_kind = dict(sorted(summary.malformed_by_kind.items()))
    return summary


def _prefix(text: str) -> str:
    cleaned = text.strip("/")
    if not cleaned or "//" in cleaned:
        raise argparse.ArgumentTypeError(f"must be a non-empty S3 key prefix, got {text!r}")
    return cleaned


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m tools.{PROG}",
        description="Write generated events as gzip JSON lines to the raw zone's landing area.",
    )
    parser.add_argument("--bucket", help="raw zone bucket (required unless --dry-run)")
    parser.add_argument("--prefix", type=_prefix, default=DEFAULT_PREFIX, help="key prefix")
    add_aws_arguments(parser)
    parser.add_argument("--count", type=positive_int, default=1000, help="records to write")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--malformed-rate", type=fraction, default=0.03)
    parser.add_argument("--late-rate", type=fraction, default=0.05)
    parser.add_argument(
        "--start",
        type=aware_timestamp,
        help="emit time of the first event, ISO 8601 with offset (default: now)",
    )
    parser.add_argument("--records-per-file", type=positive_int, default=DEFAULT_RECORDS_PER_FILE)
    parser.add_argument(
        "--progress-every",
        type=non_negative_int,
        default=10_000,
        help="report progress to stderr every N records (0: never)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="write to --output-dir instead of S3"
    )
    parser.add_argument("--output-dir", type=Path, default=Path(".local/sample-events"))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.dry_run and not args.bucket:
        parser.error("--bucket is required unless --dry-run is given")

    start = args.start or datetime.now(UTC).replace(microsecond=0)
    try:
        sink: Sink = (
            LocalDirSink(args.output_dir)
            if args.dry_run
            else S3Sink(
                aws_client("s3", region=args.region, endpoint=args.endpoint_url), args.bucket
            )
        )
    except BotoCoreError as error:
        return fail(PROG, f"cannot create an S3 client: {describe_aws_error(error)}")

    events = generate_events(
        args.count,
        seed=args.seed,
        malformed_rate=args.malformed_rate,
        late_rate=args.late_rate,
        start=start,
    )
    progress = Progress(PROG, args.count, args.progress_every) if args.progress_every > 0 else None
    try:
        summary = write_landing_files(
            events,
            sink,
            prefix=args.prefix,
            run=run_name(args.seed, start),
            records_per_file=args.records_per_file,
            progress=progress,
        )
    except SinkError as error:
        return fail(PROG, str(error))
    print(json.dumps(asdict(summary), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
