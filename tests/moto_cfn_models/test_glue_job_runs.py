"""moto_cfn_models.glue_job_runs: a reported Glue job run answers with what was reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

import moto_cfn_models

URL = "http://motoapi.amazonaws.com/moto-api/glue/job-run-state"


@pytest.fixture
def glue(aws_credentials: None) -> Iterator[Any]:
    moto_cfn_models.register()
    with mock_aws():
        client = boto3.client("glue", region_name="us-east-1")
        client.create_job(
            Name="j",
            Role="arn:aws:iam::123456789012:role/r",
            Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
            DefaultArguments={"--a": "1"},
            GlueVersion="5.0",
        )
        yield client


def _report(**body: str) -> requests.Response:
    return requests.post(URL, data=json.dumps({"job_name": "j", **body}), timeout=10)


def test_a_running_run_stays_running_until_reported_complete(glue: Any) -> None:
    run_id = glue.start_job_run(JobName="j", Arguments={"--b": "2"})["JobRunId"]
    response = _report(run_id=run_id, state="RUNNING", started_on="2026-11-21T13:00:00+00:00")
    assert response.status_code == 200
    for _ in range(3):  # moto alone would have advanced it to SUCCEEDED by now
        run = glue.get_job_run(JobName="j", RunId=run_id)["JobRun"]
        assert run["JobRunState"] == "RUNNING"
    assert "CompletedOn" not in run
    assert "ExecutionTime" not in run
    _report(
        run_id=run_id,
        state="FAILED",
        started_on="2026-11-21T13:00:00+00:00",
        completed_on="2026-11-21T13:01:07.6+00:00",
        error_message="ValueError: boom",
    )
    run = glue.get_job_runs(JobName="j")["JobRuns"][0]
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == "ValueError: boom"
    assert run["ExecutionTime"] == 68
    assert run["GlueVersion"] == "5.0"
    assert run["Arguments"] == {"--a": "1", "--b": "2"}


def test_bad_reports_are_refused_with_the_reason(glue: Any) -> None:
    run_id = glue.start_job_run(JobName="j")["JobRunId"]
    bad_state = _report(run_id=run_id, state="DONE", started_on="2026-11-21T13:00:00+00:00")
    assert bad_state.status_code == 400
    assert "'DONE' is not one of" in bad_state.json()["error"]
    no_end = _report(run_id=run_id, state="SUCCEEDED", started_on="2026-11-21T13:00:00+00:00")
    assert no_end.status_code == 400
    assert "needs completed_on" in no_end.json()["error"]
    unknown = _report(run_id="jr_nope", state="RUNNING", started_on="2026-11-21T13:00:00+00:00")
    assert unknown.status_code == 404
