"""Machine-learning settings: where training, processing and inference run."""

from __future__ import annotations

from platform_config.base import Section, instance_type_of
from platform_config.instance_types import SAGEMAKER_CPU, SAGEMAKER_GPU

SageMakerGpuInstanceType = instance_type_of(SAGEMAKER_GPU)
SageMakerCpuInstanceType = instance_type_of(SAGEMAKER_CPU)


class MlConfig(Section):
    training_instance_type: SageMakerGpuInstanceType  # type: ignore[valid-type]
    endpoint_instance_type: SageMakerGpuInstanceType  # type: ignore[valid-type]
    processing_instance_type: SageMakerCpuInstanceType  # type: ignore[valid-type]
