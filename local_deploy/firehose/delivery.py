"""Deliver what is in a delivery stream's Kinesis source, as Firehose would, into S3.

For each batch read from the stream (from a checkpoint, so a second run delivers only new
records): invoke the transform, convert the Ok records to Parquet, and write

* one Parquet object per partition prefix (`Prefix`, with the transform's partition keys),
* one JSON-lines object of error documents per error prefix (`ErrorOutputPrefix`):
  `processing-failed` for records the transform rejected or whose invocation failed,
  `format-conversion-failed` for Ok records that do not fit the Glue table's schema.

Every record read is counted as delivered, failed or dropped (the transform said Dropped), so a
summary shows that nothing went missing. The checkpoint moves only after a batch's objects are
written: a run that stops half-way delivers the batch again, at least once, as Firehose does.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from local_deploy.firehose.parquet import ConversionError, TableSchema
from local_deploy.firehose.plan import DeliveryPlan
from local_deploy.firehose.prefixes import render_prefix
from local_deploy.firehose.source import (
    Checkpoint,
    SourceRecord,
    firehose_event,
    invocation_batches,
    read_source,
)


class Transform(Protocol):
    """What a delivery needs of the transform: Firehose's event in, its response out."""

    def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]: ...


PROCESSING_FAILED = "processing-failed"
CONVERSION_FAILED = "format-conversion-failed"


@dataclass
class DeliverySummary:
    delivery_stream: str
    read: int = 0
    delivered: int = 0
    processing_failed: int = 0
    conversion_failed: int = 0
    dropped: int = 0
    invocations: int = 0
    objects: list[str] = field(default_factory=list)

    @property
    def accounted(self) -> int:
        return self.delivered + self.processing_failed + self.conversion_failed + self.dropped

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "accounted": self.accounted}


class _Objects:
    """Rows and error documents of one batch, grouped by the prefix they go to."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.errors: dict[str, list[dict[str, Any]]] = defaultdict(list)


class LocalFirehose:
    """One deployed delivery stream, delivering with the emulator's Kinesis, Glue and S3."""

    def __init__(
        self,
        plan: DeliveryPlan,
        *,
        clients: Callable[[str], Any],
        transform: Transform,
        schema: TableSchema,
        checkpoint: Checkpoint,
        region: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.plan, self.transform, self.schema = plan, transform, schema
        self.checkpoint, self.region, self.clock = checkpoint, region, clock
        self.kinesis, self.s3 = clients("kinesis"), clients("s3")
        # DescribeStream, as Firehose itself calls (its role is granted that, not the summary).
        stream = self.kinesis.describe_stream(StreamName=plan.source_stream_name, Limit=1)[
            "StreamDescription"
        ]
        self.stream_arn = stream["StreamARN"]
        # A checkpoint of another stream (an emulator restarted since) would skip records.
        self.checkpoint.bind(self.stream_arn, stream["StreamCreationTimestamp"])

    def deliver(self) -> DeliverySummary:
        summary = DeliverySummary(self.plan.name)
        records = read_source(self.kinesis, self.plan.source_stream_name, self.checkpoint)
        for batch in invocation_batches(records):
            summary.read += len(batch)
            objects = self._transform(batch, summary)
            summary.objects.extend(self._write(objects))
            self.checkpoint.advance(batch)
        return summary

    def _error_document(self, record: SourceRecord, code: str, message: str) -> dict[str, Any]:
        # The processing-failed document Firehose writes (Data Firehose developer guide,
        # "Handle failure in data transformation"): the producer's bytes in rawData.
        return {
            "attemptsMade": 1,
            "arrivalTimestamp": record.arrival_millis,
            "errorCode": code,
            "errorMessage": message,
            "attemptEndingTimestamp": int(self.clock().timestamp() * 1000),
            "rawData": base64.b64encode(record.data).decode("ascii"),
            "lambdaArn": self.plan.lambda_arn,
        }

    def _conversion_error_document(
        self, record: SourceRecord, line: bytes, error: ConversionError
    ) -> dict[str, Any]:
        # The format-conversion-failed document (developer guide, "Handling errors for data
        # format conversion"): capitalised error keys, the transformed record in rawData.
        return {
            "attemptsMade": 1,
            "arrivalTimestamp": record.arrival_millis,
            "ErrorCode": "DataFormatConversion.MalformedData",
            "ErrorMessage": str(error),
            "attemptEndingTimestamp": int(self.clock().timestamp() * 1000),
            "rawData": base64.b64encode(line).decode("ascii"),
            "sequenceNumber": record.sequence_number,
            "subSequenceNumber": 0,
            "dataCatalogTable": {
                "databaseName": self.plan.database,
                "tableName": self.plan.table,
                "versionId": "LATEST",
            },
        }

    def _error_prefix(self, error_type: str, oldest_arrival: datetime) -> str:
        return render_prefix(
            self.plan.error_prefix, arrival=oldest_arrival, error_output_type=error_type
        )

    def _invoke(self, batch: Sequence[SourceRecord]) -> list[dict[str, Any]] | str:
        """The transform's records in input order, or why the invocation as a whole failed."""
        event = firehose_event(self.plan, self.stream_arn, self.region, batch)
        try:
            response = self.transform.invoke(event)
        except Exception as error:  # any exception fails the invocation, as in Lambda
            return f"The Lambda function returned an error: {type(error).__name__}: {error}"
        results = response.get("records") if isinstance(response, dict) else None
        expected = [record["recordId"] for record in event["records"]]
        if not isinstance(results, list) or [r.get("recordId") for r in results] != expected:
            return "The Lambda function's response does not echo every recordId in order"
        return results

    def _transform(self, batch: Sequence[SourceRecord], summary: DeliverySummary) -> _Objects:
        summary.invocations += 1
        objects = _Objects()
        # Firehose renders !{timestamp:...} from the approximate arrival time of the oldest
        # record in the object being written, in every prefix and for every error type alike;
        # one batch is buffered into one set of objects here, so its oldest record decides.
        oldest = min(record.arrival for record in batch)
        results = self._invoke(batch)
        if isinstance(results, str):
            for record in batch:
                prefix = self._error_prefix(PROCESSING_FAILED, oldest)
                document = self._error_document(record, "Lambda.FunctionError", results)
                objects.errors[prefix].append(document)
            summary.processing_failed += len(batch)
            return objects
        for record, result in zip(batch, results, strict=True):
            outcome = result.get("result")
            if outcome == "Dropped":
                summary.dropped += 1
                continue
            if outcome != "Ok":
                prefix = self._error_prefix(PROCESSING_FAILED, oldest)
                objects.errors[prefix].append(
                    self._error_document(
                        record,
                        "Lambda.ProcessingFailedStatus",
                        "ProcessingFailed status set for record",
                    )
                )
                summary.processing_failed += 1
                continue
            line = base64.b64decode(result.get("data", ""))
            try:
                row = self.schema.row(line)
            except ConversionError as error:
                prefix = self._error_prefix(CONVERSION_FAILED, oldest)
                objects.errors[prefix].append(self._conversion_error_document(record, line, error))
                summary.conversion_failed += 1
                continue
            keys = (result.get("metadata") or {}).get("partitionKeys") or {}
            prefix = render_prefix(self.plan.prefix, arrival=oldest, partition_keys=keys)
            objects.rows[prefix].append(row)
            summary.delivered += 1
        return objects

    def _put(self, key: str, body: bytes) -> str:
        encryption = (
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.plan.kms_key_arn}
            if self.plan.kms_key_arn
            else {}
        )
        self.s3.put_object(Bucket=self.plan.bucket, Key=key, Body=body, **encryption)
        return f"s3://{self.plan.bucket}/{key}"

    def _object_key(self, prefix: str) -> str:
        # Firehose's object name: <prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.
        stamp = self.clock().strftime("%Y-%m-%d-%H-%M-%S")
        return f"{prefix}{self.plan.name}-1-{stamp}-{uuid.uuid4()}"

    def _write(self, objects: _Objects) -> list[str]:
        written = []
        for prefix, rows in sorted(objects.rows.items()):
            written.append(self._put(self._object_key(prefix), self.schema.to_parquet(rows)))
        for prefix, documents in sorted(objects.errors.items()):
            body = "".join(json.dumps(d, separators=(",", ":")) + "\n" for d in documents)
            written.append(self._put(self._object_key(prefix), body.encode("utf-8")))
        return written
