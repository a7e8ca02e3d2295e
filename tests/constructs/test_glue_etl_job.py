"""constructs/lake: GlueEtlJob (glue_etl_job.py), built in a bare stack from props alone (no
profile is parsed). Its code is a throwaway script, module and file; the lake buckets and key are
imported references, so a finding here is the job's (or its security configuration's)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs.lake.glue_etl_job import (
    GLUE_METRICS_NAMESPACE,
    GLUE_VERSION,
    BucketAccess,
    GlueEtlJob,
    JobCode,
    JobRuns,
)
from constructs.lake.glue_security import GlueSecurityConfiguration
from tests.constructs.bare import bare_stack, synthesized

KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> tuple[Template, str, str]:
    """Returns the template and the logical IDs of the job and of the security configuration."""
    code_dir = tmp_path_factory.mktemp("job")
    (code_dir / "main.py").write_text("print('curate')\n")
    modules = code_dir / "modules"
    modules.mkdir()
    (modules / "helpers.py").write_text("X = 1\n")
    (code_dir / "schema.json").write_text("{}\n")
    app, stack = bare_stack()
    key = kms.Key.from_key_arn(stack, "LakeKey", KEY_ARN)
    raw = s3.Bucket.from_bucket_attributes(stack, "Raw", bucket_name="lake-raw", encryption_key=key)
    curated = s3.Bucket.from_bucket_attributes(
        stack, "Curated", bucket_name="lake-curated", encryption_key=key
    )
    security = GlueSecurityConfiguration(stack, "Security", name="lake-security", data_key=key)
    etl = GlueEtlJob(
        stack,
        "Job",
        name="lake-curate",
        description="Curates raw events",
        code=JobCode(
            script=code_dir / "main.py",
            python_modules=[modules / "helpers.py"],
            file_arguments={"--schema-file": code_dir / "schema.json"},
        ),
        security=security,
        data_access=[
            BucketAccess(bucket=raw, prefixes=["events/"]),
            BucketAccess(bucket=curated, prefixes=["events/"], write=True),
        ],
        catalog_tables={"lake_test_raw": ["events"]},
        arguments={"--raw-database": "lake_test_raw"},
        runs=JobRuns(number_of_workers=3, timeout_minutes=30, schedule="cron(0 2 * * ? *)"),
    )
    template = synthesized(app, stack)  # cdk-nag clean, or synth fails
    return template, stack.get_logical_id(etl.job), stack.get_logical_id(security.configuration)


def _statements(template: Template) -> list[dict[str, Any]]:
    return [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_job_runs_glue_5_one_at_a_time_under_the_security_configuration(
    job: tuple[Template, str, str],
) -> None:
    template, job_id, security_id = job
    jobs = template.find_resources("AWS::Glue::Job")
    assert list(jobs) == [job_id]
    resource = jobs[job_id]
    props = resource["Properties"]
    assert props["GlueVersion"] == GLUE_VERSION
    assert props["Command"]["Name"] == "glueetl"
    assert props["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert props["SecurityConfiguration"] == "lake-security"
    assert security_id in resource["DependsOn"]
    assert (props["NumberOfWorkers"], props["Timeout"], props["MaxRetries"]) == (3, 30, 0)
    assert (props["WorkerType"], props["ExecutionClass"]) == ("G.1X", "STANDARD")


def test_default_arguments_enable_bookmarks_metrics_and_pass_the_scripts_own(
    job: tuple[Template, str, str],
) -> None:
    template, job_id, _ = job
    args = template.find_resources("AWS::Glue::Job")[job_id]["Properties"]["DefaultArguments"]
    assert args["--job-bookmark-option"] == "job-bookmark-enable"
    assert args["--enable-metrics"] == "true"
    assert args["--raw-database"] == "lake_test_raw"
    # The file argument is the uploaded object's name (<hash>.json).
    assert args["--schema-file"].endswith(".json")
    assert "--extra-py-files" in args
    assert "--extra-files" in args


def test_no_continuous_logging_flag_on_glue_5(job: tuple[Template, str, str]) -> None:
    """`--enable-continuous-cloudwatch-log` is Glue 4.0 and earlier: on Glue 5.0 every job already
    streams its logs to CloudWatch in real time (/aws-glue/jobs/error and /aws-glue/jobs/output,
    per AWS's "Logging for AWS Glue jobs"), so the flag would be a no-op that reads as a setting.
    What does work stays: the security configuration (it encrypts those logs) and the role's
    grant on /aws-glue/* log groups."""
    template, job_id, security_id = job
    props = template.find_resources("AWS::Glue::Job")[job_id]["Properties"]
    assert props["GlueVersion"] == "5.0"
    assert not [a for a in props["DefaultArguments"] if a.startswith("--enable-continuous")]
    assert not [a for a in props["DefaultArguments"] if a.startswith("--continuous-log")]
    assert props["SecurityConfiguration"] == "lake-security"
    assert security_id in template.find_resources("AWS::Glue::Job")[job_id]["DependsOn"]
    (logs,) = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "WriteGlueLogs"
    ]
    assert "logs:PutLogEvents" in _actions(logs)
    assert "/aws-glue/*" in str(logs["Resource"])


def test_scheduled_trigger_starts_the_job(job: tuple[Template, str, str]) -> None:
    template, job_id, _ = job
    (trigger,) = template.find_resources("AWS::Glue::Trigger").values()
    props = trigger["Properties"]
    assert props["Type"] == "SCHEDULED"
    assert props["Schedule"] == "cron(0 2 * * ? *)"
    assert props["StartOnCreation"] is True
    assert props["Actions"] == [{"JobName": {"Ref": job_id}}]


def test_role_reads_raw_writes_curated_only_under_its_prefixes(
    job: tuple[Template, str, str],
) -> None:
    template, _, _ = job
    statements = _statements(template)
    deletes = [s for s in statements if "s3:DeleteObject" in _actions(s)]
    assert len(deletes) == 1
    assert "lake-curated" in str(deletes[0]["Resource"])
    assert "/events/*" in str(deletes[0]["Resource"])
    assert "lake-raw" not in str(deletes[0]["Resource"])
    # CDK merges the two buckets' listing statements: same action and condition.
    (listing,) = [
        s for s in statements if "lake-" in str(s["Resource"]) and _actions(s) == ["s3:ListBucket"]
    ]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["events/*"]}}
    assert "lake-raw" in str(listing["Resource"])
    assert "lake-curated" in str(listing["Resource"])


def test_role_catalog_and_metrics_are_scoped(job: tuple[Template, str, str]) -> None:
    template, _, _ = job
    by_sid = {s.get("Sid"): s for s in _statements(template)}
    catalog = by_sid["ReadTheLakeTables"]
    assert not any(
        a.startswith("glue:Update") or a.startswith("glue:Delete") for a in _actions(catalog)
    )
    resources = str(catalog["Resource"])
    assert ":database/lake_test_raw" in resources
    assert ":table/lake_test_raw/events" in resources
    assert len(catalog["Resource"]) == 3
    metrics = by_sid["PublishGlueMetrics"]
    assert metrics["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": GLUE_METRICS_NAMESPACE}
    }
