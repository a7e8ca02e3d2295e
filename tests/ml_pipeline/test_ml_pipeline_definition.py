"""The pure pipeline-definition model and this platform's training pipeline, without CDK."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ml import contract
from ml_pipeline.definition import (
    Condition,
    DefinitionError,
    PipelineDefinition,
    PropertyFile,
    condition_step,
    fail_step,
    get,
    json_get,
    model_artifacts_uri,
    parameter_float,
    parameter_integer,
    parameter_string,
    processing_output_uri,
    processing_step,
    register_model_step,
    training_step,
)
from ml_pipeline.instance_storage import has_local_instance_storage
from ml_pipeline.training import TrainingPipelineSettings, build_training_pipeline
from tests.ml_pipeline.template_values import steps_by_name

REPORT = PropertyFile("Report", "evaluation", "evaluation.json")


def _processing(name: str, outputs: tuple[str, ...] = ("out",), **arguments: object) -> dict:
    return {
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": o} for o in outputs]},
        **arguments,
    }


def _settings(**changes: object) -> TrainingPipelineSettings:
    base = TrainingPipelineSettings(
        role_arn="arn:aws:iam::123456789012:role/pipeline",
        image_uri="123.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:3.2-0",
        code_s3_uri="s3://assets/abc.gz",
        code_file_name="abc.gz",
        input_data_uri="s3://lake/training/events/",
        artifacts_s3_uri="s3://artifacts/pipelines/p",
        kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/k",
        subnet_ids=("subnet-1", "subnet-2"),
        security_group_ids=("sg-1",),
        processing_instance_type="ml.m5.xlarge",
        training_instance_type="ml.g5.xlarge",
        endpoint_instance_type="ml.g5.xlarge",
        spot_training=True,
        max_run_seconds=3600,
        max_wait_seconds=7200,
        hyperparameters={
            name: float(value) if "." in value else int(value)
            for name, value in contract.DEFAULT_HYPERPARAMETERS.items()
        },
        metric_name="accuracy",
        metric_threshold=0.8,
        model_package_group_name="group",
    )
    return dataclasses.replace(base, **changes)


# --- the generic model ---------------------------------------------------------------------------


def test_renders_parameters_steps_and_nested_branches() -> None:
    size = parameter_integer("Size", 3)
    rate = parameter_float("Rate", 1)
    first = processing_step("First", _processing("First", ("evaluation",)), [REPORT])
    register = register_model_step("Register", {"ModelPackageGroupName": "g", "X": size.ref})
    check = condition_step(
        "Check",
        [Condition("GreaterThanOrEqualTo", json_get(first, REPORT, "metrics.a"), rate.ref)],
        if_steps=[register],
        else_steps=[fail_step("Stop", "too low")],
    )
    document = PipelineDefinition((size, rate), (first, check)).render()
    assert document["Version"] == "2020-12-01"
    assert document["Parameters"] == [
        {"Name": "Size", "Type": "Integer", "DefaultValue": 3},
        {"Name": "Rate", "Type": "Float", "DefaultValue": 1.0},
    ]
    assert [s["Name"] for s in document["Steps"]] == ["First", "Check"]
    assert document["Steps"][0]["PropertyFiles"] == [
        {"PropertyFileName": "Report", "OutputName": "evaluation", "FilePath": "evaluation.json"}
    ]
    arguments = document["Steps"][1]["Arguments"]
    assert arguments["Conditions"][0]["LeftValue"] == {
        "Std:JsonGet": {
            "PropertyFile": {"Get": "Steps.First.PropertyFiles.Report"},
            "Path": "metrics.a",
        }
    }
    assert [s["Type"] for s in arguments["IfSteps"]] == ["RegisterModel"]
    assert arguments["ElseSteps"] == [
        {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "too low"}}
    ]
    json.dumps(document)  # JSON-serialisable as it stands


def test_step_properties_are_the_documented_paths() -> None:
    train = training_step("Train", {})
    prepare = processing_step("Prep", _processing("Prep", ("train",)))
    assert model_artifacts_uri(train) == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    assert processing_output_uri(prepare, "train") == {
        "Get": "Steps.Prep.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
    }
    with pytest.raises(DefinitionError, match="not Training"):
        model_artifacts_uri(prepare)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PipelineDefinition((), (training_step("T", {"X": get("Parameters.Nope")}),)),
         "no such parameter"),
        (lambda: PipelineDefinition((), (training_step("T", {"X": get("Steps.Ghost.Y")}),)),
         "no such step"),
        (lambda: PipelineDefinition((), (training_step("T", {"X": get("Steps.T.Y")}),)),
         "its own properties"),
        (lambda: PipelineDefinition((), (training_step("T", {"X": get("Execution.Nope")}),)),
         "not an execution variable"),
        (lambda: PipelineDefinition((), (training_step("T", {}), training_step("T", {}))),
         "duplicate step name"),
        (lambda: PipelineDefinition(
            (parameter_string("P", "a"), parameter_string("P", "b")), ()),
         "duplicate parameter"),
        (lambda: PipelineDefinition(
            (), (processing_step("E", _processing("E")),
                 training_step("T", {"X": get("Steps.E.PropertyFiles.Missing")}))),
         "declares"),
    ],
)  # fmt: skip
def test_inconsistent_references_fail_at_render(build: object, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        build().render()  # type: ignore[operator]


def test_construction_errors_name_the_problem() -> None:
    with pytest.raises(DefinitionError, match="not a Integer"):
        parameter_integer("N", True)  # bool is not an integer here
    with pytest.raises(DefinitionError, match="step name"):
        training_step("has space", {})
    with pytest.raises(DefinitionError, match="reads output 'evaluation'"):
        processing_step("E", _processing("E", ("other",)), [REPORT])
    with pytest.raises(DefinitionError, match="declares no property file"):
        json_get(processing_step("E", _processing("E")), REPORT, "a")
    with pytest.raises(DefinitionError, match="at least one condition"):
        condition_step("C", [])
    with pytest.raises(DefinitionError, match="ModelPackageGroupName"):
        register_model_step("R", {})


# --- this platform's pipeline --------------------------------------------------------------------


def test_training_pipeline_renders_and_orders_steps() -> None:
    document = build_training_pipeline(_settings()).render()
    assert list(steps_by_name(document)) == [
        "Prepare", "Train", "Evaluate", "CheckMetric", "PackageModel", "RegisterModel",
        "MetricBelowThreshold",
    ]  # fmt: skip
    (condition,) = steps_by_name(document)["CheckMetric"]["Arguments"]["Conditions"]
    assert condition["RightValue"] == 0.8


def test_on_demand_training_has_no_spot_settings() -> None:
    train = steps_by_name(build_training_pipeline(_settings(spot_training=False)).render())["Train"]
    arguments = train["Arguments"]
    assert "EnableManagedSpotTraining" not in arguments
    assert arguments["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert arguments["CheckpointConfig"]["LocalPath"] == contract.CHECKPOINT_DIR


def test_volume_key_only_where_the_instance_has_no_local_storage() -> None:
    steps = steps_by_name(
        build_training_pipeline(_settings(training_instance_type="ml.p3.2xlarge")).render()
    )
    assert steps["Train"]["Arguments"]["ResourceConfig"]["VolumeKmsKeyId"].startswith("arn:")
    steps = steps_by_name(build_training_pipeline(_settings()).render())
    assert "VolumeKmsKeyId" not in steps["Train"]["Arguments"]["ResourceConfig"]


def test_hyperparameters_must_match_the_training_script() -> None:
    with pytest.raises(ValueError, match="unknown \\['depth'\\]"):
        build_training_pipeline(_settings(hyperparameters={"depth": 3}))


def test_metric_path_follows_the_configured_metric() -> None:
    document = build_training_pipeline(_settings(metric_name="f1_macro")).render()
    (condition,) = steps_by_name(document)["CheckMetric"]["Arguments"]["Conditions"]
    assert condition["LeftValue"]["Std:JsonGet"]["Path"] == "metrics.f1_macro"


@pytest.mark.parametrize(
    ("instance_type", "local"),
    [("ml.g5.xlarge", True), ("ml.g4dn.xlarge", True), ("ml.m5.xlarge", False),
     ("ml.p3.2xlarge", False), ("ml.p4d.24xlarge", True)],
)  # fmt: skip
def test_local_instance_storage(instance_type: str, local: bool) -> None:
    assert has_local_instance_storage(instance_type) is local


def test_local_instance_storage_rejects_non_sagemaker_types() -> None:
    with pytest.raises(ValueError, match="not a SageMaker instance type"):
        has_local_instance_storage("g5.xlarge")
