"""constructs/ml/training_pipeline.py: GpuTrainingPipeline, built in a bare stack from props."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs.ml.source_archive import SourceArchive
from constructs.ml.training_pipeline import (
    GpuTrainingPipeline,
    PipelineNames,
    TrainingData,
    TrainingSpec,
)
from constructs.ml.xgboost_image import XgboostImage
from tests.constructs.bare import bare_stack, synthesized

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
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _built(tmp_path: Path) -> tuple[GpuTrainingPipeline, Template]:
    app, stack = bare_stack()
    (tmp_path / "train.py").write_text("print('train')\n")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0a1b2c3d4e5f60718",
        availability_zones=["eu-west-1a"],
        private_subnet_ids=["subnet-0a1b2c3d4e5f60718"],
    )
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    pipeline = GpuTrainingPipeline(
        stack,
        "Training",
        training=TrainingSpec(
            training_instance_type="ml.g5.xlarge",
            processing_instance_type="ml.m5.xlarge",
            endpoint_instance_type="ml.g5.xlarge",
            hyperparameters=HYPERPARAMETERS,
            metric_name="validation_auc",
            metric_threshold=0.7,
        ),
        names=PipelineNames(pipeline="demo-training", model_package_group="demo-models"),
        vpc=vpc,
        subnets=vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets,
        training_data=TrainingData(
            bucket=s3.Bucket.from_bucket_name(stack, "Lake", "lake-bucket"),
            prefix="training/events/",
            key=key,
        ),
        artifacts=s3.Bucket.from_bucket_name(stack, "Artifacts", "artifacts-bucket"),
        artifacts_key=key,
        code=SourceArchive(stack, "Code", source=tmp_path),
        image=XgboostImage(stack, "Image"),
    )
    return pipeline, synthesized(app, stack)  # cdk-nag clean, or synth fails


def _definition(template: Template) -> dict:
    """The rendered definition, with each CloudFormation token inside it replaced by "TOKEN"."""
    (pipeline,) = template.find_resources("AWS::SageMaker::Pipeline").values()
    body = pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]
    _, parts = body["Fn::Join"]
    return json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts))


def test_definition_prepares_trains_evaluates_and_registers_conditionally(tmp_path: Path) -> None:
    _, template = _built(tmp_path)
    steps = {step["Name"]: step for step in _definition(template)["Steps"]}
    types = {name: step["Type"] for name, step in steps.items()}
    assert types["Prepare"] == "Processing"
    assert "Training" in types.values()
    assert "Condition" in types.values()
    training = next(step for step in steps.values() if step["Type"] == "Training")
    arguments = training["Arguments"]
    assert arguments["ResourceConfig"]["InstanceType"] == "ml.g5.xlarge"
    # ml.g5 has local NVMe storage: SageMaker refuses a volume key there.
    assert "VolumeKmsKeyId" not in arguments["ResourceConfig"]
    assert arguments["EnableManagedSpotTraining"] is True
    assert arguments["EnableNetworkIsolation"] is True
    assert arguments["VpcConfig"]["Subnets"] == ["subnet-0a1b2c3d4e5f60718"]
    prepare = steps["Prepare"]["Arguments"]["ProcessingResources"]["ClusterConfig"]
    assert prepare["VolumeKmsKeyId"] == KEY_ARN  # ml.m5: EBS, so the key applies


def test_pipeline_and_group_are_named_and_the_role_is_sagemakers(tmp_path: Path) -> None:
    _, template = _built(tmp_path)
    template.has_resource_properties("AWS::SageMaker::Pipeline", {"PipelineName": "demo-training"})
    template.has_resource_properties(
        "AWS::SageMaker::ModelPackageGroup", {"ModelPackageGroupName": "demo-models"}
    )
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {
        action
        for statement in statements
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }
    assert {"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob"} <= actions
    assert "iam:PassRole" in actions
    assert not any(action.endswith(":*") for action in actions)
