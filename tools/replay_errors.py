r"""Send the records Firehose wrote under an S3 error prefix back into a Kinesis data stream.

    python -m tools.replay_errors --bucket BUCKET --stream STREAM \
        --prefix errors/processing-failed/dt=2026-11-20/ \
        [--rate 500] [--max-attempts 8] [--dry-run] [--endpoint-url URL] [--region R]

* Every object under --prefix is read, in key order, so two runs send the same records in the
  same order. An object is JSON lines, gzip-compressed or not (told apart by the gzip magic
  bytes 1f 8b), one error document per failed record; blank lines are ignored.
* Each document's `rawData` (base64) holds the record: the producer's original bytes for
  processing-failed documents, the transformed record for format-conversion-failed ones. Those
  bytes are sent unchanged. The partition key is a hash of them (see `partition_key`).
* Sending is tools.produce's: batches within the PutRecords limits, paced at --rate records per
  second, throttled records resent with exponential backoff up to --max-attempts sends. Any
  other AWS error from Kinesis stops the run. Delivery is at least once, so consumers
  deduplicate on event_id.
* Every document is accounted for. A line that is not a JSON object with a base64 string in
  `rawData` is reported on stderr with its object key and line number and counted as
  `unreadable`; a record too large for Kinesis is reported the same way and counted as
  `too_large`; an object that cannot be read or decompressed is reported and counted in
  `unreadable_objects`. None of these is sent, and each makes the run exit 1. The other records
  are still sent.
* --dry-run reads and decodes everything and reports the counts without sending anything.
* A prefix with no objects under it is not an error: stderr says so and the run exits 0. An
  empty --prefix is refused (it would replay the whole bucket).

Progress (one line per object) and errors go to stderr; the summary is one JSON object on
stdout: bucket, prefix, dry_run, objects (listed), objects_read, unreadable_objects, documents,
unreadable, too_large, bytes (the size of the records to send), then the producer's stream,
records, sent, retried, failed, calls, elapsed_s and last_error.
Exit status: 0 when every document was read and every record delivered (with --dry-run: when
every document could be sent); 1 when some document was unreadable or too large, an object or
the bucket could not be read, or some record was not delivered (stderr says which); 2 on bad
arguments.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import hashlib
import json
import math
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from tools.cli_common import (
    add_aws_arguments,
    aws_client,
    describe_aws_error,
    fail,
    positive_float,
)
from tools.produce import (
    MAX_BYTES_PER_RECORD,
    MAX_RECORDS_PER_CALL,
    Entry,
    ProduceAbortedError,
    Producer,
    ProduceSummary,
    RatePacer,
    RetryPolicy,
    add_max_attempts_argument,
)

PROG = "replay_errors"
GZIP_MAGIC = b"\x1f\x8b"
PARTITION_KEY_CHARS = 16  # 64 bits of the hash: plenty to spread over any number of shards


@dataclass
class ReadSummary:
    bucket: str
    prefix: str
    dry_run: bool = False
    objects: int = 0
    objects_read: int = 0
    unreadable_objects: int = 0
    documents: int = 0
    unreadable: int = 0
    too_large: int = 0
    bytes: int = 0


class UnreadableDocumentError(ValueError):
    """An error document from which no record can be taken; the message says why."""


def partition_key(data: bytes) -> str:
    """A stable key for a replayed record: the start of the hex SHA-256 of its bytes.

    The error document does not keep the record's original partition key, so the per-user
    shard (and order) of the first send cannot be restored. A constant key would put the whole
    replay on one shard and be throttled at that shard's 1,000 records/s; a random one would
    send the same record to a different shard on each run. A hash of the bytes spreads records
    evenly over the shards and gives the same key every time.
    """
    return hashlib.sha256(data).hexdigest()[:PARTITION_KEY_CHARS]


def decompress(body: bytes) -> bytes:
    """The object's JSON lines: gunzipped when the body starts with the gzip magic bytes."""
    return gzip.decompress(body) if body[:2] == GZIP_MAGIC else body


def record_data(line: bytes) -> bytes:
    """The record bytes in one error document's `rawData`, or UnreadableDocumentError."""
    try:
        document = json.loads(line)
    except ValueError as error:  # JSONDecodeError, or UnicodeDecodeError for bad bytes
        raise UnreadableDocumentError(f"not JSON ({error})") from None
    if not isinstance(document, dict):
        raise UnreadableDocumentError(f"not a JSON object but {type(document).__name__}")
    raw = document.get("rawData")
    if raw is None:
        raise UnreadableDocumentError("no rawData")
    if not isinstance(raw, str):
        raise UnreadableDocumentError(f"rawData is {type(raw).__name__}, not a base64 string")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as error:
        raise UnreadableDocumentError(f"rawData is not valid base64 ({error})") from None


def list_error_objects(s3: BaseClient, bucket: str, prefix: str) -> list[str]:
    """Every object key under the prefix, sorted, so that runs are deterministic.

    General purpose buckets list in key order already; directory buckets do not.
    """
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return sorted(keys)


def _report(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


class ErrorPrefixReader:
    """Reads error objects one at a time and yields their records as Kinesis entries.

    Counts go to `summary` as it reads; problems are reported through `report` (stderr).
    """

    def __init__(
        self,
        s3: BaseClient,
        summary: ReadSummary,
        *,
        report: Callable[[str], None] = _report,
        on_object: Callable[[int, str, int], None] | None = None,
    ) -> None:
        self.s3, self.summary, self.report = s3, summary, report
        self.on_object = on_object

    def _body(self, key: str) -> bytes | None:
        where = f"s3://{self.summary.bucket}/{key}"
        try:
            body = self.s3.get_object(Bucket=self.summary.bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as error:
            self.report(f"{where}: cannot read the object: {describe_aws_error(error)}")
            return None
        try:
            return decompress(body)
        except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError
            self.report(f"{where}: cannot decompress the object: {error}")
            return None

    def _entries_of(self, key: str, text: bytes) -> Iterator[Entry]:
        for number, line in enumerate(text.split(b"\n"), start=1):
            if not line.strip():
                continue
            self.summary.documents += 1
            try:
                data = record_data(line)
            except UnreadableDocumentError as error:
                self.summary.unreadable += 1
                self.report(f"{key} line {number}: unreadable document: {error}")
                continue
            entry = Entry(data, partition_key(data))
            if entry.size > MAX_BYTES_PER_RECORD:
                self.summary.too_large += 1
                self.report(
                    f"{key} line {number}: record is {entry.size} bytes with its partition key; "
                    f"Kinesis accepts at most {MAX_BYTES_PER_RECORD}"
                )
                continue
            self.summary.bytes += len(data)
            yield entry

    def entries(self, keys: list[str]) -> Iterator[Entry]:
        for index, key in enumerate(keys, start=1):
            text = self._body(key)
            if text is None:
                self.summary.unreadable_objects += 1
                continue
            before = self.summary.documents
            yield from self._entries_of(key, text)
            self.summary.objects_read += 1
            if self.on_object is not None:
                self.on_object(index, key, self.summary.documents - before)


def non_empty_prefix(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "must not be empty: that would replay the whole bucket; "
            "give the error prefix, e.g. errors/processing-failed/dt=2026-11-20/"
        )
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m tools.{PROG}",
        description="Send the records Firehose wrote under an S3 error prefix back into a "
        "Kinesis data stream.",
    )
    parser.add_argument("--bucket", required=True, help="bucket that holds the error objects")
    parser.add_argument(
        "--prefix",
        type=non_empty_prefix,
        required=True,
        help="key prefix of the error objects, e.g. errors/processing-failed/dt=2026-11-20/",
    )
    parser.add_argument("--stream", required=True, help="Kinesis data stream name")
    add_aws_arguments(parser)
    parser.add_argument(
        "--rate", type=positive_float, default=500.0, help="records per second (default 500)"
    )
    add_max_attempts_argument(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="read and decode everything and report the counts; send nothing",
    )
    return parser


def _print_summary(read: ReadSummary, produced: ProduceSummary) -> None:
    summary: dict[str, Any] = {**asdict(read), **asdict(produced)}
    print(json.dumps(summary, separators=(",", ":")))


def _progress(total: int, producer: Producer | None) -> Callable[[int, str, int], None]:
    def report(index: int, key: str, documents: int) -> None:
        sent = f"; {producer.summary.sent} records sent so far" if producer is not None else ""
        print(
            f"[{PROG}] {index}/{total} objects: {key}: {documents} documents{sent}",
            file=sys.stderr,
            flush=True,
        )

    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    read = ReadSummary(bucket=args.bucket, prefix=args.prefix, dry_run=args.dry_run)
    try:
        s3 = aws_client("s3", region=args.region, endpoint=args.endpoint_url)
        kinesis = aws_client("kinesis", region=args.region, endpoint=args.endpoint_url)
    except BotoCoreError as error:
        return fail(PROG, f"cannot create an AWS client: {describe_aws_error(error)}")

    producer = Producer(
        kinesis,
        args.stream,
        pacer=RatePacer(args.rate),
        retry=RetryPolicy(max_attempts=args.max_attempts),
    )
    try:
        keys = list_error_objects(s3, args.bucket, args.prefix)
    except (ClientError, BotoCoreError) as error:
        _print_summary(read, producer.summary)
        return fail(
            PROG, f"cannot list s3://{args.bucket}/{args.prefix}: {describe_aws_error(error)}"
        )
    read.objects = len(keys)
    if not keys:
        _print_summary(read, producer.summary)
        _report(f"no objects under s3://{args.bucket}/{args.prefix}; nothing to replay")
        return 0

    reader = ErrorPrefixReader(
        s3, read, on_object=_progress(len(keys), None if args.dry_run else producer)
    )
    entries = reader.entries(keys)
    if args.dry_run:
        producer.summary.records = sum(1 for _ in entries)
    else:
        batch_records = min(MAX_RECORDS_PER_CALL, max(1, math.ceil(args.rate)))
        try:
            producer.run(entries, batch_records)
        except ProduceAbortedError as error:
            summary = producer.summary
            summary.failed = summary.records - summary.sent
            _print_summary(read, summary)
            return fail(
                PROG,
                f"{error}; {summary.sent} records sent, {summary.failed} not delivered, "
                f"{read.objects - read.objects_read - read.unreadable_objects} of "
                f"{read.objects} objects not read",
            )
    _print_summary(read, producer.summary)
    return _exit_status(read, producer.summary, args)


def _exit_status(read: ReadSummary, produced: ProduceSummary, args: argparse.Namespace) -> int:
    status = 0
    where = f"s3://{read.bucket}/{read.prefix}"
    if read.unreadable_objects:
        status = fail(
            PROG, f"{read.unreadable_objects} of {read.objects} objects under {where} unreadable"
        )
    if read.unreadable or read.too_large:
        status = fail(
            PROG,
            f"{read.unreadable} unreadable and {read.too_large} too large of {read.documents} "
            f"documents under {where} (listed above); "
            f"{'they would not be sent' if args.dry_run else 'they were not sent'}",
        )
    if produced.failed:
        status = fail(
            PROG,
            f"{produced.failed} of {produced.records} records could not be delivered after "
            f"{args.max_attempts} attempts (last error: {produced.last_error})",
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
