"""Builders for Firehose transformation events and sample payloads, and the fixtures that the
transform Lambda's tests (tests/lambda/firehose_transform/) and the event tools' tests
(tests/tools/) share: one copy, imported into each folder's conftest."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from event_normaliser import EventNormaliser

REPO_ROOT = Path(__file__).resolve().parent.parent
TRANSFORM_DIR = REPO_ROOT / "lambda" / "firehose_transform"
SCHEMA_FILE = REPO_ROOT / "lake_schema" / "events.json"


def import_transform_modules_by_bare_name() -> None:
    """Put the transform's folder (and the repository root, for `tools`) on sys.path.

    The Lambda asset imports its sibling modules by bare name (`import event_normaliser`), as the
    Lambda runtime would, so its tests must too. A conftest calls this before its test modules
    are imported.
    """
    for path in (str(REPO_ROOT), str(TRANSFORM_DIR)):
        if path not in sys.path:
            sys.path.append(path)


@pytest.fixture(autouse=True)
def _dummy_aws(aws_credentials: None) -> None:
    """Every test that imports this into its conftest runs with dummy credentials
    (tests/conftest.py)."""


@pytest.fixture(scope="session")
def normaliser() -> EventNormaliser:
    """The transform's normaliser on the lake's event schema."""
    # Imported here, not at the top: only after import_transform_modules_by_bare_name().
    from event_normaliser import EventNormaliser  # noqa: PLC0415
    from event_schema import load_event_schema  # noqa: PLC0415

    return EventNormaliser(load_event_schema(SCHEMA_FILE))


# 2026-11-15T12:00:00Z, the arrival time used by most tests.
ARRIVAL_MS = 1_794_744_000_000


def b64(payload: bytes | str) -> str:
    raw = payload.encode("utf-8") if isinstance(payload, str) else payload
    return base64.b64encode(raw).decode("ascii")


def valid_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "event_type": "add_to_cart",
        "event_time": "2026-11-15T11:59:00.250Z",
        "user_id": "user-0000042",
        "session_id": "s-1",
        "device": "ios",
        "country": "DE",
        "price": 19.99,
        "quantity": 2,
        "properties": {"product_id": "p-00001"},
    }
    event.update(overrides)
    return {key: value for key, value in event.items() if value is not ...}


def firehose_event(
    payloads: list[bytes | str], *, source: str = "direct", arrival_ms: int = ARRIVAL_MS
) -> dict[str, Any]:
    """A Firehose transformation event with one record per payload, in the `source` shape."""
    records: list[dict[str, Any]] = []
    for index, payload in enumerate(payloads):
        record: dict[str, Any] = {
            "recordId": f"{index:056d}",
            "approximateArrivalTimestamp": arrival_ms,
        }
        if source == "msk":
            record["kafkaRecordValue"] = b64(payload)
            record["mskRecordMetadata"] = {
                "offset": str(index),
                "partitionId": "0",
                "approximateArrivalTimestamp": arrival_ms,
            }
        else:
            record["data"] = b64(payload)
        if source == "kinesis":
            record["kinesisRecordMetadata"] = {
                "shardId": "shardId-000000000000",
                "partitionKey": "user-0000042",
                "approximateArrivalTimestamp": arrival_ms,
                "sequenceNumber": f"4954698668313554428650745793632162567570019247115{index:07d}",
                "subsequenceNumber": 0,
            }
        records.append(record)
    event: dict[str, Any] = {
        "invocationId": "invocation-1",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/events",
        "region": "us-east-1",
        "records": records,
    }
    if source == "kinesis":
        event["sourceKinesisStreamArn"] = "arn:aws:kinesis:us-east-1:123456789012:stream/events"
    if source == "msk":
        event["sourceMSKArn"] = "arn:aws:kafka:us-east-1:123456789012:cluster/events/abc-1"
    return event


def as_json(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"))


def stream_records(kinesis: Any, stream: str) -> dict[str, list[bytes]]:
    """Every record in the stream, by shard, read from the start of each shard."""
    by_shard: dict[str, list[bytes]] = {}
    shards = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = by_shard.setdefault(shard["ShardId"], [])
        while True:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            records.extend(record["Data"] for record in page["Records"])
            if not page["Records"]:
                break
            iterator = page["NextShardIterator"]
    return by_shard


def stream_payloads(kinesis: Any, stream: str) -> list[bytes]:
    """Every record in the stream, shard after shard."""
    return [data for records in stream_records(kinesis, stream).values() for data in records]


def assert_usage_error(
    main: Callable[[list[str]], int], args: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CLI given bad arguments exits 2 (argparse) with a message naming the flag."""
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert flag in capsys.readouterr().err
