"""This platform's training pipeline: Prepare -> Train -> Evaluate -> Condition -> Register.

Every job runs the one framework image (the SageMaker XGBoost container) and the one code archive
(ml/ as sourcedir.tar.gz, content-addressed), inside the VPC with network isolation. Isolation
means a container cannot fetch its own code from S3, so the archive always arrives as a job input
that SageMaker downloads before the container starts:
- processing jobs get it at CODE_DIR and unpack it with a short shell entry point;
- the training job gets it as the `code` channel and sagemaker_submit_directory names the local
  file (what the SageMaker Python SDK does for network-isolated jobs);
- the model package gets it inside model.tar.gz: the Package step (a processing job on the
  passing branch) adds code/ to the trained artifact and SAGEMAKER_SUBMIT_DIRECTORY points at
  /opt/ml/model/code, because an isolated endpoint cannot download code either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ml import contract
from ml_pipeline.definition import (
    EXECUTION_ARN,
    EXECUTION_ID,
    Condition,
    Json,
    Parameter,
    PipelineDefinition,
    PropertyFile,
    Step,
    condition_step,
    fail_step,
    join,
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

PREPARE, TRAIN, EVALUATE, CHECK, PACKAGE, REGISTER, FAIL = (
    "Prepare",
    "Train",
    "Evaluate",
    "CheckMetric",
    "PackageModel",
    "RegisterModel",
    "MetricBelowThreshold",
)
INPUT_DATA_PARAMETER = "InputDataUri"
EVALUATION_REPORT = PropertyFile(
    name="EvaluationReport", output_name="evaluation", path=contract.EVALUATION_REPORT_FILE
)

CODE_DIR = f"{contract.PROCESSING_ROOT}/code"
MODEL_DIR = f"{contract.PROCESSING_ROOT}/model"
PACKAGED_DIR = f"{contract.PROCESSING_ROOT}/packaged"
CODE_CHANNEL_DIR = "/opt/ml/input/data/code"
SERVING_CODE_DIR = "/opt/ml/model/code"
MODEL_ARCHIVE = "model.tar.gz"
CONTENT_TYPES = ["text/csv", "application/json"]

# Runs a script from the code archive: `bash -c RUN_SCRIPT <script.py> <args...>`; $0 is the
# script, "$@" its arguments. The archive is the only file SageMaker put in CODE_DIR.
RUN_SCRIPT = (
    "set -euo pipefail; code=$(mktemp -d); "
    f'for archive in {CODE_DIR}/*; do tar -xzf "$archive" -C "$code"; done; '
    'exec python3 "$code/$0" "$@"'
)
# Adds the serving code to the trained model.tar.gz as code/, the layout SageMaker's inference
# toolkit loads from SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code.
PACKAGE_SCRIPT = (
    "set -euo pipefail; work=$(mktemp -d); "
    f'tar -xzf {MODEL_DIR}/{MODEL_ARCHIVE} -C "$work"; mkdir -p "$work/code"; '
    f'for archive in {CODE_DIR}/*; do tar -xzf "$archive" -C "$work/code"; done; '
    f'mkdir -p {PACKAGED_DIR}; tar -czf {PACKAGED_DIR}/{MODEL_ARCHIVE} -C "$work" .'
)

_PARAMETER_NAMES = {
    "max_depth": "MaxDepth",
    "eta": "Eta",
    "num_round": "NumRound",
    "subsample": "Subsample",
    "colsample_bytree": "ColsampleBytree",
    "min_child_weight": "MinChildWeight",
    "early_stopping_rounds": "EarlyStoppingRounds",
    "seed": "Seed",
    "checkpoint_frequency": "CheckpointFrequency",
}


@dataclass(frozen=True)
class TrainingPipelineSettings:
    """Everything the definition needs; values may be CDK tokens (they stay strings here)."""

    role_arn: str
    image_uri: str
    code_s3_uri: str
    code_file_name: str
    input_data_uri: str
    artifacts_s3_uri: str
    kms_key_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    processing_instance_type: str
    training_instance_type: str
    endpoint_instance_type: str
    spot_training: bool
    max_run_seconds: int
    max_wait_seconds: int
    hyperparameters: dict[str, int | float]
    metric_name: str
    metric_threshold: float
    model_package_group_name: str
    processing_max_runtime_seconds: int = 3600
    volume_size_gb: int = 30


def hyperparameter_parameters(defaults: dict[str, int | float]) -> list[Parameter]:
    unknown = set(defaults) - set(_PARAMETER_NAMES)
    missing = set(contract.DEFAULT_HYPERPARAMETERS) - set(defaults)
    if unknown or missing:
        raise ValueError(
            f"hyperparameters must be exactly {sorted(contract.DEFAULT_HYPERPARAMETERS)}; "
            f"unknown {sorted(unknown)}, missing {sorted(missing)}"
        )
    return [
        parameter_integer(_PARAMETER_NAMES[name], value)
        if isinstance(value, int)
        else parameter_float(_PARAMETER_NAMES[name], value)
        for name, value in defaults.items()
    ]


class _Builder:
    """Holds the shared pieces (network, encryption, output locations) while steps are built."""

    def __init__(self, settings: TrainingPipelineSettings) -> None:
        self.s = settings
        self.input_data = parameter_string(INPUT_DATA_PARAMETER, settings.input_data_uri)
        self.hyperparameters = hyperparameter_parameters(settings.hyperparameters)
        self.by_hyperparameter = dict(
            zip(settings.hyperparameters, self.hyperparameters, strict=True)
        )

    def output_uri(self, *parts: str) -> dict[str, Any]:
        # One prefix per execution: outputs of two runs never mix, and the S3 path names the run.
        return join([self.s.artifacts_s3_uri, EXECUTION_ID, *parts], on="/")

    @staticmethod
    def s3_input(name: str, uri: Json, local_path: str) -> dict[str, Any]:
        return {
            "InputName": name,
            "AppManaged": False,
            "S3Input": {
                "S3Uri": uri,
                "LocalPath": local_path,
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated",
                "S3CompressionType": "None",
            },
        }

    def s3_output(self, name: str, local_path: str, *uri_parts: str) -> dict[str, Any]:
        return {
            "OutputName": name,
            "AppManaged": False,
            "S3Output": {
                "S3Uri": self.output_uri(*uri_parts),
                "LocalPath": local_path,
                "S3UploadMode": "EndOfJob",
            },
        }

    def vpc_config(self) -> dict[str, list[str]]:
        return {
            "SecurityGroupIds": list(self.s.security_group_ids),
            "Subnets": list(self.s.subnet_ids),
        }

    def volume_key(self, instance_type: str) -> dict[str, str]:
        # SageMaker rejects VolumeKmsKeyId for instance types with local NVMe storage (g5, g6,
        # ...); those volumes are encrypted by the instance's hardware instead.
        if has_local_instance_storage(instance_type):
            return {}
        return {"VolumeKmsKeyId": self.s.kms_key_arn}

    def processing(
        self,
        name: str,
        *,
        entrypoint: list[str],
        arguments: list[Json],
        inputs: list[dict[str, Any]],
        outputs: list[dict[str, Any]],
        property_files: tuple[PropertyFile, ...] = (),
    ) -> Step:
        instance_type = self.s.processing_instance_type
        app: dict[str, Any] = {"ImageUri": self.s.image_uri, "ContainerEntrypoint": entrypoint}
        if arguments:
            app["ContainerArguments"] = arguments
        return processing_step(
            name,
            {
                "ProcessingResources": {
                    "ClusterConfig": {
                        "InstanceType": instance_type,
                        "InstanceCount": 1,
                        "VolumeSizeInGB": self.s.volume_size_gb,
                        **self.volume_key(instance_type),
                    }
                },
                "AppSpecification": app,
                "RoleArn": self.s.role_arn,
                "ProcessingInputs": [self.s3_input("code", self.s.code_s3_uri, CODE_DIR), *inputs],
                "ProcessingOutputConfig": {"Outputs": outputs, "KmsKeyId": self.s.kms_key_arn},
                "NetworkConfig": {
                    "EnableNetworkIsolation": True,
                    "EnableInterContainerTrafficEncryption": True,
                    "VpcConfig": self.vpc_config(),
                },
                "StoppingCondition": {"MaxRuntimeInSeconds": self.s.processing_max_runtime_seconds},
            },
            property_files,
        )

    def script(
        self,
        name: str,
        *,
        script: str,
        arguments: list[Json],
        inputs: list[dict[str, Any]],
        outputs: list[dict[str, Any]],
        property_files: tuple[PropertyFile, ...] = (),
    ) -> Step:
        entrypoint = ["/bin/bash", "-c", RUN_SCRIPT, script]
        return self.processing(
            name,
            entrypoint=entrypoint,
            arguments=arguments,
            inputs=inputs,
            outputs=outputs,
            property_files=property_files,
        )

    def prepare(self) -> Step:
        outputs = [
            self.s3_output(split, f"{contract.PROCESSING_ROOT}/{split}", "prepare", split)
            for split in contract.SPLIT_NAMES
        ]
        arguments: list[Json] = ["--input-dir", contract.PREPARE_INPUT_DIR]
        for split in contract.SPLIT_NAMES:
            arguments += [f"--{split}-dir", f"{contract.PROCESSING_ROOT}/{split}"]
        # The split follows the training seed, so one seed reproduces the whole run.
        arguments += ["--seed", self.by_hyperparameter["seed"].as_string()]
        return self.script(
            PREPARE,
            script=contract.PREPARE_SCRIPT,
            arguments=arguments,
            inputs=[self.s3_input("export", self.input_data.ref, contract.PREPARE_INPUT_DIR)],
            outputs=outputs,
        )

    def train(self, prepare: Step) -> Step:
        s = self.s
        hyperparameters: dict[str, Json] = {
            # JSON-encoded like the SageMaker SDK does: the training toolkit json-decodes values.
            "sagemaker_program": json.dumps(contract.TRAIN_SCRIPT),
            "sagemaker_submit_directory": json.dumps(f"{CODE_CHANNEL_DIR}/{s.code_file_name}"),
        }
        for name, parameter in self.by_hyperparameter.items():
            hyperparameters[name] = parameter.as_string()
        channels = [
            self.channel(contract.TRAIN_CHANNEL, processing_output_uri(prepare, "train")),
            self.channel(contract.VALIDATION_CHANNEL, processing_output_uri(prepare, "validation")),
            self.channel("code", s.code_s3_uri),
        ]
        stopping: dict[str, int] = {"MaxRuntimeInSeconds": s.max_run_seconds}
        spot: dict[str, Any] = {}
        if s.spot_training:
            stopping["MaxWaitTimeInSeconds"] = s.max_wait_seconds
            spot["EnableManagedSpotTraining"] = True
        return training_step(
            TRAIN,
            {
                "AlgorithmSpecification": {
                    "TrainingImage": s.image_uri,
                    "TrainingInputMode": "File",
                    "MetricDefinitions": contract.METRIC_DEFINITIONS,
                    "EnableSageMakerMetricsTimeSeries": True,
                },
                "HyperParameters": hyperparameters,
                "RoleArn": s.role_arn,
                "InputDataConfig": channels,
                "OutputDataConfig": {
                    "S3OutputPath": self.output_uri("train"),
                    "KmsKeyId": s.kms_key_arn,
                },
                "ResourceConfig": {
                    "InstanceType": s.training_instance_type,
                    "InstanceCount": 1,
                    "VolumeSizeInGB": s.volume_size_gb,
                    **self.volume_key(s.training_instance_type),
                },
                "StoppingCondition": stopping,
                **spot,
                # Written by train.py every checkpoint_frequency rounds and synced to S3, so an
                # interrupted spot job resumes where it stopped instead of starting over.
                "CheckpointConfig": {
                    "S3Uri": self.output_uri("checkpoints"),
                    "LocalPath": contract.CHECKPOINT_DIR,
                },
                "VpcConfig": self.vpc_config(),
                "EnableNetworkIsolation": True,
                "EnableInterContainerTrafficEncryption": True,
            },
        )

    @staticmethod
    def channel(name: str, uri: Json) -> dict[str, Any]:
        return {
            "ChannelName": name,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": uri,
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "InputMode": "File",
        }

    def evaluate(self, prepare: Step, train: Step) -> Step:
        return self.script(
            EVALUATE,
            script=contract.EVALUATE_SCRIPT,
            arguments=[
                "--model-dir",
                contract.EVALUATE_MODEL_DIR,
                "--test-dir",
                contract.EVALUATE_TEST_DIR,
                "--output-dir",
                contract.EVALUATE_OUTPUT_DIR,
            ],
            inputs=[
                self.s3_input("model", model_artifacts_uri(train), contract.EVALUATE_MODEL_DIR),
                self.s3_input(
                    "test", processing_output_uri(prepare, "test"), contract.EVALUATE_TEST_DIR
                ),
            ],
            outputs=[self.s3_output("evaluation", contract.EVALUATE_OUTPUT_DIR, "evaluation")],
            property_files=(EVALUATION_REPORT,),
        )

    def package(self, train: Step) -> Step:
        return self.processing(
            PACKAGE,
            entrypoint=["/bin/bash", "-c", PACKAGE_SCRIPT],
            arguments=[],
            inputs=[self.s3_input("model", model_artifacts_uri(train), MODEL_DIR)],
            outputs=[self.s3_output("packaged", PACKAGED_DIR, "package")],
        )

    def register(self, evaluate: Step, package: Step) -> Step:
        s = self.s
        evaluation_uri = join(
            [processing_output_uri(evaluate, "evaluation"), contract.EVALUATION_REPORT_FILE],
            on="/",
        )
        return register_model_step(
            REGISTER,
            {
                "ModelPackageGroupName": s.model_package_group_name,
                "ModelPackageDescription": join(["Trained by pipeline execution ", EXECUTION_ARN]),
                "ModelApprovalStatus": "PendingManualApproval",
                "InferenceSpecification": {
                    "Containers": [
                        {
                            "Image": s.image_uri,
                            "ModelDataUrl": join(
                                [processing_output_uri(package, "packaged"), MODEL_ARCHIVE],
                                on="/",
                            ),
                            "Environment": {
                                "SAGEMAKER_PROGRAM": contract.INFERENCE_SCRIPT,
                                "SAGEMAKER_SUBMIT_DIRECTORY": SERVING_CODE_DIR,
                                "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
                            },
                        }
                    ],
                    "SupportedContentTypes": CONTENT_TYPES,
                    "SupportedResponseMIMETypes": CONTENT_TYPES,
                    "SupportedRealtimeInferenceInstanceTypes": [s.endpoint_instance_type],
                },
                "ModelMetrics": {
                    "ModelQuality": {
                        "Statistics": {"ContentType": "application/json", "S3Uri": evaluation_uri}
                    }
                },
                # Lineage on the package itself: which run, which input, which code.
                "CustomerMetadataProperties": {
                    "pipeline_execution_arn": EXECUTION_ARN,
                    "input_data_uri": self.input_data.ref,
                    "code_s3_uri": s.code_s3_uri,
                },
            },
        )

    def check(self, evaluate: Step, if_steps: list[Step]) -> Step:
        s = self.s
        metric = json_get(evaluate, EVALUATION_REPORT, f"metrics.{s.metric_name}")
        return condition_step(
            CHECK,
            [Condition("GreaterThanOrEqualTo", metric, s.metric_threshold)],
            if_steps=if_steps,
            else_steps=[
                fail_step(
                    FAIL,
                    join(
                        [
                            f"{s.metric_name} ",
                            metric,
                            f" is below the registration threshold {s.metric_threshold}; "
                            "no model was registered",
                        ]
                    ),
                )
            ],
        )


def build_training_pipeline(settings: TrainingPipelineSettings) -> PipelineDefinition:
    """The pipeline definition (render() it for the JSON document)."""
    builder = _Builder(settings)
    prepare = builder.prepare()
    train = builder.train(prepare)
    evaluate = builder.evaluate(prepare, train)
    package = builder.package(train)
    register = builder.register(evaluate, package)
    check = builder.check(evaluate, [package, register])
    return PipelineDefinition(
        parameters=(builder.input_data, *builder.hyperparameters),
        steps=(prepare, train, evaluate, check),
    )
