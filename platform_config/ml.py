"""Machine-learning settings: the training pipeline, the model registry and the GPU endpoint.

Everything billed by the hour (training, processing and endpoint instances, endpoint capacity) is
an explicit key in every profile. Names are suffixes: the stack prefixes them with
`<project>-<profile>-` so that several profiles can share one account.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from platform_config.base import Section, instance_type_of
from platform_config.instance_types import SAGEMAKER_CPU, SAGEMAKER_GPU

SageMakerGpuInstanceType = instance_type_of(SAGEMAKER_GPU)
SageMakerCpuInstanceType = instance_type_of(SAGEMAKER_CPU)

# SageMaker training jobs run for at most 28 days; spot waits are bounded by the same limit.
MAX_TRAINING_SECONDS = 28 * 24 * 3600

# Lowercase only: SageMaker lowercases names inside ARNs, and IAM resource patterns are written
# from these names, so a mixed-case name would silently match nothing.
_NAME_SUFFIX = re.compile(r"^[a-z0-9](-?[a-z0-9])*$")
_S3_URL = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(\S+[^/])$")
# EventBridge schedule expressions: rate(N unit) or a six-field cron(...).
_RATE = re.compile(r"^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")


def _check_name_suffix(value: str) -> str:
    if not _NAME_SUFFIX.match(value):
        raise ValueError("lowercase letters, digits and single hyphens, e.g. 'training'")
    return value


def _check_model_data_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not _S3_URL.match(value):
        raise ValueError("null or an s3://bucket/key URL of a model.tar.gz, e.g. s3://b/m.tar.gz")
    return value


def _check_schedule(value: str | None) -> str | None:
    if value is None:
        return None
    rate = _RATE.match(value)
    if rate:
        singular = rate.group(1) == "1"
        if singular != (not rate.group(2).endswith("s")):
            raise ValueError("rate(1 day) is singular, rate(N days) plural, as EventBridge demands")
        return value
    if _CRON.match(value):
        return value
    raise ValueError("null, 'rate(N unit)' or a six-field 'cron(...)' EventBridge expression")


NameSuffix = Annotated[str, Field(min_length=1, max_length=24), AfterValidator(_check_name_suffix)]


class Hyperparameters(Section):
    """Defaults of the pipeline's hyperparameter parameters (a run may override each one).

    The names are the ones ml/train.py accepts (ml.contract.DEFAULT_HYPERPARAMETERS).
    """

    max_depth: int = Field(ge=0, le=64)
    eta: float = Field(gt=0, le=1)
    num_round: int = Field(ge=1, le=100_000)
    subsample: float = Field(gt=0, le=1)
    colsample_bytree: float = Field(gt=0, le=1)
    min_child_weight: float = Field(ge=0)
    early_stopping_rounds: int = Field(ge=0, description="0 turns early stopping off.")
    seed: int = Field(ge=0)
    checkpoint_frequency: int = Field(ge=1, description="Rounds between spot-safe checkpoints.")


class MlConfig(Section):
    training_instance_type: SageMakerGpuInstanceType  # type: ignore[valid-type]
    endpoint_instance_type: SageMakerGpuInstanceType  # type: ignore[valid-type]
    processing_instance_type: SageMakerCpuInstanceType  # type: ignore[valid-type]

    pipeline_name: NameSuffix
    model_package_group_name: NameSuffix
    endpoint_name: NameSuffix

    spot_training: bool = Field(description="Managed spot training, resumed from checkpoints.")
    max_run_seconds: int = Field(ge=60, le=MAX_TRAINING_SECONDS)
    max_wait_seconds: int = Field(
        ge=60, le=MAX_TRAINING_SECONDS, description="Run time plus time spent waiting for spot."
    )
    hyperparameters: Hyperparameters

    # The Condition step registers a model only if this metric of evaluation.json's flat
    # `metrics` block is at least the threshold; all three are "higher is better".
    metric_name: Literal["accuracy", "f1_macro", "auc"]
    metric_threshold: float = Field(ge=0, le=1)

    # Both nullable keys default to None because CDK context drops JSON nulls on the way in; the
    # shipped profiles still state them (as null) so that every choice is visible in cdk.json.
    schedule_expression: Annotated[str | None, AfterValidator(_check_schedule)] = None

    endpoint_min_capacity: int = Field(ge=1, le=20, description="Real-time variants cannot be 0.")
    endpoint_max_capacity: int = Field(ge=1, le=20)
    target_invocations_per_instance: int = Field(ge=1, le=100_000)
    data_capture_sampling_percentage: int = Field(ge=0, le=100)
    model_latency_alarm_ms: int = Field(ge=1, le=60_000)
    invocation_5xx_alarm_count: int = Field(ge=1)

    deployer_reserved_concurrency: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Concurrent executions reserved for the approval deployer; null reserves "
        "none (SageMaker itself refuses a second change to a busy endpoint, and the deployer "
        "handles that refusal). Same account rule as streaming.transform.reserved_concurrency.",
    )

    model_data_url: Annotated[str | None, AfterValidator(_check_model_data_url)] = Field(
        default=None,
        description="Pin the endpoint to this artifact through CloudFormation instead of "
        "deploying approved packages; null in the shipped profiles.",
    )

    @model_validator(mode="after")
    def _spot_wait_covers_the_run(self) -> Self:
        if self.max_wait_seconds < self.max_run_seconds:
            raise ValueError(
                f"ml.max_wait_seconds ({self.max_wait_seconds}) is below ml.max_run_seconds "
                f"({self.max_run_seconds}); allowed: max_wait_seconds >= max_run_seconds"
            )
        return self

    @model_validator(mode="after")
    def _capacity_range(self) -> Self:
        if self.endpoint_min_capacity > self.endpoint_max_capacity:
            raise ValueError(
                f"ml.endpoint_min_capacity ({self.endpoint_min_capacity}) exceeds "
                f"ml.endpoint_max_capacity ({self.endpoint_max_capacity}); allowed: min <= max"
            )
        return self
