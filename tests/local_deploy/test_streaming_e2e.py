"""The stream path end to end on the local deployment: producer -> Kinesis -> transform -> lake.

Firehose itself does not deliver under the emulator: moto keeps the delivery stream's
configuration but never reads the source stream, invokes the transform or writes to S3. This
test therefore drives that step itself with `local_deploy.firehose` (what
`python -m local_deploy deliver` runs), which follows the deployed delivery stream's own
description: its source stream, the deployed transform code and environment, the Glue table's
columns for the Parquet conversion, and its prefix and error prefix.

What it shows: every record the producer sent is read back from the emulated stream and ends up
in exactly one place. Well-formed events land as Parquet under `events/dt=<event date>/`, late
ones in their earlier partition; malformed ones land under `errors/processing-failed/` with the
producer's bytes unchanged; the counts add up and a second delivery finds nothing new. Last,
the documented replay (tools.replay_errors) sends the error prefix's bytes through once more.
"""

from __future__ import annotations

import base64
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow.parquet as pq
import pytest

from local_deploy import deliver as local_delivery
from local_deploy import deployment
from local_deploy.firehose.delivery import DeliverySummary
from local_deploy.settings import LocalSettings
from tools import produce, replay_errors
from tools.event_generator import GeneratedEvent, generate_events

pytestmark = pytest.mark.local_deploy

COUNT = 1500
SEED = 11
MALFORMED_RATE = 0.08
LATE_RATE = 0.15
START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Delivered:
    """What one produce-and-deliver run left in the emulator."""

    produced: list[GeneratedEvent]
    produce_summary: dict[str, Any]
    summary: DeliverySummary
    outputs: dict[str, str]
    destination: dict[str, Any]  # the delivery stream's ExtendedS3DestinationDescription

    @property
    def raw_bucket(self) -> str:
        return self.destination["BucketARN"].rpartition(":")[2]

    @property
    def raw_database(self) -> str:
        schema = self.destination["DataFormatConversionConfiguration"]["SchemaConfiguration"]
        return schema["DatabaseName"]


def _outputs(settings: LocalSettings, stack_id: str) -> dict[str, str]:
    stack = next(
        s for s in deployment.assembly_stacks(settings.assembly_dir) if s.artifact_id == stack_id
    )
    outputs = deployment.stack_outputs(settings, stack.stack_name)
    assert outputs, f"{stack.stack_name} is not deployed"
    return outputs


@pytest.fixture(scope="module")
def delivered(deployed: LocalSettings) -> Delivered:
    outputs = _outputs(deployed, "StreamingStack")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in deployed.aws_environment().items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        argv = [
            f"--stream={outputs['StreamName']}",
            f"--count={COUNT}",
            "--rate=100000",
            f"--seed={SEED}",
            f"--malformed-rate={MALFORMED_RATE}",
            f"--late-rate={LATE_RATE}",
            f"--start={START.isoformat()}",
            "--progress-every=0",
        ]
        stdout = io.StringIO()
        with patch.context() as quiet:
            quiet.setattr("sys.stdout", stdout)
            assert produce.main(argv) == 0
        summary = local_delivery.deliver(deployed, outputs["DeliveryStreamName"])
    description = deployment.client(deployed, "firehose").describe_delivery_stream(
        DeliveryStreamName=outputs["DeliveryStreamName"]
    )["DeliveryStreamDescription"]
    return Delivered(
        produced=list(
            generate_events(
                COUNT, seed=SEED, malformed_rate=MALFORMED_RATE, late_rate=LATE_RATE, start=START
            )
        ),
        produce_summary=json.loads(stdout.getvalue()),
        summary=summary,
        outputs=outputs,
        destination=description["Destinations"][0]["ExtendedS3DestinationDescription"],
    )


def _objects(settings: LocalSettings, bucket: str, prefix: str) -> dict[str, bytes]:
    s3 = deployment.client(settings, "s3")
    keys = [
        entry["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for entry in page.get("Contents", [])
    ]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def _partition(key: str, name: str) -> str:
    segment = next(part for part in key.split("/") if part.startswith(f"{name}="))
    return segment.removeprefix(f"{name}=")


def test_producer_sent_every_record(delivered: Delivered) -> None:
    assert delivered.produce_summary["sent"] == COUNT
    assert delivered.produce_summary["failed"] == 0


def test_every_record_is_read_back_and_accounted_for(delivered: Delivered) -> None:
    summary = delivered.summary
    malformed = sum(1 for event in delivered.produced if event.malformed)
    assert malformed > 0
    assert summary.read == COUNT
    assert summary.delivered == COUNT - malformed
    assert summary.processing_failed == malformed
    assert summary.conversion_failed == 0
    assert summary.dropped == 0
    assert summary.accounted == COUNT


def test_good_events_land_as_parquet_under_their_event_date(
    deployed: LocalSettings, delivered: Delivered
) -> None:
    expected: dict[str, Counter[str]] = defaultdict(Counter)
    for event in delivered.produced:
        if event.malformed is None:
            assert event.event_date is not None
            expected[event.event_date.isoformat()][json.loads(event.payload)["event_id"]] += 1

    table = deployment.client(deployed, "glue").get_table(
        DatabaseName=delivered.raw_database, Name="events"
    )["Table"]
    columns = [column["Name"] for column in table["StorageDescriptor"]["Columns"]]
    landed: dict[str, Counter[str]] = defaultdict(Counter)
    for key, body in _objects(deployed, delivered.raw_bucket, "events/").items():
        rows = pq.read_table(io.BytesIO(body))
        assert rows.column_names == columns, key
        dt = _partition(key, "dt")
        assert {t.date().isoformat() for t in rows.column("event_time").to_pylist()} == {dt}
        landed[dt].update(rows.column("event_id").to_pylist())

    assert landed == expected


def test_late_events_land_in_earlier_partitions(
    deployed: LocalSettings, delivered: Delivered
) -> None:
    late = [e for e in delivered.produced if e.late and e.malformed is None]
    assert late, "the generator produced no late events; raise LATE_RATE"
    partitions = {_partition(k, "dt") for k in _objects(deployed, delivered.raw_bucket, "events/")}
    for event in late:
        assert event.event_date is not None
        assert event.event_date < event.emitted_at.date()
        assert event.event_date.isoformat() in partitions


def test_bad_records_land_unchanged_under_the_error_prefix(
    deployed: LocalSettings, delivered: Delivered
) -> None:
    documents = []
    for key, body in _objects(deployed, delivered.raw_bucket, "errors/").items():
        assert key.startswith("errors/processing-failed/dt="), key
        for line in body.decode("utf-8").splitlines():
            document = json.loads(line)
            arrived = datetime.fromtimestamp(document["arrivalTimestamp"] / 1000, tz=UTC)
            # Failed records are filed by arrival date: they have no trusted event date.
            assert _partition(key, "dt") == arrived.date().isoformat()
            documents.append(document)

    assert {d["errorCode"] for d in documents} == {"Lambda.ProcessingFailedStatus"}
    replayable = Counter(base64.b64decode(d["rawData"]) for d in documents)
    assert replayable == Counter(e.payload for e in delivered.produced if e.malformed)


def test_a_second_delivery_finds_nothing_new(deployed: LocalSettings, delivered: Delivered) -> None:
    again = local_delivery.deliver(deployed, delivered.outputs["DeliveryStreamName"])
    assert (again.read, again.objects) == (0, [])


def test_replaying_the_error_prefix_sends_the_same_bytes_through_again(
    deployed: LocalSettings, delivered: Delivered, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented replay (tools.replay_errors) after a fix; here nothing was fixed, so
    every replayed record is rejected again and lands, unchanged, in the error prefix again."""
    for name, value in deployed.aws_environment().items():
        monkeypatch.setenv(name, value)
    malformed = Counter(e.payload for e in delivered.produced if e.malformed)
    before = set(_objects(deployed, delivered.raw_bucket, "errors/"))
    argv = [
        f"--bucket={delivered.raw_bucket}",
        "--prefix=errors/processing-failed/",
        f"--stream={delivered.outputs['StreamName']}",
        "--rate=100000",
    ]
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert replay_errors.main(argv) == 0

    again = local_delivery.deliver(deployed, delivered.outputs["DeliveryStreamName"])

    assert (again.read, again.processing_failed, again.delivered) == (
        malformed.total(),
        malformed.total(),
        0,
    )
    new = {
        key: body
        for key, body in _objects(deployed, delivered.raw_bucket, "errors/").items()
        if key not in before
    }
    replayed = Counter(
        base64.b64decode(json.loads(line)["rawData"])
        for body in new.values()
        for line in body.decode("utf-8").splitlines()
    )
    assert replayed == malformed
