"""The stack's pipeline definition, run locally by StartPipelineExecution on the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ml_pipeline.training import build_training_pipeline
from tests.local_pipeline.pipeline_fixtures import ARTIFACTS, GROUP, Account, scored_pipeline

# One package-scoped emulator and pipeline run: keep the tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("local_pipeline")

Run = tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]


def test_execution_registers_a_pending_package(registered: Run, account: Account) -> None:
    execution, steps, package = registered
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution["FailureReason"]
    assert [s["StepName"] for s in steps] == [
        "Prepare",
        "Train",
        "Evaluate",
        "CheckMetric",
        "PackageModel",
        "RegisterModel",
    ]
    assert {s["StepStatus"] for s in steps} == {"Succeeded"}
    for step in steps:
        assert step["StartTime"] <= step["EndTime"]
    assert steps[3]["Metadata"]["Condition"]["Outcome"] == "True"
    execution_id = execution["PipelineExecutionArn"].rsplit("/", 1)[-1]
    sagemaker = account.clients("sagemaker")
    training_job = steps[1]["Metadata"]["TrainingJob"]["Arn"].rsplit("/", 1)[-1]
    described = sagemaker.describe_training_job(TrainingJobName=training_job)
    assert described["HyperParameters"]["num_round"] == "2"  # the override, not the default 3
    artifact = described["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact.endswith(f"/{execution_id}/train/{training_job}/output/model.tar.gz")
    prepare_job = steps[0]["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1]
    assert sagemaker.describe_processing_job(ProcessingJobName=prepare_job)["ProcessingJobName"]
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelPackageGroupName"] == GROUP
    container = package["InferenceSpecification"]["Containers"][0]
    report = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    s3 = account.clients("s3")
    bucket, key = report[5:].split("/", 1)
    assert "accuracy" in json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())["metrics"]
    bucket, key = container["ModelDataUrl"][5:].split("/", 1)
    assert bucket == ARTIFACTS
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == account.kms_key_arn
    execution_id = execution["PipelineExecutionArn"].rsplit("/", 1)[-1]
    assert f"/{execution_id}/package/" in key
    checkpoints = s3.list_objects_v2(
        Bucket=ARTIFACTS, Prefix=f"pipelines/local-training/{execution_id}/checkpoints/"
    )
    assert checkpoints["KeyCount"] == 2  # train.py ran the 2 rounds, one checkpoint each


def test_failing_condition_ends_in_the_fail_step(account: Account) -> None:
    account.create_pipeline("strict", scored_pipeline(account, accuracy=0.25, threshold=0.9))
    execution, steps = account.run("strict")
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert execution["FailureReason"] == "step TooLow: accuracy 0.25 is below 0.9"
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [
        ("Score", "Succeeded"),
        ("Check", "Succeeded"),
        ("TooLow", "Failed"),
    ]
    assert steps[1]["Metadata"]["Condition"]["Outcome"] == "False"
    assert steps[2]["Metadata"]["Fail"]["ErrorMessage"] == "accuracy 0.25 is below 0.9"
    execution_id = execution["PipelineExecutionArn"].rsplit("/", 1)[-1]
    head = account.clients("s3").head_object(
        Bucket=ARTIFACTS, Key=f"scored/{execution_id}/evaluation.json"
    )
    assert head["SSEKMSKeyId"] == account.kms_key_arn


def test_unsupported_step_type_fails_the_execution_naming_it(account: Account) -> None:
    document = build_training_pipeline(account.settings()).render()
    document["Steps"].insert(
        0, {"Name": "Transform", "Type": "Transform", "Arguments": {"ModelName": "m"}}
    )
    account.create_pipeline("with-transform", document)
    execution, steps = account.run("with-transform")
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert "step Transform: type Transform is not supported" in execution["FailureReason"]
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [("Transform", "Failed")]


def test_unknown_parameter_fails_the_execution(account: Account) -> None:
    document = build_training_pipeline(account.settings()).render()
    account.create_pipeline("typo", document)
    execution, steps = account.run("typo", NumRounds="2")
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert "NumRounds" in execution["FailureReason"]
    assert steps == []


def test_max_runtime_stops_the_step(account: Account) -> None:
    document = scored_pipeline(account, accuracy=0.5, threshold=0.9)
    score = document["Steps"][0]["Arguments"]
    score["AppSpecification"]["ContainerEntrypoint"] = ["/bin/bash", "-c", "sleep 5"]
    score["StoppingCondition"] = {"MaxRuntimeInSeconds": 1}
    account.create_pipeline("slow", document)
    execution, steps = account.run("slow")
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert execution["FailureReason"] == (
        "step Score: stopped after StoppingCondition.MaxRuntimeInSeconds=1.0"
    )
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [("Score", "Failed")]


def test_without_listing_its_code_prefix_the_first_step_is_denied(
    registered: Run, account: Account
) -> None:
    """The first-step denial of a real account, shown locally: an S3Prefix code input is listed
    before it is read, and the role without that listing fails the step with AWS's answer."""
    iam = account.clients("iam")
    kept = iam.get_role_policy(RoleName="pipeline", PolicyName="list-code")["PolicyDocument"]
    iam.delete_role_policy(RoleName="pipeline", PolicyName="list-code")
    try:
        account.create_pipeline(
            "no-code-listing", build_training_pipeline(account.settings()).render()
        )
        execution, steps = account.run("no-code-listing", NumRound="1")
    finally:
        iam.put_role_policy(
            RoleName="pipeline", PolicyName="list-code", PolicyDocument=json.dumps(kept)
        )
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert [(s["StepName"], s["StepStatus"]) for s in steps] == [("Prepare", "Failed")]
    reason = steps[0]["FailureReason"]
    assert "AccessDenied" in reason
    assert (
        "role/pipeline is not authorized to perform: s3:ListBucket on resource: arn:aws:s3:::assets"
        in reason
    )
