"""`python -m tools.replay_errors`: error objects in moto's S3 sent back into moto's Kinesis."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.events_testkit import (
    ARRIVAL_MS,
    assert_usage_error,
    b64,
    stream_payloads,
    stream_records,
    valid_event,
)
from tools import produce, replay_errors
from tools.produce import RetryPolicy
from tools.replay_errors import (
    UnreadableDocumentError,
    decompress,
    list_error_objects,
    partition_key,
    record_data,
)

BUCKET = "dataplatform-dev-raw"
STREAM = "events"
PREFIX = "errors/processing-failed/dt=2026-11-20/"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:events-transform"

# What producers really send and the transform rejects: not UTF-8, not JSON, several lines,
# a valid-looking event, and an event missing a required field.
PAYLOADS = [
    b"\xff\xfe\x00not utf-8",
    b"{not json",
    b'{"event_id": "a"}\n{"event_id": "b"}\n',
    json.dumps(valid_event(event_id="11111111-1111-4111-8111-111111111111")).encode(),
    json.dumps(valid_event(user_id=...)).encode(),
]


def error_line(data: bytes, **overrides: Any) -> bytes:
    """One processing-failed document as Firehose writes it, newline-terminated."""
    document: dict[str, Any] = {
        "attemptsMade": 1,
        "arrivalTimestamp": ARRIVAL_MS,
        "errorCode": "Lambda.ProcessingFailedStatus",
        "errorMessage": "ProcessingFailed status set for record",
        "attemptEndingTimestamp": ARRIVAL_MS + 1500,
        "rawData": b64(data),
        "lambdaArn": LAMBDA_ARN,
    }
    document.update(overrides)
    return json.dumps(document).encode() + b"\n"


def error_object(payloads: list[bytes]) -> bytes:
    return b"".join(error_line(data) for data in payloads)


@pytest.fixture
def aws() -> Iterator[SimpleNamespace]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        kinesis.create_stream(StreamName=STREAM, ShardCount=2)
        yield SimpleNamespace(s3=s3, kinesis=kinesis)


@pytest.fixture
def same_clients(aws: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """main() uses the fixture's clients, so a test can wrap their methods."""
    monkeypatch.setattr(replay_errors, "aws_client", lambda service, **_: getattr(aws, service))
    return aws


def put(aws: SimpleNamespace, key: str, body: bytes) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=body)


class RecordingPutRecords:
    """Wraps put_records to keep each call's (partition key, data) pairs, in order."""

    def __init__(self, kinesis: Any) -> None:
        self.real = kinesis.put_records
        self.calls: list[list[tuple[str, bytes]]] = []
        kinesis.put_records = self

    def __call__(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append([(r["PartitionKey"], r["Data"]) for r in kwargs["Records"]])
        return self.real(**kwargs)

    @property
    def sent(self) -> list[tuple[str, bytes]]:
        return [pair for call in self.calls for pair in call]


def run_cli(
    capsys: pytest.CaptureFixture[str], *args: str, prefix: str = PREFIX
) -> tuple[int, dict[str, Any], str]:
    code = replay_errors.main(["--bucket", BUCKET, "--prefix", prefix, "--stream", STREAM, *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else {}, captured.err


def test_replays_plain_and_gzip_objects_byte_for_byte(
    aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, zipped = PAYLOADS[:2], PAYLOADS[2:]
    put(aws, f"{PREFIX}events-from-kinesis-1-2026-11-20-10-00-00-a", error_object(plain))
    put(
        aws,
        f"{PREFIX}events-from-kinesis-1-2026-11-20-11-00-00-b",
        gzip.compress(error_object(zipped)),
    )
    # Next to the prefix, not under it: never replayed.
    put(aws, "errors/processing-failed/dt=2026-11-21/x", error_object([b"next day"]))
    put(aws, "events/dt=2026-11-20/part.parquet", b"PAR1 not an error object")

    code, summary, err = run_cli(capsys)

    assert code == 0, err
    assert Counter(stream_payloads(aws.kinesis, STREAM)) == Counter(PAYLOADS)
    assert summary == {
        "bucket": BUCKET,
        "prefix": PREFIX,
        "dry_run": False,
        "objects": 2,
        "objects_read": 2,
        "unreadable_objects": 0,
        "documents": 5,
        "unreadable": 0,
        "too_large": 0,
        "bytes": sum(len(p) for p in PAYLOADS),
        "stream": STREAM,
        "records": 5,
        "sent": 5,
        "retried": 0,
        "failed": 0,
        "calls": 1,
        "elapsed_s": summary["elapsed_s"],
        "last_error": None,
    }
    assert "[replay_errors] 1/2 objects: " in err
    assert "-11-00-00-b: 3 documents" in err


def test_objects_are_read_in_key_order_and_keys_hash_the_bytes(
    same_clients: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    payloads = [f'{{"n": {n}}}'.encode() for n in range(60)]
    # Written newest key first: the listing order must not depend on the writes.
    for index in reversed(range(6)):
        put(
            same_clients,
            f"{PREFIX}obj-{index}",
            error_object(payloads[index * 10 : index * 10 + 10]),
        )
    recording = RecordingPutRecords(same_clients.kinesis)

    assert run_cli(capsys)[0] == 0
    first_run = recording.sent
    assert [data for _, data in first_run] == payloads
    assert [key for key, _ in first_run] == [
        hashlib.sha256(data).hexdigest()[:16] for data in payloads
    ]
    shards = stream_records(same_clients.kinesis, STREAM)
    assert all(len(records) > 5 for records in shards.values()), "spread over both shards"

    recording.calls.clear()
    assert run_cli(capsys)[0] == 0
    assert recording.sent == first_run, "a second run sends the same records in the same order"


def test_unreadable_documents_are_named_counted_and_fail_the_run(
    aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    key = f"{PREFIX}mixed"
    lines = [
        error_line(b"first good"),
        b"{truncated by a crash\n",
        json.dumps({"errorCode": "Lambda.ProcessingFailedStatus"}).encode() + b"\n",
        error_line(b"", rawData="not base64 at all!"),
        error_line(b"", rawData=12),
        b"[1, 2]\n",
        b"\n",  # blank: not a document
        error_line(b"second good"),
    ]
    put(aws, key, b"".join(lines))

    code, summary, err = run_cli(capsys)

    assert code == 1
    assert (summary["documents"], summary["unreadable"]) == (7, 5)
    assert (summary["records"], summary["sent"], summary["failed"]) == (2, 2, 0)
    assert sorted(stream_payloads(aws.kinesis, STREAM)) == [b"first good", b"second good"]
    assert f"replay_errors: {key} line 2: unreadable document: not JSON" in err
    assert f"replay_errors: {key} line 3: unreadable document: no rawData" in err
    assert f"replay_errors: {key} line 4: unreadable document: rawData is not valid base64" in err
    assert f"replay_errors: {key} line 5: unreadable document: rawData is int" in err
    assert f"replay_errors: {key} line 6: unreadable document: not a JSON object but list" in err
    assert "line 7" not in err
    assert "line 1:" not in err
    assert "line 8" not in err
    assert (
        f"replay_errors: error: 5 unreadable and 0 too large of 7 documents under "
        f"s3://{BUCKET}/{PREFIX} (listed above); they were not sent"
    ) in err


def test_dry_run_reads_everything_and_sends_nothing(
    same_clients: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    put(same_clients, f"{PREFIX}a", error_object(PAYLOADS[:3]))
    put(same_clients, f"{PREFIX}b.gz", gzip.compress(error_object(PAYLOADS[3:])))
    recording = RecordingPutRecords(same_clients.kinesis)

    code, summary, err = run_cli(capsys, "--dry-run")

    assert code == 0, err
    assert recording.calls == []
    assert stream_payloads(same_clients.kinesis, STREAM) == []
    assert summary["dry_run"] is True
    assert (summary["objects"], summary["objects_read"], summary["documents"]) == (2, 2, 5)
    assert summary["bytes"] == sum(len(p) for p in PAYLOADS)
    assert (summary["records"], summary["sent"], summary["calls"]) == (5, 0, 0)
    assert "records sent" not in err


def test_dry_run_reports_unreadable_documents_too(
    aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    put(aws, f"{PREFIX}a", error_line(b"ok") + b"garbage\n")
    code, summary, err = run_cli(capsys, "--dry-run")
    assert code == 1
    assert (summary["documents"], summary["unreadable"], summary["records"]) == (2, 1, 1)
    assert f"{PREFIX}a line 2: unreadable document: not JSON" in err
    assert "they would not be sent" in err
    assert stream_payloads(aws.kinesis, STREAM) == []


def test_prefix_without_objects_says_so_and_exits_0(
    aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    put(aws, f"{PREFIX}a", error_object([b"other day"]))
    empty = "errors/processing-failed/dt=2026-11-21/"
    code, summary, err = run_cli(capsys, prefix=empty)
    assert code == 0
    assert (summary["objects"], summary["documents"], summary["sent"]) == (0, 0, 0)
    assert err.strip() == (
        f"replay_errors: no objects under s3://{BUCKET}/{empty}; nothing to replay"
    )
    assert stream_payloads(aws.kinesis, STREAM) == []


def test_object_that_cannot_be_decompressed_is_reported_and_fails_the_run(
    aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    put(aws, f"{PREFIX}a-broken", b"\x1f\x8b\x08\x00 truncated gzip")
    put(aws, f"{PREFIX}b-good", error_object([b"still sent"]))
    code, summary, err = run_cli(capsys)
    assert code == 1
    assert (summary["objects"], summary["objects_read"], summary["unreadable_objects"]) == (2, 1, 1)
    assert stream_payloads(aws.kinesis, STREAM) == [b"still sent"]
    assert f"replay_errors: s3://{BUCKET}/{PREFIX}a-broken: cannot decompress the object" in err
    assert f"1 of 2 objects under s3://{BUCKET}/{PREFIX} unreadable" in err


def test_record_too_large_for_kinesis_is_reported_not_sent(
    aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    # Fits in 1 MiB alone, not with the 16-character partition key.
    big = b"x" * (produce.MAX_BYTES_PER_RECORD - 8)
    put(aws, f"{PREFIX}a", error_object([b"small", big]))
    code, summary, err = run_cli(capsys)
    assert code == 1
    assert (summary["documents"], summary["too_large"], summary["sent"]) == (2, 1, 1)
    assert summary["bytes"] == len(b"small")
    assert stream_payloads(aws.kinesis, STREAM) == [b"small"]
    assert f"{PREFIX}a line 2: record is {len(big) + 16} bytes with its partition key" in err


def test_throttled_records_are_resent_with_produces_retry(
    same_clients: SimpleNamespace, no_sleep: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    payloads = [f"record {n}".encode() for n in range(8)]
    put(same_clients, f"{PREFIX}a", error_object(payloads))
    real = same_clients.kinesis.put_records
    calls: list[list[bytes]] = []

    def throttle_first_two(**kwargs: Any) -> dict[str, Any]:
        records = kwargs["Records"]
        calls.append([r["Data"] for r in records])
        if len(calls) > 1:
            return real(**kwargs)
        written = iter(real(StreamName=STREAM, Records=records[2:])["Records"])
        throttled = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow"}
        results = [throttled, throttled] + [next(written) for _ in records[2:]]
        return {"FailedRecordCount": 2, "Records": results}

    same_clients.kinesis.put_records = throttle_first_two

    # A rate this high never waits for pacing, so the only sleep is the backoff.
    code, summary, err = run_cli(capsys, "--rate", "1000000000")

    assert code == 0, err
    assert calls[1] == payloads[:2]
    assert (summary["sent"], summary["retried"], summary["failed"], summary["calls"]) == (
        8,
        2,
        0,
        2,
    )
    assert Counter(stream_payloads(same_clients.kinesis, STREAM)) == Counter(payloads)
    assert len(no_sleep) == 1
    assert 0 <= no_sleep[0] <= RetryPolicy().base_delay_s


def test_undeliverable_records_exit_1_and_say_how_many(
    same_clients: SimpleNamespace, no_sleep: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    put(same_clients, f"{PREFIX}a", error_object([b"a", b"b", b"c"]))

    def always_throttled(**kwargs: Any) -> dict[str, Any]:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
            "PutRecords",
        )

    same_clients.kinesis.put_records = always_throttled
    code, summary, err = run_cli(capsys, "--max-attempts", "3")
    assert code == 1
    assert (summary["records"], summary["sent"], summary["failed"], summary["calls"]) == (
        3,
        0,
        3,
        3,
    )
    assert "replay_errors: error: 3 of 3 records could not be delivered after 3 attempts" in err


def test_missing_stream_stops_with_a_clear_line(
    aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    put(aws, f"{PREFIX}a", error_object([b"a", b"b"]))
    code = replay_errors.main(["--bucket", BUCKET, "--prefix", PREFIX, "--stream", "nope"])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out)["failed"] == 2
    [line] = [line for line in captured.err.splitlines() if "error:" in line]
    assert "PutRecords to stream 'nope' failed: ResourceNotFoundException" in line
    assert line.endswith("0 records sent, 2 not delivered, 0 of 1 objects not read")


def test_missing_bucket_stops_with_a_clear_line(
    aws: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    code = replay_errors.main(["--bucket", "nope", "--prefix", PREFIX, "--stream", STREAM])
    err = capsys.readouterr().err
    assert code == 1
    assert f"replay_errors: error: cannot list s3://nope/{PREFIX}: NoSuchBucket" in err


def test_listing_follows_pages_and_sorts_keys(aws: SimpleNamespace) -> None:
    keys = [f"{PREFIX}{n:05d}" for n in range(1003)]  # more than one 1,000-key page
    for key in reversed(keys):
        put(aws, key, b"")
    put(aws, "errors/processing-failed/dt=2026-11-200/not-this", b"")
    assert list_error_objects(aws.s3, BUCKET, PREFIX) == keys


def test_listing_is_sorted_whatever_order_the_pages_come_in() -> None:
    # S3 directory buckets do not list in key order.
    pages = [{"Contents": [{"Key": "p/b"}, {"Key": "p/d"}]}, {}, {"Contents": [{"Key": "p/a"}]}]
    calls: list[dict[str, str]] = []

    def paginate(**kwargs: str) -> list[dict[str, Any]]:
        calls.append(kwargs)
        return pages

    s3 = SimpleNamespace(get_paginator=lambda name: SimpleNamespace(paginate=paginate))
    assert list_error_objects(s3, "bucket", "p/") == ["p/a", "p/b", "p/d"]  # type: ignore[arg-type]
    assert calls == [{"Bucket": "bucket", "Prefix": "p/"}]


@pytest.mark.parametrize("prefix", ["", "   "])
def test_empty_prefix_is_refused(prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        replay_errors.main(["--bucket", BUCKET, "--prefix", prefix, "--stream", STREAM])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --prefix: must not be empty: that would replay the whole bucket" in err


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--prefix", PREFIX, "--stream", STREAM], "--bucket"),
        (["--bucket", BUCKET, "--stream", STREAM], "--prefix"),
        (["--bucket", BUCKET, "--prefix", PREFIX], "--stream"),
        (["--bucket", BUCKET, "--prefix", PREFIX, "--stream", STREAM, "--rate", "0"],
         "argument --rate"),
        (["--bucket", BUCKET, "--prefix", PREFIX, "--stream", STREAM, "--max-attempts", "0"],
         "argument --max-attempts"),
        (["--bucket", BUCKET, "--prefix", PREFIX, "--stream", STREAM, "--endpoint-url", "x"],
         "argument --endpoint-url"),
    ],
)  # fmt: skip
def test_bad_arguments_name_the_flag(
    args: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_usage_error(replay_errors.main, args, flag, capsys)


def test_record_data_is_the_decoded_raw_data_and_nothing_else() -> None:
    data = bytes(range(256))
    assert record_data(error_line(data).rstrip(b"\n")) == data
    conversion_failed = {"errorCode": "DataFormatConversion.Malformed", "rawData": b64(b"{}")}
    assert record_data(json.dumps(conversion_failed).encode()) == b"{}"
    for bad, reason in [
        (b"\xff{}", "not JSON"),
        (b'"rawData"', "not a JSON object but str"),
        (b'{"rawData": null}', "no rawData"),
        (b'{"rawData": "YWJj"}x', "not JSON"),
        (b'{"rawData": "YWJ"}', "not valid base64"),
        (b'{"rawData": "YW Jj"}', "not valid base64"),
        (b'{"rawData": "\\u00e9"}', "not valid base64"),
    ]:
        with pytest.raises(UnreadableDocumentError, match=reason):
            record_data(bad)


def test_decompress_tells_gzip_by_its_magic_bytes() -> None:
    text = error_object([b"a", b"b"])
    assert decompress(text) == text
    assert decompress(gzip.compress(text)) == text
    # Firehose may concatenate gzip members; all of them are read.
    assert decompress(gzip.compress(text) + gzip.compress(b"more\n")) == text + b"more\n"


def test_partition_key_is_stable_and_spreads() -> None:
    assert partition_key(b"same") == partition_key(b"same")
    assert len(partition_key(b"same")) == 16
    keys = {partition_key(f"record {n}".encode()) for n in range(1000)}
    assert len(keys) == 1000
