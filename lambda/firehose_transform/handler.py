"""Firehose transformation Lambda for the `events` stream: validate, normalise, partition.

Entry point: `handler.lambda_handler`. The rules live in event_normaliser.py (one event) and
firehose_contract.py (the batch contract); this module only wires configuration, logging and
metrics around them.

Environment:
  EVENTS_SCHEMA_PATH             schema file; default events.json beside this file
  MAX_RECORD_BYTES               decoded payload limit per record; default 65536
  POWERTOOLS_SERVICE_NAME        service name in every log line and metric
  POWERTOOLS_METRICS_NAMESPACE   CloudWatch namespace; default "DataPlatform/Events"
  POWERTOOLS_LOG_LEVEL           log level; default INFO

Logs: one WARNING line per rejected record (recordId, reason, detail) and one INFO summary
line per batch. Metrics (EMF): RecordsIn, RecordsOk, RecordsFailed and one
`RecordsFailed.<reason>` per reason seen in the batch; MalformedInvocations when the event
itself breaks the Firehose contract (the invocation then raises).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from event_normaliser import EventNormaliser
from event_schema import load_event_schema, schema_path
from firehose_contract import (
    DEFAULT_MAX_RECORD_BYTES,
    BatchOutcome,
    MalformedEventError,
    transform_batch,
)

DEFAULT_METRICS_NAMESPACE = "DataPlatform/Events"


def _max_record_bytes() -> int:
    raw = os.environ.get("MAX_RECORD_BYTES", str(DEFAULT_MAX_RECORD_BYTES))
    if not raw.isdigit() or int(raw) <= 0:
        raise ValueError(f"MAX_RECORD_BYTES must be a positive integer, got {raw!r}")
    return int(raw)


logger = Logger()
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_METRICS_NAMESPACE)
)
# Loaded once per cold start; a missing or unsupported schema fails the cold start loudly.
SCHEMA = load_event_schema(schema_path())
NORMALISER = EventNormaliser(SCHEMA)
MAX_RECORD_BYTES = _max_record_bytes()


def _report(outcome: BatchOutcome, event: dict[str, Any]) -> None:
    for failure in outcome.failures:
        logger.warning(
            "record rejected",
            extra={
                "record_id": failure.record_id,
                "reason": str(failure.reason),
                "detail": failure.detail,
            },
        )
    total = len(outcome.response["records"])
    logger.info(
        "batch transformed",
        extra={
            "invocation_id": event.get("invocationId"),
            "delivery_stream_arn": event.get("deliveryStreamArn"),
            "records": total,
            "ok": outcome.ok,
            "failed": len(outcome.failures),
            "failed_by_reason": outcome.failed_by_reason,
        },
    )
    metrics.add_metric(name="RecordsIn", unit=MetricUnit.Count, value=total)
    metrics.add_metric(name="RecordsOk", unit=MetricUnit.Count, value=outcome.ok)
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=len(outcome.failures))
    for reason, count in outcome.failed_by_reason.items():
        metrics.add_metric(name=f"RecordsFailed.{reason}", unit=MetricUnit.Count, value=count)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        outcome = transform_batch(event, normaliser=NORMALISER, max_record_bytes=MAX_RECORD_BYTES)
    except MalformedEventError as error:
        # Raising makes Firehose retry and then route the whole batch to the error prefix.
        logger.error("malformed invocation event", extra={"error": str(error)})
        metrics.add_metric(name="MalformedInvocations", unit=MetricUnit.Count, value=1)
        raise
    _report(outcome, event)
    return outcome.response
