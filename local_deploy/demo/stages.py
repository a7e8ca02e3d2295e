"""The demo's nine stages. Each drives one existing piece through the emulator's APIs, then
checks the identity its counts must satisfy; a broken identity is a :class:`StageFailedError`.

The identities, and why each holds:

* produce/deliver: every event sent is read back from the stream and is either delivered or
  failed (the error prefix); the failed ones are exactly the malformed ones the generator made,
  since the transform rejects every malformed kind; nothing is dropped.
* ETL: every Parquet object the delivery wrote is among the job's new input files (bookmarks).
* export/pipeline: ``ml/prepare.py`` splits the export three ways, so sessions exported =
  train + validation + test rows; the held-out rows are validation + test (the model never
  trains on them; early stopping looks at validation, and the endpoint gets the test rows).
* invoke/capture: one request per held-out test row, each answered with one prediction; the
  emulator samples capture deterministically (endpoint_local: exactly P of every 100 requests
  on a new endpoint config), so n requests are captured floor(n * P / 100) times. AWS samples
  at random; there the count is only expected, not exact.

One "now" (``DemoState.now``, read once) places the events and bounds the capture query, so a
moved clock (CI's ``make test-clock``) moves them with the emulator's ``current_date``; the job
run keeps its own clock, so its recorded ExecutionTime is real.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lake_schema.layout import LAKE_LAYOUT
from local_deploy import bring_up, deployment
from local_deploy.settings import LocalSettings
from tools.event_generator import GeneratedEvent

TRAINING_EXPORT_QUERY = "events-training-export"
EVENTS_PREFIX = LAKE_LAYOUT.events
CAPTURE_DATABASE = "local_demo"
CAPTURE_TABLE = "endpoint_capture"
_FINAL_QUERY_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
_UNLOAD_TARGET = re.compile(r"\bTO\s+'(s3://[^']+)'", re.IGNORECASE)
_CAPTURE_IO = "struct<observedContentType:string,mode:string,data:string,encoding:string>"


class StageFailedError(RuntimeError):
    """A stage could not run, or its counts do not add up; the message is one line."""


@dataclass(frozen=True)
class DemoOptions:
    """What the command line chooses."""

    sessions: int = 400
    seed: int = 7
    malformed_rate: float = 0.05
    late_rate: float = 0.05


@dataclass
class DemoState:
    """What one stage hands the next, and the one clock they all share."""

    settings: LocalSettings
    options: DemoOptions
    now: datetime
    log: Callable[[str], None] = print
    produced: list[GeneratedEvent] = field(default_factory=list)
    sent: int = 0
    delivered_objects: list[str] = field(default_factory=list)
    export_uri: str = ""
    exported: int = 0
    splits: dict[str, str] = field(default_factory=dict)  # split name -> S3 URI
    split_rows: dict[str, int] = field(default_factory=dict)
    endpoint: str = ""
    invocations: int = 0
    capture_percentage: int = 0
    capture_uri: str = ""
    invoked_after: str = ""

    def client(self, service: str) -> Any:  # noqa: ANN401 - boto3 is untyped
        return deployment.client(self.settings, service)


def check(condition: bool, reason: str) -> None:
    """Fail the stage with ``reason`` unless ``condition`` holds."""
    if not condition:
        raise StageFailedError(reason)


def _output(settings: LocalSettings, key: str) -> str:
    """A stack output of the deployment, from whichever stack has it."""
    for stack in deployment.assembly_stacks(settings.assembly_dir):
        outputs = deployment.stack_outputs(settings, stack.stack_name) or {}
        if key in outputs:
            return outputs[key]
    raise StageFailedError(f"no deployed stack has the output {key}; is the deployment whole?")


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _parquet_rows(state: DemoState, uri: str) -> tuple[int, list[dict[str, Any]]]:
    """(row count, rows) of every object under an S3 prefix, read as Parquet."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - heavy; the CLI's argument errors stay fast

    s3 = state.client("s3")
    bucket, prefix = _split_s3(uri)
    rows: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
            rows += pq.read_table(io.BytesIO(body)).to_pylist()
    return len(rows), rows


# --- 1 ------------------------------------------------------------------------------------------


def deploy(state: DemoState) -> str:
    """`python -m local_deploy up`, as is: emulator, synth, bootstrap, deploy, smoke checks."""
    status = bring_up.up(state.settings)
    check(status == 0, "`up` reported skipped resources or failed smoke checks (see the log)")
    stacks = deployment.deployed_stack_names(state.settings)
    return f"{len(stacks)} stacks deployed, smoke checks passed"


# --- 2 ------------------------------------------------------------------------------------------


def _deliver_all(state: DemoState) -> list[Any]:
    from local_deploy import deliver as local_delivery  # noqa: PLC0415 - pulls in pyarrow

    names = local_delivery.kinesis_delivery_streams(state.settings)
    check(bool(names), "no delivery stream with a Kinesis source is deployed")
    return [local_delivery.deliver(state.settings, name) for name in names]


def produce(state: DemoState) -> str:
    """Send N whole sessions to the stream with tools.produce's producer (PutRecords, retries).

    Records already in the stream from an earlier run are delivered first, so that the deliver
    stage's count is this run's alone."""
    from tools.event_generator import generate_sessions  # noqa: PLC0415
    from tools.produce import Producer, RatePacer, RetryPolicy, entries_of  # noqa: PLC0415

    earlier = sum(summary.read for summary in _deliver_all(state))
    options = state.options
    # The sessions span about 3 s each; they end well before "now", on the demo's one clock.
    start = (state.now - timedelta(seconds=6 * options.sessions + 600)).replace(microsecond=0)
    state.produced = list(
        generate_sessions(
            options.sessions,
            seed=options.seed,
            malformed_rate=options.malformed_rate,
            late_rate=options.late_rate,
            start=start,
        )
    )
    producer = Producer(
        state.client("kinesis"),
        _output(state.settings, "StreamName"),
        pacer=RatePacer(1_000_000.0),
        retry=RetryPolicy(),
    )
    summary = producer.run(entries_of(state.produced), batch_records=500)
    state.sent = summary.sent
    malformed = sum(1 for event in state.produced if event.malformed)
    check(
        summary.failed == 0 and summary.sent == len(state.produced),
        f"sent {summary.sent} of {len(state.produced)} events ({summary.last_error})",
    )
    note = f"; {earlier} earlier records delivered first" if earlier else ""
    return (
        f"{options.sessions} sessions, {summary.sent} events sent "
        f"({malformed} malformed) in {summary.calls} PutRecords{note}"
    )


# --- 3 ------------------------------------------------------------------------------------------


def deliver(state: DemoState) -> str:
    """Firehose played locally: the transform, Parquet conversion and error prefix."""
    summaries = _deliver_all(state)
    read = sum(s.read for s in summaries)
    delivered = sum(s.delivered for s in summaries)
    failed = sum(s.processing_failed + s.conversion_failed for s in summaries)
    dropped = sum(s.dropped for s in summaries)
    malformed = sum(1 for event in state.produced if event.malformed)
    # The events' Parquet objects (not the error prefix's): the ETL job must read each one.
    state.delivered_objects = [
        uri for s in summaries for uri in s.objects if _split_s3(uri)[1].startswith(EVENTS_PREFIX)
    ]
    check(
        read == state.sent, f"read {read} records back from the stream, but {state.sent} were sent"
    )
    check(dropped == 0, f"the transform dropped {dropped} records")
    check(
        delivered + failed == state.sent,
        f"events sent {state.sent} != delivered {delivered} + failed {failed}",
    )
    check(failed == malformed, f"{failed} records failed, but {malformed} were malformed")
    return f"sent {state.sent} = delivered {delivered} + failed {failed} (error prefix)"


# --- 4 ------------------------------------------------------------------------------------------


def etl(state: DemoState) -> str:
    """The deployed Glue job's script on local Spark, bookmarks on (local_deploy.glue_job_run)."""
    from local_deploy import glue_job_run  # noqa: PLC0415 - pulls in pyspark

    names = sorted(job["Name"] for job in state.client("glue").get_jobs()["Jobs"])
    curation = [name for name in names if name.endswith("-events-curation")]
    check(len(curation) == 1, f"expected one *-events-curation Glue job, found {names}")
    summary = glue_job_run.run_job(
        curation[0],
        clients=state.client,
        region=state.settings.region,
        state_dir=state.settings.state_dir,
    )
    check(
        summary.state == "SUCCEEDED", f"job run {summary.run_id} {summary.state}: {summary.error}"
    )
    unread = sorted(set(state.delivered_objects) - set(summary.new_files))
    check(not unread, f"{len(unread)} delivered object(s) not read by the job, e.g. {unread[:1]}")
    return f"read {len(summary.new_files)} new files, wrote {len(summary.uploaded)}"


# --- 5 ------------------------------------------------------------------------------------------


def _saved_query(athena: Any, name: str) -> dict[str, Any]:  # noqa: ANN401 - boto3
    for group in athena.list_work_groups()["WorkGroups"]:
        ids = athena.list_named_queries(WorkGroup=group["Name"])["NamedQueryIds"]
        for query_id in ids:
            query = athena.get_named_query(NamedQueryId=query_id)["NamedQuery"]
            if query["Name"] == name:
                return dict(query)
    raise StageFailedError(f"no saved Athena query named {name}")


def run_query(
    athena: Any,  # noqa: ANN401 - boto3
    sql: str,
    *,
    database: str,
    work_group: str,
    poll_seconds: float = 0.2,
) -> tuple[dict[str, Any], list[list[str | None]]]:
    """StartQueryExecution, poll GetQueryExecution, page GetQueryResults: (execution, rows)."""
    query_id = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database}, WorkGroup=work_group
    )["QueryExecutionId"]
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in _FINAL_QUERY_STATES:
            break
        time.sleep(poll_seconds)
    status = execution["Status"]
    check(
        status["State"] == "SUCCEEDED",
        f"query {query_id} {status['State']}: {status.get('StateChangeReason', '')}",
    )
    rows: list[list[str | None]] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        rows += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
    return execution, rows


def export(state: DemoState) -> str:
    """The saved training export, its run id filled in, through the Athena API (UNLOAD)."""
    from lake_schema.queries import RUN_ID_PLACEHOLDER  # noqa: PLC0415

    athena = state.client("athena")
    saved = _saved_query(athena, TRAINING_EXPORT_QUERY)
    run_id = f"demo-{state.now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    sql = saved["QueryString"].replace(RUN_ID_PLACEHOLDER, run_id)
    target = _UNLOAD_TARGET.search(sql)
    check(target is not None, f"the saved query {TRAINING_EXPORT_QUERY} has no UNLOAD target")
    assert target is not None
    execution, _ = run_query(athena, sql, database=saved["Database"], work_group=saved["WorkGroup"])
    state.export_uri = target[1]
    state.exported, _ = _parquet_rows(state, state.export_uri)
    check(state.exported > 0, f"the export wrote no rows to {state.export_uri}")
    scanned = execution.get("Statistics", {}).get("DataScannedInBytes", 0)
    return f"{state.exported} sessions exported, {scanned} bytes scanned"


# --- 6 ------------------------------------------------------------------------------------------


def pipeline(state: DemoState) -> str:
    """The deployed SageMaker pipeline on the export (InputDataUri), followed to its end."""
    from local_deploy import ml_local  # noqa: PLC0415
    from ml_pipeline.training import INPUT_DATA_PARAMETER  # noqa: PLC0415

    run = ml_local.follow_pipeline(
        state.settings, {INPUT_DATA_PARAMETER: state.export_uri}, out=state.log
    )
    check(run.status == "Succeeded", f"execution {run.status}: {run.failure_reason}")
    check(bool(run.registered), "the execution registered no model package")
    sagemaker = state.client("sagemaker")
    prepare = next((s for s in run.steps if "ProcessingJob" in s.get("Metadata", {})), None)
    check(prepare is not None, "no processing step (Prepare) in the execution's steps")
    assert prepare is not None
    job = sagemaker.describe_processing_job(
        ProcessingJobName=prepare["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1]
    )
    for output in job["ProcessingOutputConfig"]["Outputs"]:
        state.splits[output["OutputName"]] = output["S3Output"]["S3Uri"]
        state.split_rows[output["OutputName"]], _ = _parquet_rows(
            state, output["S3Output"]["S3Uri"]
        )
    rows = state.split_rows
    check(set(rows) == {"train", "validation", "test"}, f"Prepare's outputs are {sorted(rows)}")
    check(
        state.exported == rows["train"] + rows["validation"] + rows["test"],
        f"sessions exported {state.exported} != train {rows['train']} + validation "
        f"{rows['validation']} + test {rows['test']}",
    )
    return (
        f"exported {state.exported} = trained on {rows['train']} + held out "
        f"{rows['validation'] + rows['test']} (validation {rows['validation']}, test "
        f"{rows['test']}); registered 1 package"
    )


# --- 7 ------------------------------------------------------------------------------------------


def approve(state: DemoState) -> str:
    """`python -m local_deploy approve`: the deployed deployer's code makes the endpoint live."""
    from local_deploy import ml_local  # noqa: PLC0415

    status = ml_local.approve(state.settings, out=state.log)
    state.endpoint = _output(state.settings, "EndpointName")
    sagemaker = state.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=state.endpoint)
    check(status == 0, f"endpoint {state.endpoint} is {endpoint['EndpointStatus']}")
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    capture = config.get("DataCaptureConfig") or {}
    check(bool(capture.get("EnableCapture")), f"{state.endpoint}'s config does not capture data")
    state.capture_percentage = int(capture["InitialSamplingPercentage"])
    state.capture_uri = capture["DestinationS3Uri"].rstrip("/") + f"/{state.endpoint}/"
    return (
        f"{state.endpoint} InService on {endpoint['EndpointConfigName']}, capturing "
        f"{state.capture_percentage}%"
    )


# --- 8 ------------------------------------------------------------------------------------------


def invoke(state: DemoState) -> str:
    """sagemaker-runtime InvokeEndpoint, one held-out test row a request (text/csv)."""
    import json  # noqa: PLC0415

    from ml.contract import LABEL_COLUMN  # noqa: PLC0415

    _, rows = _parquet_rows(state, state.splits["test"])
    check(bool(rows), "the test split is empty")
    runtime = state.client("sagemaker-runtime")
    state.invoked_after = state.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    correct = predictions = 0
    for row in rows:
        label = row.pop(LABEL_COLUMN)
        body = ",".join(str(value) for value in row.values())
        response = runtime.invoke_endpoint(
            EndpointName=state.endpoint,
            ContentType="text/csv",
            Accept="application/json",
            Body=body.encode(),
        )
        answer = json.loads(response["Body"].read())["predictions"]
        check(len(answer) == 1, f"one row sent, {len(answer)} predictions back")
        predictions += 1
        correct += int(answer[0]["label"] == label)
    state.invocations = len(rows)
    check(predictions == state.invocations, "an invocation came back without a prediction")
    return (
        f"{state.invocations} requests, {predictions} predictions, held-out accuracy "
        f"{correct / predictions:.2f}"
    )


# --- 9 ------------------------------------------------------------------------------------------


def _capture_table(state: DemoState) -> None:
    """A JSON table over the endpoint's capture prefix, as AWS's data capture examples declare
    it; made again each run (the endpoint, and so the location, may differ)."""
    glue = state.client("glue")
    with contextlib.suppress(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": CAPTURE_DATABASE})
    with contextlib.suppress(glue.exceptions.EntityNotFoundException):
        glue.delete_table(DatabaseName=CAPTURE_DATABASE, Name=CAPTURE_TABLE)
    glue.create_table(
        DatabaseName=CAPTURE_DATABASE,
        TableInput={
            "Name": CAPTURE_TABLE,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "json"},
            "StorageDescriptor": {
                "Columns": [
                    {
                        "Name": "capturedata",
                        "Type": f"struct<endpointInput:{_CAPTURE_IO},endpointOutput:{_CAPTURE_IO}>",
                    },
                    {
                        "Name": "eventmetadata",
                        "Type": "struct<eventId:string,inferenceTime:string>",
                    },
                    {"Name": "eventversion", "Type": "string"},
                ],
                "Location": state.capture_uri,
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )


def capture(state: DemoState) -> str:
    """SELECT the captured requests of this run back through Athena (the lake's workgroup)."""
    _capture_table(state)
    athena = state.client("athena")
    saved = _saved_query(athena, TRAINING_EXPORT_QUERY)  # its workgroup is the lake's
    sql = (
        "SELECT count(*) AS captured, "
        "count_if(capturedata.endpointoutput.data LIKE '%predictions%') AS with_prediction "
        f"FROM {CAPTURE_DATABASE}.{CAPTURE_TABLE} "
        f"WHERE eventmetadata.inferencetime >= '{state.invoked_after}'"
    )
    _, rows = run_query(athena, sql, database=CAPTURE_DATABASE, work_group=saved["WorkGroup"])
    captured, with_prediction = (int(value or 0) for value in rows[1])
    expected = state.invocations * state.capture_percentage // 100
    check(
        captured == expected,
        f"captured {captured} requests, but {state.invocations} invocations at "
        f"{state.capture_percentage}% imply {expected}",
    )
    check(with_prediction == captured, f"{captured - with_prediction} captures lack a response")
    return (
        f"captured {captured} = {state.invocations} invocations x {state.capture_percentage}% "
        "(SQL over the capture prefix)"
    )


#: The stages in order: (name, function).
STAGES: tuple[tuple[str, Callable[[DemoState], str]], ...] = (
    ("deploy", deploy),
    ("produce", produce),
    ("deliver", deliver),
    ("etl", etl),
    ("export", export),
    ("pipeline", pipeline),
    ("approve", approve),
    ("invoke", invoke),
    ("capture", capture),
)
