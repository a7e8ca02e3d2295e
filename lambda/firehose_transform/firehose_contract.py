"""The Firehose data-transformation contract: decode a batch, normalise each record, encode.

Input records come in two shapes:

* Direct PUT and Kinesis Data Streams sources: the payload is in `data` (Kinesis sources add
  `kinesisRecordMetadata`, which is not needed here).
* Amazon MSK sources: the payload is in `kafkaRecordValue` (with `mskRecordMetadata`), and
  Firehose expects the transformed payload back under `kafkaRecordValue` too.

Each output record echoes its `recordId`, in input order, with `result` Ok or
ProcessingFailed; this transform never returns Dropped, so nothing vanishes silently.

* Ok: the payload is the normalised event as one compact JSON object plus a newline, and
  `metadata.partitionKeys.dt` carries the event date for Firehose dynamic partitioning.
* ProcessingFailed: the payload is the original base64 text, unchanged, so the bytes that
  Firehose writes under the error prefix are exactly what the producer sent. Firehose's
  processing-failed documents have no field for a reason of ours (their errorCode and
  errorMessage are Firehose's own) and the response's `metadata` is documented only for
  `partitionKeys`, so the reason is returned to the caller as a `FailedRecord`, which the
  handler logs as one structured line keyed by recordId.

A record that cannot be answered at all (not an object, or without a string `recordId`) makes
the whole event malformed: Firehose never sends one, and a response that does not echo every
recordId is itself a transformation failure. `MalformedEventError` is raised so the invocation
fails, and Firehose retries it and then sends the batch to the error prefix unchanged.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from event_normaliser import EventNormaliser, NormalisedEvent, Reason, RecordRejectedError

# Analytics events are a few hundred bytes. 64 KiB leaves room for generous `properties`
# while stopping a runaway producer from filling the lake with multi-megabyte rows; Firehose
# itself allows 1,000 KiB per record.
DEFAULT_MAX_RECORD_BYTES = 64 * 1024

KINESIS_PAYLOAD_KEY = "data"
MSK_PAYLOAD_KEY = "kafkaRecordValue"


class MalformedEventError(ValueError):
    """The invocation event itself breaks the Firehose contract (not one bad record)."""


@dataclass(frozen=True)
class FailedRecord:
    record_id: str
    reason: Reason
    detail: str


@dataclass
class BatchOutcome:
    response: dict[str, list[dict[str, Any]]]
    ok: int = 0
    failures: list[FailedRecord] = field(default_factory=list)

    @property
    def failed_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(str(f.reason) for f in self.failures).items()))


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return result


# Built once: json.loads/dumps with options construct a new coder on every call.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicate_keys, parse_constant=_reject_constant
)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _max_base64_length(max_bytes: int) -> int:
    return 4 * math.ceil(max_bytes / 3)


@functools.lru_cache(maxsize=64)
def _utc_from_millis(millis: float) -> datetime:
    # Records of one batch share a handful of arrival times; convert each once.
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def _arrival_time(record: Mapping[str, Any]) -> datetime:
    millis = record.get("approximateArrivalTimestamp")
    if isinstance(millis, bool) or not isinstance(millis, int | float) or not millis > 0:
        raise RecordRejectedError(
            Reason.MISSING_ARRIVAL_TIME,
            f"approximateArrivalTimestamp: expected epoch milliseconds, got {millis!r:.40}",
        )
    try:
        return _utc_from_millis(millis)
    except (OverflowError, OSError, ValueError):
        raise RecordRejectedError(
            Reason.MISSING_ARRIVAL_TIME, f"approximateArrivalTimestamp: {millis!r:.40} out of range"
        ) from None


def decode_payload(encoded: object, max_record_bytes: int) -> dict[str, Any]:
    """base64 text -> JSON object, or RecordRejectedError saying which step failed."""
    if not isinstance(encoded, str):
        raise RecordRejectedError(
            Reason.INVALID_BASE64, f"payload: expected base64 text, got {type(encoded).__name__}"
        )
    # Checked before decoding so an oversized record costs no memory.
    if len(encoded) > _max_base64_length(max_record_bytes):
        raise RecordRejectedError(
            Reason.TOO_LARGE,
            f"payload: about {len(encoded) * 3 // 4} bytes, limit {max_record_bytes}",
        )
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise RecordRejectedError(Reason.INVALID_BASE64, f"payload: {error}") from None
    if len(raw) > max_record_bytes:
        raise RecordRejectedError(
            Reason.TOO_LARGE, f"payload: {len(raw)} bytes, limit {max_record_bytes}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordRejectedError(
            Reason.NOT_UTF8, f"payload: invalid UTF-8 at byte {error.start}"
        ) from None
    try:
        parsed = _DECODER.decode(text.removeprefix("\ufeff"))
    except RecursionError:
        raise RecordRejectedError(Reason.INVALID_JSON, "payload: nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, duplicate keys, NaN, over-long integers
        raise RecordRejectedError(Reason.INVALID_JSON, f"payload: {error}") from None
    if not isinstance(parsed, dict):
        raise RecordRejectedError(
            Reason.NOT_AN_OBJECT, f"payload: expected a JSON object, got {type(parsed).__name__}"
        )
    return parsed


def encode_event(event: NormalisedEvent) -> str:
    line = _ENCODER.encode(event.fields) + "\n"
    return base64.b64encode(line.encode("utf-8")).decode("ascii")


def _payload_key(record: Mapping[str, Any], default: str) -> str:
    if KINESIS_PAYLOAD_KEY in record:
        return KINESIS_PAYLOAD_KEY
    if MSK_PAYLOAD_KEY in record:
        return MSK_PAYLOAD_KEY
    return default


def _records_of(event: object) -> list[Any]:
    if not isinstance(event, Mapping):
        raise MalformedEventError(
            f"Firehose transformation event must be an object, got {type(event).__name__}"
        )
    records = event.get("records")
    if not isinstance(records, list):
        raise MalformedEventError(
            "Firehose transformation event has no 'records' list "
            f"(keys: {sorted(map(str, event))}); this is not a Firehose invocation"
        )
    return records


def _record_id(record: object, index: int) -> str:
    record_id = record.get("recordId") if isinstance(record, Mapping) else None
    if not isinstance(record_id, str):
        raise MalformedEventError(
            f"records[{index}] has no string 'recordId'; Firehose cannot match a response to it"
        )
    return record_id


def _normalise_record(
    record: Mapping[str, Any], key: str, normaliser: EventNormaliser, max_record_bytes: int
) -> NormalisedEvent:
    if key not in record:
        raise RecordRejectedError(
            Reason.MISSING_PAYLOAD,
            f"record has neither {KINESIS_PAYLOAD_KEY!r} nor {MSK_PAYLOAD_KEY!r}",
        )
    arrived_at = _arrival_time(record)
    event = decode_payload(record[key], max_record_bytes)
    return normaliser.normalise(event, arrived_at=arrived_at)


def _failed(record_id: str, key: str, original: object) -> dict[str, Any]:
    # The original text goes back unchanged so the error prefix holds the producer's bytes.
    return {
        "recordId": record_id,
        "result": "ProcessingFailed",
        key: original if isinstance(original, str) else "",
    }


def transform_batch(
    event: object,
    *,
    normaliser: EventNormaliser,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> BatchOutcome:
    """Transform one Firehose invocation event. Bad records never raise; see module doc."""
    records = _records_of(event)
    assert isinstance(event, Mapping)  # narrowed by _records_of
    default_key = MSK_PAYLOAD_KEY if "sourceMSKArn" in event else KINESIS_PAYLOAD_KEY
    outcome = BatchOutcome(response={"records": []})
    out = outcome.response["records"]

    for index, record in enumerate(records):
        record_id = _record_id(record, index)
        key = _payload_key(record, default_key)
        try:
            normalised = _normalise_record(record, key, normaliser, max_record_bytes)
        except RecordRejectedError as rejected:
            outcome.failures.append(FailedRecord(record_id, rejected.reason, rejected.detail))
            out.append(_failed(record_id, key, record.get(key)))
        except Exception as error:
            detail = f"{type(error).__name__}: {error}"
            outcome.failures.append(FailedRecord(record_id, Reason.INTERNAL_ERROR, detail))
            out.append(_failed(record_id, key, record.get(key)))
        else:
            outcome.ok += 1
            out.append(
                {
                    "recordId": record_id,
                    "result": "Ok",
                    key: encode_event(normalised),
                    "metadata": {"partitionKeys": {"dt": normalised.dt}},
                }
            )
    return outcome
