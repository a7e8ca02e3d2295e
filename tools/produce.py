"""Send generated `events` to a Kinesis data stream with PutRecords, at a steady rate.

    python -m tools.produce --stream events --rate 200 --count 10000 [--endpoint-url URL]

* Batches respect the PutRecords limits (500 records, 5 MiB per call) and hold at most about
  one second of records at the requested rate, so the rate is smooth rather than bursty.
* The partition key is the user id, so one user's events stay in order on one shard.
* Records the stream rejects (FailedRecordCount > 0, a per-record ErrorCode such as
  ProvisionedThroughputExceededException) are resent, and only those, after an exponential
  backoff with full jitter, up to --max-attempts sends per record. A throttled call is retried
  the same way. Delivery is at least once: a call that times out may have written its records,
  so consumers deduplicate on event_id.
* Any other AWS error (no such stream, access denied) stops the run: the records not yet
  delivered are counted as failed.

Progress goes to stderr; the summary (sent, retried, failed) is one JSON object on stdout.
Exit status: 0 when every record was delivered; 1 when some were not (stderr says how many);
2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

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
    positive_float,
    positive_int,
)
from tools.event_generator import GeneratedEvent, generate_events

PROG = "produce"
MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_BYTES_PER_RECORD = 1024 * 1024  # data plus partition key
# Call-level errors worth waiting out; anything else means the run cannot succeed.
RETRYABLE_CALL_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "KMSThrottlingException",
        "LimitExceededException",
        "ThrottlingException",
        "InternalFailure",
        "ServiceUnavailable",
    }
)


@dataclass(frozen=True)
class Entry:
    data: bytes
    partition_key: str

    @property
    def size(self) -> int:
        return len(self.data) + len(self.partition_key.encode("utf-8"))


@dataclass
class ProduceSummary:
    stream: str
    records: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    calls: int = 0
    elapsed_s: float = 0.0
    last_error: str | None = None


class ProduceAbortedError(RuntimeError):
    """A non-retryable AWS error; the run cannot deliver anything more."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay_s: float = 0.1
    max_delay_s: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))


class RatePacer:
    """Spaces sends so that, over the run, no more than `rate` records go out per second."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.rate = rate
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self._next_send = self.clock()

    def acquire(self, records: int) -> None:
        now = self.clock()
        if self._next_send > now:
            self.sleep(self._next_send - now)
            now = self._next_send
        self._next_send = now + records / self.rate


def batches(
    entries: Iterable[Entry],
    max_records: int = MAX_RECORDS_PER_CALL,
    max_bytes: int = MAX_BYTES_PER_CALL,
) -> Iterator[list[Entry]]:
    """Group entries into PutRecords calls within both the record and the byte limit."""
    batch: list[Entry] = []
    size = 0
    for entry in entries:
        if entry.size > MAX_BYTES_PER_RECORD:
            raise ValueError(
                f"record for partition key {entry.partition_key!r} is {entry.size} bytes; "
                f"Kinesis accepts at most {MAX_BYTES_PER_RECORD}"
            )
        if batch and (len(batch) >= max_records or size + entry.size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += entry.size
    if batch:
        yield batch


def entries_of(events: Iterable[GeneratedEvent]) -> Iterator[Entry]:
    return (Entry(event.payload, event.partition_key) for event in events)


class Producer:
    def __init__(
        self,
        client: BaseClient,
        stream: str,
        *,
        pacer: RatePacer,
        retry: RetryPolicy,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.client, self.stream = client, stream
        self.pacer, self.retry = pacer, retry
        self.rng = rng or random.Random()
        self.sleep = sleep or time.sleep
        self.progress = progress
        self.summary = ProduceSummary(stream=stream)

    def _put(self, pending: list[Entry]) -> list[Entry]:
        """One PutRecords call; returns the entries that must be sent again."""
        self.summary.calls += 1
        try:
            response = self.client.put_records(
                StreamName=self.stream,
                Records=[{"Data": e.data, "PartitionKey": e.partition_key} for e in pending],
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            self.summary.last_error = describe_aws_error(error)
            if code in RETRYABLE_CALL_ERRORS:
                return pending
            raise ProduceAbortedError(
                f"PutRecords to stream {self.stream!r} failed: {self.summary.last_error}"
            ) from error
        except BotoCoreError as error:
            self.summary.last_error = describe_aws_error(error)
            raise ProduceAbortedError(
                f"PutRecords to stream {self.stream!r} failed: {self.summary.last_error}"
            ) from error

        if not response.get("FailedRecordCount"):
            return []
        failed = []
        for entry, result in zip(pending, response["Records"], strict=True):
            if result.get("ErrorCode"):
                failed.append(entry)
                self.summary.last_error = (
                    f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}".rstrip(": ")
                )
        return failed

    def send(self, batch: list[Entry]) -> None:
        pending = batch
        for attempt in range(1, self.retry.max_attempts + 1):
            self.pacer.acquire(len(pending))
            failed = self._put(pending)
            delivered = len(pending) - len(failed)
            self.summary.sent += delivered
            if self.progress is not None and delivered:
                self.progress.advance(delivered)
            if not failed:
                return
            if attempt == self.retry.max_attempts:
                self.summary.failed += len(failed)
                return
            self.summary.retried += len(failed)
            self.sleep(self.retry.delay(attempt, self.rng))
            pending = failed

    def run(self, entries: Iterable[Entry], batch_records: int) -> ProduceSummary:
        started = time.monotonic()
        try:
            for batch in batches(entries, max_records=batch_records):
                self.summary.records += len(batch)
                self.send(batch)
        finally:
            self.summary.elapsed_s = round(time.monotonic() - started, 3)
        return self.summary


def add_max_attempts_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-attempts",
        type=positive_int,
        default=RetryPolicy.max_attempts,
        help=f"sends per record before it counts as failed (default {RetryPolicy.max_attempts})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m tools.{PROG}",
        description="Send generated events to a Kinesis data stream at a steady rate.",
    )
    parser.add_argument("--stream", required=True, help="Kinesis data stream name")
    add_aws_arguments(parser)
    parser.add_argument("--rate", type=positive_float, required=True, help="records per second")
    parser.add_argument("--count", type=positive_int, required=True, help="records to send")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--malformed-rate", type=fraction, default=0.03)
    parser.add_argument("--late-rate", type=fraction, default=0.05)
    parser.add_argument(
        "--start",
        type=aware_timestamp,
        help="emit time of the first event, ISO 8601 with offset (default: now)",
    )
    add_max_attempts_argument(parser)
    parser.add_argument(
        "--progress-every",
        type=non_negative_int,
        default=1000,
        help="report progress to stderr every N records (0: never)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        client = aws_client("kinesis", region=args.region, endpoint=args.endpoint_url)
    except BotoCoreError as error:
        return fail(PROG, f"cannot create a Kinesis client: {describe_aws_error(error)}")

    events = generate_events(
        args.count,
        seed=args.seed,
        malformed_rate=args.malformed_rate,
        late_rate=args.late_rate,
        start=args.start or datetime.now(UTC).replace(microsecond=0),
    )
    progress = Progress(PROG, args.count, args.progress_every) if args.progress_every > 0 else None
    producer = Producer(
        client,
        args.stream,
        pacer=RatePacer(args.rate),
        retry=RetryPolicy(max_attempts=args.max_attempts),
        progress=progress,
    )
    batch_records = min(MAX_RECORDS_PER_CALL, max(1, math.ceil(args.rate)))
    try:
        summary = producer.run(entries_of(events), batch_records)
    except ProduceAbortedError as error:
        summary = producer.summary
        summary.failed = args.count - summary.sent
        print(json.dumps(asdict(summary), separators=(",", ":")))
        return fail(PROG, f"{error}; {summary.failed} of {args.count} records not delivered")
    print(json.dumps(asdict(summary), separators=(",", ":")))
    if summary.failed:
        return fail(
            PROG,
            f"{summary.failed} of {summary.records} records could not be delivered after "
            f"{args.max_attempts} attempts (last error: {summary.last_error})",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
