"""`local_deploy.glue_job_run`: the Glue job, created as the CDK deploys it, run twice on local
Spark against moto's S3 and Glue; the bookmark hands the second run only the new file."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
import time_machine
from moto import mock_aws
from pyspark.sql import SparkSession

from lake_schema import EVENTS
from local_deploy.firehose.parquet import TableSchema
from local_deploy.glue_job_run import JobRunSummary, bookmark_file, run_job
from moto_cfn_models.glue_job_runs import install_job_run_reports
from tests.fake_aws import create_service_role, use_fake_aws

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
JOB = "dev-events-curation"
RAW, CURATED, ASSETS = "raw-zone", "curated-zone", "cdk-assets"
SCHEMA_ASSET = "0123abcd.json"
FIREHOSE_SCHEMA = TableSchema.from_glue([{"Name": c.name, "Type": c.type} for c in EVENTS.columns])
FIRST_RUN_AT = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)
SECOND_RUN_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _event(event_id: str, **overrides: Any) -> bytes:
    """One record as the transform Lambda hands it to Firehose's Parquet conversion."""
    record = {
        "event_id": event_id,
        "event_type": "page_view",
        "event_time": "2026-11-20T10:00:00Z",
        "user_id": "u-1",
        "session_id": "s-1",
        "device": "web",
        "country": "DE",
        "properties": {"page": "/home"},
        "ingested_at": "2026-11-20T10:00:05Z",
        **overrides,
    }
    return json.dumps(record).encode()


def _put_firehose_object(s3: Any, key: str, records: list[bytes]) -> str:
    """Parquet as local_deploy's Firehose writes it: snappy, Glue table columns, no extension."""
    body = FIREHOSE_SCHEMA.to_parquet(FIREHOSE_SCHEMA.row(r) for r in records)
    s3.put_object(Bucket=RAW, Key=key, Body=body)
    return f"s3://{RAW}/{key}"


def _create_job_as_deployed(glue: Any, s3: Any) -> None:
    """Script, module zip and schema file as CDK assets; DefaultArguments as GlueEtlJob sets."""
    for bucket in (RAW, CURATED, ASSETS):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=ASSETS, Key="fedcba98.py", Body=(REPO_ROOT / "etl/glue_job.py").read_bytes()
    )
    modules = io.BytesIO()
    with zipfile.ZipFile(modules, "w") as archive:
        archive.write(REPO_ROOT / "etl/events_transform.py", "events_transform.py")
    s3.put_object(Bucket=ASSETS, Key="5566aabb.zip", Body=modules.getvalue())
    s3.put_object(Bucket=ASSETS, Key=SCHEMA_ASSET, Body=EVENTS.source_path.read_bytes())
    key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    glue.create_security_configuration(
        Name="lake",
        EncryptionConfiguration={
            "S3Encryption": [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": key_arn}]
        },
    )
    glue.create_job(
        Name=JOB,
        SecurityConfiguration="lake",
        Role="arn:aws:iam::123456789012:role/etl",
        GlueVersion="5.0",
        Command={
            "Name": "glueetl",
            "PythonVersion": "3",
            "ScriptLocation": f"s3://{ASSETS}/fedcba98.py",
        },
        ExecutionProperty={"MaxConcurrentRuns": 1},
        DefaultArguments={
            "--job-language": "python",
            "--job-bookmark-option": "job-bookmark-enable",
            "--enable-metrics": "true",
            "--extra-py-files": f"s3://{ASSETS}/5566aabb.zip",
            "--extra-files": f"s3://{ASSETS}/{SCHEMA_ASSET}",
            "--schema_file": SCHEMA_ASSET,
            "--raw_bucket": RAW,
            "--curated_bucket": CURATED,
            "--table": "events",
            "--max_clock_skew_hours": "24",
        },
    )


def _create_job_role(iam: Any) -> None:
    """The job's role, least privilege as the deployed one's: read raw and the assets, write
    curated; every call of the local run is authorized against it (local_deploy.access)."""
    policies = {
        "read": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": [
                    f"arn:aws:s3:::{RAW}/*",
                    f"arn:aws:s3:::{ASSETS}/*",
                    f"arn:aws:s3:::{CURATED}/*",
                ],
            },
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": [f"arn:aws:s3:::{RAW}", f"arn:aws:s3:::{CURATED}"],
            },
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"},
        ],
        "write-curated": [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "Resource": f"arn:aws:s3:::{CURATED}/*",
            },
        ],
    }
    create_service_role(iam, "etl", "glue.amazonaws.com", policies)


@pytest.fixture(scope="module")
def runs(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two runs: the first over two Firehose files, the second after one more file lands."""
    state_dir = tmp_path_factory.mktemp("local-state")
    patch = pytest.MonkeyPatch()
    use_fake_aws(patch, REGION)
    install_job_run_reports()
    with mock_aws():
        glue, s3 = boto3.client("glue", region_name=REGION), boto3.client("s3", region_name=REGION)

        def clients(service: str) -> Any:
            # A new client each time: the job role's S3 client is guarded, the operator's not.
            return boto3.client(service, region_name=REGION)

        _create_job_as_deployed(glue, s3)
        _create_job_role(boto3.client("iam", region_name=REGION))
        first_files = [
            _put_firehose_object(
                s3,
                "events/dt=2026-11-20/dev-events-1-2026-11-20-10-05-00-aaaa",
                [_event("e-1"), _event("e-bad", event_type="click"), _event("e-1")],
            ),
            _put_firehose_object(
                s3,
                "events/dt=2026-11-21/dev-events-1-2026-11-21-09-05-00-bbbb",
                [
                    _event(
                        "e-late",
                        event_time="2026-11-18T08:00:00Z",
                        ingested_at="2026-11-21T09:00:00Z",
                    )
                ],
            ),
        ]
        with time_machine.travel(FIRST_RUN_AT):
            first = run_job(JOB, clients=clients, region=REGION, state_dir=state_dir)
        second_file = _put_firehose_object(
            s3,
            "events/dt=2026-11-22/dev-events-1-2026-11-22-09-05-00-cccc",
            [
                _event(
                    "e-2", event_time="2026-11-22T09:00:00Z", ingested_at="2026-11-22T09:00:01Z"
                ),
                _event("e-1"),  # re-delivered: already curated on the 20th
                _event("e-nouser", user_id=None, ingested_at="2026-11-22T09:00:02Z"),
            ],
        )
        with time_machine.travel(SECOND_RUN_AT):
            second = run_job(JOB, clients=clients, region=REGION, state_dir=state_dir)
        with time_machine.travel(SECOND_RUN_AT):
            failed = run_job(
                JOB,
                clients=clients,
                region=REGION,
                state_dir=state_dir,
                arguments={"--max_clock_skew_hours": "soon"},
            )
        boto3.client("iam", region_name=REGION).delete_role_policy(
            RoleName="etl", PolicyName="write-curated"
        )
        _put_firehose_object(
            s3,
            "events/dt=2026-11-22/dev-events-1-2026-11-22-10-05-00-dddd",
            [_event("e-3", event_time="2026-11-22T10:00:00Z", ingested_at="2026-11-22T10:00:01Z")],
        )
        with time_machine.travel(SECOND_RUN_AT):
            denied = run_job(JOB, clients=clients, region=REGION, state_dir=state_dir)
        curated = _read_prefix(s3, CURATED, "events/")
        quarantine = _read_prefix(s3, CURATED, "quarantine/events/")
        yield {
            "first": first,
            "second": second,
            "failed": failed,
            "denied": denied,
            "first_files": first_files,
            "second_file": second_file,
            "curated": curated,
            "quarantine": quarantine,
            "job_runs": glue.get_job_runs(JobName=JOB)["JobRuns"],
            "curated_keys": [o["Key"] for o in s3.list_objects_v2(Bucket=CURATED)["Contents"]],
            "curated_encryption": {
                s3.head_object(Bucket=CURATED, Key=o["Key"]).get("ServerSideEncryption")
                for o in s3.list_objects_v2(Bucket=CURATED)["Contents"]
            },
            "bookmark": json.loads(bookmark_file(state_dir, JOB).read_text()),
        }
    patch.undo()


def _read_prefix(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """Every row under the prefix, with `dt` from its key, as Athena would see them."""
    rows = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        dt = item["Key"].split("dt=")[1].split("/")[0]
        rows += [{**row, "dt": dt} for row in pq.read_table(io.BytesIO(body)).to_pylist()]
    return rows


def test_both_runs_succeed_and_the_second_reads_only_the_new_file(runs: dict[str, Any]) -> None:
    first: JobRunSummary = runs["first"]
    second: JobRunSummary = runs["second"]
    assert (first.state, first.error, second.state, second.error) == (
        "SUCCEEDED",
        "",
        "SUCCEEDED",
        "",
    )
    assert sorted(first.new_files) == sorted(runs["first_files"])
    assert list(second.new_files) == [runs["second_file"]]
    assert first.bookmark_committed
    assert second.bookmark_committed
    bookmark = runs["bookmark"]
    assert bookmark["version"] == 2
    assert bookmark["job_created_on"]
    assert bookmark["run_id"] == second.run_id
    assert sorted(bookmark["transformations"]["firehose_events"]) == sorted(
        [*runs["first_files"], runs["second_file"]]
    )


def test_curated_rows_are_each_event_once_in_its_day(runs: dict[str, Any]) -> None:
    found = sorted((r["event_id"], r["dt"]) for r in runs["curated"])
    assert found == [("e-1", "2026-11-20"), ("e-2", "2026-11-22"), ("e-late", "2026-11-18")]
    e1 = next(r for r in runs["curated"] if r["event_id"] == "e-1")
    assert e1["ingested_at"] == datetime(2026, 11, 20, 10, 0, 5, tzinfo=UTC)
    assert all(k.endswith(".snappy.parquet") for k in runs["curated_keys"]), runs["curated_keys"]
    # Written as the job's security configuration says (SSE-KMS), quarantine included.
    assert runs["curated_encryption"] == {"aws:kms"}


def test_the_quarantine_names_the_s3_object_reason_and_run(runs: dict[str, Any]) -> None:
    first, second = runs["first"], runs["second"]
    found = sorted(
        (r["dt"], r["run_id"], r["source"], r["source_file"], r["reason"].split(":")[0])
        for r in runs["quarantine"]
    )
    assert found == [
        ("2026-11-21", first.run_id, "firehose", runs["first_files"][0], "event_type"),
        ("2026-11-22", second.run_id, "firehose", runs["second_file"], "user_id"),
    ]
    stamps = {r["run_id"]: r["quarantined_at"] for r in runs["quarantine"]}
    assert stamps[first.run_id].date() == FIRST_RUN_AT.date()
    assert stamps[second.run_id].date() == SECOND_RUN_AT.date()


def test_a_failing_run_is_failed_with_its_error_and_leaves_the_bookmark(
    runs: dict[str, Any],
) -> None:
    failed: JobRunSummary = runs["failed"]
    assert failed.state == "FAILED"
    assert failed.error == "ValueError: --max_clock_skew_hours: 'soon' is not a number"
    assert not failed.bookmark_committed
    assert runs["bookmark"]["run_id"] == runs["second"].run_id
    record = next(r for r in runs["job_runs"] if r["Id"] == failed.run_id)
    assert record["JobRunState"] == "FAILED"
    assert record["ErrorMessage"] == failed.error
    assert record["Arguments"]["--max_clock_skew_hours"] == "soon"


def test_get_job_runs_shows_both_runs_as_they_ran(runs: dict[str, Any]) -> None:
    by_id = {r["Id"]: r for r in runs["job_runs"]}
    assert set(by_id) == {runs[name].run_id for name in ("first", "second", "failed", "denied")}
    for summary, started in ((runs["first"], FIRST_RUN_AT), (runs["second"], SECOND_RUN_AT)):
        record = by_id[summary.run_id]
        assert record["JobRunState"] == "SUCCEEDED"
        assert "ErrorMessage" not in record
        assert record["StartedOn"].astimezone(UTC).date() == started.date()
        assert record["CompletedOn"] >= record["StartedOn"]
        assert record["ExecutionTime"] == round(
            (record["CompletedOn"] - record["StartedOn"]).total_seconds()
        )
        assert record["GlueVersion"] == "5.0"
        assert record["Arguments"]["--job-bookmark-option"] == "job-bookmark-enable"
        assert record["Arguments"]["--schema_file"] == SCHEMA_ASSET


def test_a_write_the_role_may_not_make_fails_the_run_as_aws_would(runs: dict[str, Any]) -> None:
    """Without its curated write grant the role's upload is denied: the run FAILS, naming the
    principal, the action, the object and the decision."""
    denied: JobRunSummary = runs["denied"]
    assert denied.state == "FAILED"
    assert "AccessDenied" in denied.error
    assert "role/etl is not authorized to perform: s3:PutObject on resource: " in denied.error
    assert f"arn:aws:s3:::{CURATED}/events/" in denied.error
    assert "ImplicitlyDenied: no statement allows it" in denied.error
