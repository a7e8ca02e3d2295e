"""The Kinesis side of a delivery: records after a checkpoint, batched and framed as Firehose
frames them for the transform."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_deploy.firehose.plan import DeliveryPlan

#: Firehose buffers up to 1 MiB (by default) for each transform invocation.
INVOKE_BUFFER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SourceRecord:
    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: datetime

    @property
    def arrival_millis(self) -> int:
        return int(self.arrival.timestamp() * 1000)


class Checkpoint:
    """The last sequence number delivered, per shard, of one stream, kept in a JSON file.

    Sequence numbers mean something only in the stream that issued them. The file outlives the
    emulator (it lives in the state folder, which `stop` keeps), and a stream created again,
    by a restarted emulator or a redeploy, numbers its records afresh: resuming after the old
    positions would skip them silently. So the file names the stream (ARN and creation time)
    and :meth:`bind` starts from the beginning when the stream is not that one, as a new
    Firehose delivery stream starts at TRIM_HORIZON. A file without the stream's name (the
    earlier format) starts from the beginning too: delivery is at least once, and the ETL
    job deduplicates on event_id.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        saved = json.loads(path.read_text()) if path.exists() else {}
        if isinstance(saved.get("positions"), dict):
            self.stream: dict[str, str] = dict(saved.get("stream") or {})
            self.positions: dict[str, str] = dict(saved["positions"])
        else:  # the earlier format: positions only, of an unknown stream
            self.stream, self.positions = {}, dict(saved)

    def bind(self, stream_arn: str, created: datetime) -> bool:
        """Tie the checkpoint to this stream; True when positions of another were dropped."""
        identity = {"arn": stream_arn, "created": created.astimezone(UTC).isoformat()}
        if self.stream == identity:
            return False
        dropped = bool(self.positions)
        self.stream, self.positions = identity, {}
        return dropped

    def advance(self, records: Sequence[SourceRecord]) -> None:
        for record in records:
            self.positions[record.shard_id] = record.sequence_number
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"stream": self.stream, "positions": self.positions}
        self.path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def read_source(kinesis: Any, stream_name: str, checkpoint: Checkpoint) -> list[SourceRecord]:  # noqa: ANN401
    """Every record after the checkpoint, shard by shard, in sequence order."""
    records: list[SourceRecord] = []
    for shard in kinesis.list_shards(StreamName=stream_name)["Shards"]:
        shard_id = shard["ShardId"]
        after = checkpoint.positions.get(shard_id)
        position = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
            if after
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **position)[
            "ShardIterator"
        ]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            if not page["Records"]:
                break
            records.extend(
                SourceRecord(
                    shard_id=shard_id,
                    sequence_number=r["SequenceNumber"],
                    partition_key=r["PartitionKey"],
                    data=r["Data"],
                    arrival=r["ApproximateArrivalTimestamp"].astimezone(UTC),
                )
                for r in page["Records"]
            )
            iterator = page.get("NextShardIterator")
    return records


def invocation_batches(records: Sequence[SourceRecord]) -> Iterator[list[SourceRecord]]:
    batch: list[SourceRecord] = []
    size = 0
    for record in records:
        if batch and size + len(record.data) > INVOKE_BUFFER_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += len(record.data)
    if batch:
        yield batch


def firehose_event(
    plan: DeliveryPlan, stream_arn: str, region: str, records: Sequence[SourceRecord]
) -> dict[str, Any]:
    """The transformation event Firehose sends for a Kinesis source (recordId = position)."""
    return {
        "invocationId": str(uuid.uuid4()),
        "deliveryStreamArn": plan.arn,
        "sourceKinesisStreamArn": stream_arn,
        "region": region,
        "records": [
            {
                "recordId": str(index),
                "approximateArrivalTimestamp": record.arrival_millis,
                "data": base64.b64encode(record.data).decode("ascii"),
                "kinesisRecordMetadata": {
                    "sequenceNumber": record.sequence_number,
                    "subsequenceNumber": 0,
                    "partitionKey": record.partition_key,
                    "shardId": record.shard_id,
                    "approximateArrivalTimestamp": record.arrival_millis,
                },
            }
            for index, record in enumerate(records)
        ],
    }
