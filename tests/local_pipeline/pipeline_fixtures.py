"""An emulated account holding what the deployed training pipeline needs, in-process (mock_aws).

The pipeline definition is the one ml_pipeline builds for the stack, with this account's
buckets, key and group; the code archive is ml/ as a sourcedir.tar.gz, as the stack uploads it.
moto's clock is pinned with time_machine (ticking, so step timings are ordered).
"""

from __future__ import annotations

import dataclasses
import io
import json
import sys
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import time_machine
from moto import mock_aws

import moto_cfn_models
from local_deploy import sagemaker_local
from ml import contract
from ml_pipeline.definition import (
    EXECUTION_ID,
    Condition,
    PipelineDefinition,
    PropertyFile,
    condition_step,
    fail_step,
    join,
    json_get,
    processing_step,
)
from ml_pipeline.training import TrainingPipelineSettings, build_training_pipeline
from tests.fake_aws import create_service_role, use_fake_aws

ML_DIR = Path(__file__).resolve().parents[2] / "ml"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ml"))
from ml_testdata import synthetic_frame  # noqa: E402

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REGION = "us-east-1"
ACCOUNT = "123456789012"
LAKE, ARTIFACTS, ASSETS, CAPTURE = "lake", "artifacts", "assets", "analytics"
GROUP = "local-models"
PIPELINE = "local-training"
CODE_KEY = "code/sourcedir.tar.gz"
HYPERPARAMETERS: dict[str, int | float] = {
    "max_depth": 3,
    "eta": 0.5,
    "num_round": 3,
    "subsample": 1.0,
    "colsample_bytree": 1.0,
    "min_child_weight": 1.0,
    "early_stopping_rounds": 0,
    "seed": 0,
    "checkpoint_frequency": 1,
}


def code_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(ML_DIR.glob("*.py")):
            archive.add(path, arcname=path.name)
    return buffer.getvalue()


@dataclass
class Account:
    kms_key_arn: str
    clients: Callable[[str], Any]

    def settings(self, **changes: Any) -> TrainingPipelineSettings:
        base = TrainingPipelineSettings(
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/pipeline",
            image_uri="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0",
            code_s3_uri=f"s3://{ASSETS}/{CODE_KEY}",
            code_file_name="sourcedir.tar.gz",
            input_data_uri=f"s3://{LAKE}/training/export/",
            artifacts_s3_uri=f"s3://{ARTIFACTS}/pipelines/{PIPELINE}",
            kms_key_arn=self.kms_key_arn,
            subnet_ids=("subnet-1",),
            security_group_ids=("sg-1",),
            processing_instance_type="ml.m5.xlarge",
            training_instance_type="ml.g5.xlarge",
            endpoint_instance_type="ml.g5.xlarge",
            spot_training=True,
            max_run_seconds=3600,
            max_wait_seconds=7200,
            hyperparameters=dict(HYPERPARAMETERS),
            metric_name=contract.CONDITION_METRIC,
            metric_threshold=0.5,
            model_package_group_name=GROUP,
        )
        return dataclasses.replace(base, **changes)

    def create_pipeline(self, name: str, definition: dict[str, Any]) -> None:
        self.clients("sagemaker").create_pipeline(
            PipelineName=name,
            PipelineDefinition=json.dumps(definition),
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/pipeline",
        )

    def run(self, name: str, **parameters: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        sagemaker = self.clients("sagemaker")
        arn = sagemaker.start_pipeline_execution(
            PipelineName=name,
            PipelineParameters=[{"Name": k, "Value": v} for k, v in parameters.items()],
        )["PipelineExecutionArn"]
        execution = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        steps = sagemaker.list_pipeline_execution_steps(
            PipelineExecutionArn=arn, SortOrder="Ascending"
        )["PipelineExecutionSteps"]
        return execution, steps


#: The pipeline role's grants, least privilege as the stack's (constructs/ml): each local step's
#: S3 call is authorized against them (local_deploy.access). "list-code" is the S3Prefix code
#: input's listing, whose absence was the pipeline's first-step denial.
def pipeline_role_policies(key_arn: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "list-code": [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{ASSETS}",
                "Condition": {"StringLike": {"s3:prefix": [CODE_KEY]}},
            }
        ],
        "read-inputs": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": [
                    f"arn:aws:s3:::{ASSETS}/{CODE_KEY}",
                    f"arn:aws:s3:::{LAKE}/training/*",
                ],
            },
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{LAKE}",
                "Condition": {"StringLike": {"s3:prefix": ["training/*"]}},
            },
        ],
        "artifacts": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                # scored/: where scored_pipeline (below) writes its report.
                "Resource": [
                    f"arn:aws:s3:::{ARTIFACTS}/pipelines/*",
                    f"arn:aws:s3:::{ARTIFACTS}/scored/*",
                ],
            },
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{ARTIFACTS}",
                "Condition": {"StringLike": {"s3:prefix": ["pipelines/*", "scored/*"]}},
            },
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
            },
        ],
    }


@pytest.fixture(scope="package")
def account() -> Iterator[Account]:
    with pytest.MonkeyPatch.context() as patch:
        use_fake_aws(patch, REGION)
        moto_cfn_models.register()
        sagemaker_local.install(synchronous=True)
        with time_machine.travel(T0, tick=True), mock_aws():

            def clients(service: str) -> Any:
                return boto3.client(service, region_name=REGION)

            s3 = clients("s3")
            for bucket in (LAKE, ARTIFACTS, ASSETS, CAPTURE):
                s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=ASSETS, Key=CODE_KEY, Body=code_archive())
            frame = synthetic_frame(rows=80, classes=2, features=3)
            buffer = io.BytesIO()
            frame.to_parquet(buffer, index=False)
            s3.put_object(Bucket=LAKE, Key="training/export/part-0", Body=buffer.getvalue())
            key = clients("kms").create_key()["KeyMetadata"]["Arn"]
            create_service_role(
                clients("iam"), "pipeline", "sagemaker.amazonaws.com", pipeline_role_policies(key)
            )
            clients("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
            yield Account(kms_key_arn=key, clients=clients)
            sagemaker_local.install(synchronous=False)


@pytest.fixture(scope="package")
def registered(account: Account) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """One execution of the stack's pipeline that passes its condition, and the package it
    registered as it was right after the run (the approval tests change it)."""
    account.create_pipeline(PIPELINE, build_training_pipeline(account.settings()).render())
    execution, steps = account.run(PIPELINE, NumRound="2")  # a per-execution override
    assert steps, execution
    arn = steps[-1].get("Metadata", {}).get("RegisterModel", {}).get("Arn")
    package = (
        account.clients("sagemaker").describe_model_package(ModelPackageName=arn) if arn else {}
    )
    return execution, steps, package


def scored_pipeline(account: Account, accuracy: float, threshold: float) -> dict[str, Any]:
    """Score (a bash-only processing step writing the report) -> Check -> Register | Fail."""
    report = PropertyFile("Report", "evaluation", "evaluation.json")
    out = "/opt/ml/processing/evaluation"
    score = processing_step(
        "Score",
        {
            "ProcessingResources": {
                "ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1}
            },
            "AppSpecification": {
                "ImageUri": "image",
                "ContainerEntrypoint": [
                    "/bin/bash",
                    "-c",
                    f'echo \'{{"metrics": {{"accuracy": {accuracy}}}}}\' > {out}/evaluation.json',
                ],
            },
            "RoleArn": "arn:aws:iam::123456789012:role/pipeline",
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "evaluation",
                        "S3Output": {
                            "S3Uri": join([f"s3://{ARTIFACTS}/scored", EXECUTION_ID], on="/"),
                            "LocalPath": out,
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ],
                "KmsKeyId": account.kms_key_arn,
            },
        },
        [report],
    )
    metric = json_get(score, report, "metrics.accuracy")
    check = condition_step(
        "Check",
        [Condition("GreaterThanOrEqualTo", metric, threshold)],
        if_steps=[fail_step("NeverHere", "the condition held")],
        else_steps=[fail_step("TooLow", join(["accuracy ", metric, f" is below {threshold}"]))],
    )
    return PipelineDefinition((), (score, check)).render()
