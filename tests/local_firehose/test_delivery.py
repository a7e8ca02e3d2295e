"""LocalFirehose against in-process moto, with scripted transforms for the cases the real
transform never produces (Dropped, a value the table rejects, a failed invocation)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import time_machine
from moto import mock_aws

from local_deploy.firehose.delivery import LocalFirehose
from local_deploy.firehose.parquet import TableSchema
from local_deploy.firehose.plan import DeliveryPlan
from local_deploy.firehose.source import INVOKE_BUFFER_BYTES, Checkpoint

REGION = "us-east-1"
STREAM = "events"
BUCKET = "raw"
# Records arrive a minute before midnight and are delivered just after it, so a prefix rendered
# from the wrong clock lands in the wrong day. Both clocks are pinned: moto stamps each record's
# ApproximateArrivalTimestamp with Python's clock, which time_machine moves.
ARRIVAL = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
NOW = datetime(2027, 1, 1, 0, 1, tzinfo=UTC)
SCHEMA = TableSchema.from_glue([{"Name": "id", "Type": "string"}, {"Name": "n", "Type": "int"}])


@pytest.fixture(autouse=True)
def aws(aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName=STREAM, ShardCount=2)
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield


def plan(key_arn: str | None = None) -> DeliveryPlan:
    return DeliveryPlan(
        name="events-from-kinesis",
        arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/events-from-kinesis",
        source_stream_name=STREAM,
        bucket=BUCKET,
        prefix="events/dt=!{partitionKeyFromLambda:dt}/",
        error_prefix="errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
        kms_key_arn=key_arn,
        lambda_arn="arn:aws:lambda:us-east-1:123456789012:function:transform",
        database="raw",
        table="events",
    )


class Scripted:
    """A transform whose answer for each record is decided by its payload."""

    def __init__(self, answer: Callable[[bytes], dict[str, Any]]) -> None:
        self.answer = answer
        self.events: list[Mapping[str, Any]] = []

    def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return {
            "records": [
                {"recordId": r["recordId"], **self.answer(base64.b64decode(r["data"]))}
                for r in event["records"]
            ]
        }


def by_payload(payload: bytes) -> dict[str, Any]:
    kind, _, value = payload.decode().partition(":")
    if kind == "ok":
        row = json.dumps({"id": value, "n": 1}).encode() + b"\n"
        return {
            "result": "Ok",
            "data": base64.b64encode(row).decode(),
            "metadata": {"partitionKeys": {"dt": "2026-11-19"}},
        }
    if kind == "badtype":
        row = json.dumps({"id": value, "n": "one"}).encode()
        return {
            "result": "Ok",
            "data": base64.b64encode(row).decode(),
            "metadata": {"partitionKeys": {"dt": "2026-11-19"}},
        }
    if kind == "drop":
        return {"result": "Dropped", "data": ""}
    return {"result": "ProcessingFailed", "data": base64.b64encode(payload).decode()}


def put(*payloads: bytes, arrival: datetime = ARRIVAL) -> None:
    kinesis = boto3.client("kinesis", region_name=REGION)
    with time_machine.travel(arrival, tick=False):
        for index, payload in enumerate(payloads):
            kinesis.put_record(StreamName=STREAM, Data=payload, PartitionKey=f"user-{index}")


def firehose(transform: Any, tmp_path: Path, key_arn: str | None = None) -> LocalFirehose:
    return LocalFirehose(
        plan(key_arn),
        clients=lambda service: boto3.client(service, region_name=REGION),
        transform=transform,
        schema=SCHEMA,
        checkpoint=Checkpoint(tmp_path / "checkpoint.json"),
        region=REGION,
        clock=lambda: NOW,
    )


def objects() -> dict[str, bytes]:
    s3 = boto3.client("s3", region_name=REGION)
    listing = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing}


def error_documents(prefix: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for key, body in objects().items()
        if key.startswith(prefix)
        for line in body.decode().splitlines()
    ]


def test_each_outcome_goes_to_its_own_place_and_every_record_is_counted(tmp_path: Path) -> None:
    put(b"ok:a", b"ok:b", b"bad:c", b"drop:d", b"badtype:e")

    summary = firehose(Scripted(by_payload), tmp_path).deliver()

    assert (summary.read, summary.delivered, summary.processing_failed) == (5, 2, 1)
    assert (summary.conversion_failed, summary.dropped, summary.accounted) == (1, 1, 5)
    keys = sorted(objects())
    assert [k.rsplit("/", 1)[0] for k in keys] == [
        "errors/format-conversion-failed/dt=2026-12-31",
        "errors/processing-failed/dt=2026-12-31",
        "events/dt=2026-11-19",
    ]
    assert all(
        k.rsplit("/", 1)[1].startswith("events-from-kinesis-1-2027-01-01-00-01-00-") for k in keys
    )
    failed = error_documents("errors/processing-failed/")
    assert [base64.b64decode(d["rawData"]) for d in failed] == [b"bad:c"]
    assert failed[0]["errorCode"] == "Lambda.ProcessingFailedStatus"
    unconvertible = error_documents("errors/format-conversion-failed/")
    assert json.loads(base64.b64decode(unconvertible[0]["rawData"])) == {"id": "e", "n": "one"}
    assert "n (int): expected an integer" in unconvertible[0]["ErrorMessage"]


def test_every_error_type_takes_its_timestamp_from_the_oldest_record_of_the_object(
    tmp_path: Path,
) -> None:
    put(b"bad:old", b"badtype:old")
    put(b"bad:new", b"badtype:new", arrival=datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC))

    firehose(Scripted(by_payload), tmp_path).deliver()

    prefixes = {k.rsplit("/", 1)[0] for k in objects()}
    assert prefixes == {
        "errors/format-conversion-failed/dt=2026-12-31",
        "errors/processing-failed/dt=2026-12-31",
    }
    documents = error_documents("errors/")
    assert {d["arrivalTimestamp"] for d in documents} == {
        int(ARRIVAL.timestamp() * 1000),
        int(datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC).timestamp() * 1000),
    }


def test_a_failed_invocation_sends_its_whole_batch_to_processing_failed(tmp_path: Path) -> None:
    put(b"ok:a", b"ok:b")

    class Raising:
        def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]:
            raise TimeoutError("Task timed out after 120.00 seconds")

    summary = firehose(Raising(), tmp_path).deliver()

    assert (summary.read, summary.processing_failed, summary.delivered) == (2, 2, 0)
    documents = error_documents("errors/processing-failed/")
    assert {d["errorCode"] for d in documents} == {"Lambda.FunctionError"}
    assert "TimeoutError: Task timed out" in documents[0]["errorMessage"]
    assert sorted(base64.b64decode(d["rawData"]) for d in documents) == [b"ok:a", b"ok:b"]


def test_a_response_that_loses_a_record_fails_the_batch(tmp_path: Path) -> None:
    put(b"ok:a", b"ok:b")

    class Forgetful:
        def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]:
            return {"records": [{"recordId": event["records"][0]["recordId"], "result": "Ok"}]}

    summary = firehose(Forgetful(), tmp_path).deliver()

    assert summary.processing_failed == 2
    assert "does not echo every recordId" in error_documents("errors/")[0]["errorMessage"]


def test_the_checkpoint_makes_the_next_run_deliver_only_new_records(tmp_path: Path) -> None:
    put(b"ok:a", b"ok:b")
    assert firehose(Scripted(by_payload), tmp_path).deliver().read == 2
    put(b"ok:c")

    transform = Scripted(by_payload)
    summary = firehose(transform, tmp_path).deliver()

    assert summary.read == 1
    sent = [base64.b64decode(r["data"]) for e in transform.events for r in e["records"]]
    assert sent == [b"ok:c"]


def test_a_stream_created_again_is_delivered_from_its_start(tmp_path: Path) -> None:
    """The checkpoint file outlives the emulator; a stream of the same name created again (a
    restarted emulator) numbers its records afresh, and the old positions must not skip them."""
    put(b"ok:a", b"ok:b", b"ok:c")
    assert firehose(Scripted(by_payload), tmp_path).deliver().read == 3
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.delete_stream(StreamName=STREAM)
    with time_machine.travel(NOW, tick=False):  # a later creation time
        kinesis.create_stream(StreamName=STREAM, ShardCount=2)
    put(b"ok:d", b"ok:e")

    summary = firehose(Scripted(by_payload), tmp_path).deliver()

    assert (summary.read, summary.delivered) == (2, 2)
    assert firehose(Scripted(by_payload), tmp_path).deliver().read == 0


def test_a_checkpoint_in_the_earlier_format_starts_from_the_beginning(tmp_path: Path) -> None:
    """Positions without the stream's name may be another stream's: deliver at least once."""
    put(b"ok:a", b"ok:b")
    shards = boto3.client("kinesis", region_name=REGION).list_shards(StreamName=STREAM)["Shards"]
    (tmp_path / "checkpoint.json").write_text(
        json.dumps({shard["ShardId"]: "999999" for shard in shards})
    )

    assert firehose(Scripted(by_payload), tmp_path).deliver().read == 2


def test_invocations_hold_at_most_the_processing_buffer(tmp_path: Path) -> None:
    big = b"ok:" + b"x" * (INVOKE_BUFFER_BYTES // 4)  # three fit in one invocation, four do not
    put(big, big, big, big)
    transform = Scripted(by_payload)

    summary = firehose(transform, tmp_path).deliver()

    assert summary.invocations == 2
    assert [len(e["records"]) for e in transform.events] == [3, 1]


def test_the_event_has_the_kinesis_source_shape(tmp_path: Path) -> None:
    put(b"ok:a")
    transform = Scripted(by_payload)

    firehose(transform, tmp_path).deliver()

    (event,) = transform.events
    assert event["sourceKinesisStreamArn"].endswith(f":stream/{STREAM}")
    (record,) = event["records"]
    assert set(record) == {
        "recordId",
        "approximateArrivalTimestamp",
        "data",
        "kinesisRecordMetadata",
    }
    assert record["kinesisRecordMetadata"]["partitionKey"] == "user-0"


def test_objects_are_encrypted_with_the_destination_key(tmp_path: Path) -> None:
    key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    put(b"ok:a")

    firehose(Scripted(by_payload), tmp_path, key_arn).deliver()

    s3 = boto3.client("s3", region_name=REGION)
    (key,) = objects()
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key_arn)
