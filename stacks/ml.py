"""MlStack: GPU training pipeline, model registry, and the approval-driven GPU endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.access_log_bucket import AccessLogBucket
from constructs.core.alarm_topic import AlarmTopic
from constructs.core.key import RotatingKey
from constructs.core.secure_bucket import SecureBucket
from constructs.ml.approval_deployer import ApprovalDeployer
from constructs.ml.endpoint_alarms import EndpointAlarms
from constructs.ml.endpoint_spec import EndpointSpec
from constructs.ml.model_serving import ModelServing, S3Location
from constructs.ml.pinned_endpoint import PinnedEndpoint
from constructs.ml.source_archive import SourceArchive
from constructs.ml.training_pipeline import (
    GpuTrainingPipeline,
    PipelineNames,
    TrainingData,
    TrainingSpec,
)
from constructs.ml.xgboost_image import XgboostImage
from lake_schema.layout import LAKE_LAYOUT
from platform_config import PlatformConfig
from stacks.platform_stack import PlatformStack
from stacks.props import bucket_defaults, log_props, removal_policy

ML_SOURCE = Path(__file__).resolve().parent.parent / "ml"
#: analytics-zone prefix that endpoint data capture writes to (one folder per endpoint)
DATA_CAPTURE_PREFIX = "datacapture/"


class NetworkForMl(Protocol):
    vpc: ec2.IVpc


class LakeForMl(Protocol):
    """What the ML stack reads from the data lake stack."""

    lake_key: kms.IKey
    analytics_bucket: s3.IBucket


class MlStack(PlatformStack):
    """Training pipeline (prepare -> GPU train -> evaluate -> condition -> register), the model
    package group, and either the approval-driven deployer (default) or, when
    `ml.model_data_url` is set, an endpoint pinned to that artifact by CloudFormation."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        network: NetworkForMl,
        lake: LakeForMl,
        alarm_topic: AlarmTopic,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            config=config,
            name_suffix="ml",
            description="Data and ML platform: SageMaker GPU training pipeline, model registry "
            "and approval-driven GPU endpoint",
        )
        self._artifact_storage()
        image = XgboostImage(self, "XgboostImage")
        code = SourceArchive(self, "TrainingCode", source=ML_SOURCE)
        subnets = network.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.training = self._training(network.vpc, subnets, lake, image, code)
        pipeline_artifacts = S3Location(
            self.artifacts_bucket, self.training.artifacts_prefix, self.key
        )
        self._serve(network.vpc, subnets, lake, image, pipeline_artifacts)
        self.alarms = EndpointAlarms(
            self,
            "EndpointAlarms",
            spec=self.endpoint_spec,
            invocation_5xx_count=config.ml.invocation_5xx_alarm_count,
            model_latency_ms=config.ml.model_latency_alarm_ms,
            topic=alarm_topic,
        )
        self._deploy(image, pipeline_artifacts)
        self._outputs(code)

    def _artifact_storage(self) -> None:
        storage = self.config.storage
        self.key = RotatingKey(
            self,
            "MlKey",
            description="Encrypts ML artifacts, checkpoints, job outputs and job volumes",
            removal_policy=removal_policy(storage),
        )
        access_logs = AccessLogBucket(
            self,
            "AccessLogs",
            expiration_days=storage.access_logs_expiration_days,
            **bucket_defaults(storage),
        )
        self.artifacts_bucket = SecureBucket(
            self,
            "Artifacts",
            access_logs=access_logs.bucket,
            encryption_key=self.key,
            **bucket_defaults(storage),
        ).bucket

    def _training(
        self,
        vpc: ec2.IVpc,
        subnets: ec2.SelectedSubnets,
        lake: LakeForMl,
        image: XgboostImage,
        code: SourceArchive,
    ) -> GpuTrainingPipeline:
        ml, prefix = self.config.ml, self.config.name_prefix
        return GpuTrainingPipeline(
            self,
            "Training",
            training=TrainingSpec(
                training_instance_type=ml.training_instance_type,
                processing_instance_type=ml.processing_instance_type,
                endpoint_instance_type=ml.endpoint_instance_type,
                hyperparameters=ml.hyperparameters.model_dump(),
                metric_name=ml.metric_name,
                metric_threshold=ml.metric_threshold,
                spot_training=ml.spot_training,
                max_run_seconds=ml.max_run_seconds,
                max_wait_seconds=ml.max_wait_seconds,
            ),
            schedule_expression=ml.schedule_expression,
            names=PipelineNames(
                pipeline=f"{prefix}-{ml.pipeline_name}",
                model_package_group=f"{prefix}-{ml.model_package_group_name}",
            ),
            vpc=vpc,
            subnets=subnets.subnets,
            training_data=TrainingData(
                bucket=lake.analytics_bucket,
                prefix=LAKE_LAYOUT.training_events,
                key=lake.lake_key,
            ),
            artifacts=self.artifacts_bucket,
            artifacts_key=self.key,
            code=code,
            image=image,
        )

    def _serve(
        self,
        vpc: ec2.IVpc,
        subnets: ec2.SelectedSubnets,
        lake: LakeForMl,
        image: XgboostImage,
        pipeline_artifacts: S3Location,
    ) -> None:
        ml = self.config.ml
        endpoint_name = f"{self.config.name_prefix}-{ml.endpoint_name}"
        capture_prefix = f"{DATA_CAPTURE_PREFIX}{endpoint_name}/"
        model_artifacts = [pipeline_artifacts]
        if ml.model_data_url is not None:
            model_artifacts.append(self._pinned_artifact(ml.model_data_url))
        self.serving = ModelServing(
            self,
            "Serving",
            vpc=vpc,
            image=image,
            model_artifacts=model_artifacts,
            data_capture=S3Location(lake.analytics_bucket, capture_prefix, lake.lake_key),
        )
        self.endpoint_spec = EndpointSpec(
            endpoint_name=endpoint_name,
            instance_type=ml.endpoint_instance_type,
            min_capacity=ml.endpoint_min_capacity,
            max_capacity=ml.endpoint_max_capacity,
            target_invocations_per_instance=ml.target_invocations_per_instance,
            data_capture_s3_uri=f"s3://{lake.analytics_bucket.bucket_name}/{capture_prefix}",
            data_capture_sampling_percentage=ml.data_capture_sampling_percentage,
            # The lake's key: captured requests are lake data, readable like the rest of it.
            kms_key_arn=lake.lake_key.key_arn,
            subnet_ids=tuple(subnets.subnet_ids),
            security_group_ids=(self.serving.security_group.security_group_id,),
        )

    def _deploy(self, image: XgboostImage, pipeline_artifacts: S3Location) -> None:
        ml = self.config.ml
        self.deployer: ApprovalDeployer | None = None
        self.pinned_endpoint: PinnedEndpoint | None = None
        if ml.model_data_url is None:
            self.deployer = ApprovalDeployer(
                self,
                "Deployment",
                spec=self.endpoint_spec,
                model_package_group_name=self.training.names.model_package_group,
                execution_role=self.serving.role,
                artifacts=pipeline_artifacts,
                alarms=self.alarms.alarms,
                reserved_concurrency=ml.deployer_reserved_concurrency,
                **log_props(self.config),
            )
            cdk.CfnOutput(
                self, "DeployerFunctionName", value=self.deployer.function.function.function_name
            )
            return
        # CloudFormation owns this endpoint; a deployer updating it too would fight it.
        self.pinned_endpoint = PinnedEndpoint(
            self,
            "PinnedEndpoint",
            spec=self.endpoint_spec,
            model_data_url=ml.model_data_url,
            image_uri=image.image_uri,
            execution_role=self.serving.role,
        )

    def _pinned_artifact(self, url: str) -> S3Location:
        bucket_name, _, key = url.removeprefix("s3://").partition("/")
        bucket = s3.Bucket.from_bucket_name(self, "PinnedModelBucket", bucket_name)
        return S3Location(bucket, key)

    def _outputs(self, code: SourceArchive) -> None:
        values = {
            "PipelineName": self.training.names.pipeline,
            "ModelPackageGroupName": self.training.names.model_package_group,
            "EndpointName": self.endpoint_spec.endpoint_name,
            "ArtifactsBucketName": self.artifacts_bucket.bucket_name,
            "ModelExecutionRoleArn": self.serving.role.role_arn,
            "TrainingCodeS3Uri": code.s3_uri,
        }
        for name, value in values.items():
            cdk.CfnOutput(self, name, value=value)
