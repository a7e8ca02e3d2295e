"""`python -m tools.produce`: PutRecords batching, pacing and retries against moto's Kinesis."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.events_testkit import assert_usage_error, stream_payloads
from tools import produce
from tools.event_generator import generate_events
from tools.produce import Entry, Producer, RatePacer, RetryPolicy, batches, entries_of

STREAM = "events"
START = "2026-11-15T12:00:00Z"


@pytest.fixture
def kinesis() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("kinesis", region_name="us-east-1")
        client.create_stream(StreamName=STREAM, ShardCount=2)
        yield client


def expected_payloads(count: int, seed: int = 1) -> list[bytes]:
    start = produce.aware_timestamp(START)
    return [event.payload for event in generate_events(count, seed=seed, start=start)]


class FlakyPutRecords:
    """Wraps put_records so the records at `fail_indexes` of the first call are throttled.

    With `always`, those same records are throttled on every later call too. The others
    really reach the (moto) stream, as they would on a partial failure.
    """

    def __init__(self, client: Any, fail_indexes: set[int], always: bool = False) -> None:
        self.real = client.put_records
        self.fail_indexes, self.always = fail_indexes, always
        self.failing: set[bytes] = set()
        self.calls: list[list[bytes]] = []
        client.put_records = self

    def __call__(self, **kwargs: Any) -> dict[str, Any]:
        stream, records = kwargs["StreamName"], kwargs["Records"]
        self.calls.append([record["Data"] for record in records])
        if len(self.calls) == 1:
            self.failing = {records[i]["Data"] for i in self.fail_indexes}
        elif not self.always:
            return self.real(StreamName=stream, Records=records)
        passing = [r for r in records if r["Data"] not in self.failing]
        written = self.real(StreamName=stream, Records=passing)["Records"] if passing else []
        written_results = iter(written)
        results = [
            {
                "ErrorCode": "ProvisionedThroughputExceededException",
                "ErrorMessage": "Rate exceeded for shard shardId-000000000000",
            }
            if record["Data"] in self.failing
            else next(written_results)
            for record in records
        ]
        return {"FailedRecordCount": len(records) - len(passing), "Records": results}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = produce.main(["--stream", STREAM, "--start", START, *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else {}, captured.err


def test_sends_every_record_to_the_stream(
    kinesis: Any, no_sleep: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary, err = run_cli(
        capsys, "--rate", "100", "--count", "250", "--progress-every", "100"
    )
    assert code == 0, err
    assert (summary["sent"], summary["retried"], summary["failed"]) == (250, 0, 0)
    assert summary["calls"] == 3  # batches of ceil(rate) = 100 records
    assert sorted(stream_payloads(kinesis, STREAM)) == sorted(expected_payloads(250))
    assert "[produce] 200/250 records (80%)" in err
    # Pacing: each 100-record batch after the first waits one second.
    assert no_sleep == [pytest.approx(1.0), pytest.approx(1.0)]
    assert summary["elapsed_s"] == pytest.approx(2.0)


def test_partition_key_is_the_user_id(kinesis: Any, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str, bytes]] = []
    real = kinesis.put_records

    def recording(**kwargs: Any) -> dict[str, Any]:
        seen.extend((r["PartitionKey"], r["Data"]) for r in kwargs["Records"])
        return real(**kwargs)

    kinesis.put_records = recording
    producer = Producer(kinesis, STREAM, pacer=RatePacer(1e9), retry=RetryPolicy())
    events = list(generate_events(50, seed=2, malformed_rate=0))
    producer.run(entries_of(events), batch_records=500)
    assert [key for key, _ in seen] == [json.loads(e.payload)["user_id"] for e in events]


def test_throttled_records_and_only_those_are_resent(kinesis: Any, no_sleep: list[float]) -> None:
    flaky = FlakyPutRecords(kinesis, fail_indexes={1, 4, 7})
    producer = Producer(
        kinesis, STREAM, pacer=RatePacer(1e9), retry=RetryPolicy(), rng=random.Random(0)
    )
    events = list(generate_events(10, seed=3))
    summary = producer.run(entries_of(events), batch_records=500)

    first, second = flaky.calls
    assert second == [first[1], first[4], first[7]]
    assert (summary.sent, summary.retried, summary.failed, summary.calls) == (10, 3, 0, 2)
    assert sorted(stream_payloads(kinesis, STREAM)) == sorted(e.payload for e in events)
    assert len(no_sleep) == 1
    assert 0 <= no_sleep[0] <= RetryPolicy().base_delay_s


def test_undeliverable_records_exit_non_zero_and_say_how_many(
    kinesis: Any,
    no_sleep: list[float],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flaky = FlakyPutRecords(kinesis, fail_indexes={0, 5}, always=True)
    monkeypatch.setattr(produce, "aws_client", lambda service, **_: kinesis)
    code, summary, err = run_cli(
        capsys, "--rate", "1000", "--count", "20", "--max-attempts", "4", "--progress-every", "0"
    )
    assert code == 1
    assert (summary["sent"], summary["failed"], summary["retried"]) == (18, 2, 6)
    assert len(flaky.calls) == 4
    assert "produce: error: 2 of 20 records could not be delivered after 4 attempts" in err
    assert "ProvisionedThroughputExceededException" in err
    assert len(stream_payloads(kinesis, STREAM)) == 18


def test_throttled_call_is_retried_whole(kinesis: Any, no_sleep: list[float]) -> None:
    real = kinesis.put_records
    calls: list[int] = []

    def throttled_once(**kwargs: Any) -> dict[str, Any]:
        calls.append(len(kwargs["Records"]))
        if len(calls) == 1:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                "PutRecords",
            )
        return real(**kwargs)

    kinesis.put_records = throttled_once
    producer = Producer(kinesis, STREAM, pacer=RatePacer(1e9), retry=RetryPolicy())
    summary = producer.run(entries_of(generate_events(5, seed=4)), batch_records=500)
    assert calls == [5, 5]
    assert (summary.sent, summary.retried, summary.failed) == (5, 5, 0)


def test_missing_stream_stops_with_one_clear_line(
    kinesis: Any, no_sleep: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    code = produce.main(["--stream", "nope", "--rate", "50", "--count", "120"])
    err = capsys.readouterr().err
    assert code == 1
    [line] = err.strip().splitlines()
    assert "produce: error: PutRecords to stream 'nope' failed: ResourceNotFoundException" in line
    assert line.endswith("120 of 120 records not delivered")


def test_batches_respect_record_and_byte_limits() -> None:
    small = [Entry(b"x" * 10, "k")] * 1201
    assert [len(b) for b in batches(small)] == [500, 500, 201]
    big = [Entry(b"x" * (1024 * 1024 - 1), "k")] * 11  # 1 MiB each with the key
    sizes = [sum(e.size for e in batch) for batch in batches(big)]
    assert [len(b) for b in batches(big)] == [5, 5, 1]
    assert max(sizes) <= produce.MAX_BYTES_PER_CALL
    assert [len(b) for b in batches(small[:7], max_records=3)] == [3, 3, 1]
    with pytest.raises(ValueError, match="at most 1048576"):
        list(batches([Entry(b"x" * (1024 * 1024), "key")]))


def test_backoff_is_exponential_with_full_jitter_and_a_cap() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay_s=0.1, max_delay_s=2.0)
    rng = random.Random(1)
    caps = [min(2.0, 0.1 * 2 ** (attempt - 1)) for attempt in range(1, 10)]
    for attempt, cap in enumerate(caps, start=1):
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(0 <= delay <= cap for delay in delays)
        assert max(delays) > 0.8 * cap, "jitter spans the whole range up to the cap"
    assert caps[-1] == 2.0


def test_pacer_holds_the_average_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = RatePacer(rate=50, clock=lambda: now[0], sleep=sleep)
    for _ in range(10):
        pacer.acquire(25)
    assert now[0] == pytest.approx(9 * 0.5)  # 250 records at 50/s, the first batch at once
    assert slept == [pytest.approx(0.5)] * 9


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--rate", "10", "--count", "5"], "--stream"),
        (["--stream", "s", "--count", "5"], "--rate"),
        (["--stream", "s", "--rate", "0", "--count", "5"], "argument --rate"),
        (["--stream", "s", "--rate", "-1", "--count", "5"], "argument --rate"),
        (["--stream", "s", "--rate", "5", "--count", "0"], "argument --count"),
        (["--stream", "s", "--rate", "5", "--count", "5", "--malformed-rate", "7"],
         "argument --malformed-rate"),
        (["--stream", "s", "--rate", "5", "--count", "5", "--max-attempts", "0"],
         "argument --max-attempts"),
        (["--stream", "s", "--rate", "5", "--count", "5", "--endpoint-url", "ftp://x"],
         "argument --endpoint-url"),
    ],
)  # fmt: skip
def test_bad_arguments_name_the_flag(
    args: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_usage_error(produce.main, args, flag, capsys)
