"""PinnedEndpoint: a GPU endpoint that CloudFormation creates for one fixed model artifact.

The alternative to approval-driven deployment (config `ml.model_data_url`): Model,
EndpointConfig and Endpoint are template resources with the same settings the deployer uses,
and Application Auto Scaling tracks invocations per instance. The artifact must have the layout
the pipeline's PackageModel step produces (the model files plus code/ with inference.py),
because a network-isolated container cannot download its code.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct
from constructs.core.cfn import default_policy, default_resource
from constructs.ml.endpoint_spec import EndpointSpec
from ml import contract
from ml_pipeline.instance_storage import has_local_instance_storage
from ml_pipeline.training import SERVING_CODE_DIR

SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCALE_IN_COOLDOWN = 600
SCALE_OUT_COOLDOWN = 300


class PinnedEndpoint(Construct):
    """A GPU endpoint that CloudFormation owns, serving one fixed model artifact.

    Creates the Model (network isolation, VPC mode with `spec`'s subnets and security groups),
    the EndpointConfig (one variant at `spec.min_capacity` instances, volume and captured data
    encrypted with `spec.kms_key_arn` where the instance family allows it), the Endpoint, and
    target-tracking autoscaling on invocations per instance between `spec.min_capacity` and
    `spec.max_capacity`.

    :param spec: the endpoint's name, instance type, capacity, capture and network settings.
    :param model_data_url: the `s3://` URL of a model.tar.gz laid out as PackageModel writes it.
    :param image_uri: the inference container image.
    :param execution_role: the role the model runs with; its default policy is created first.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: EndpointSpec,
        model_data_url: str,
        image_uri: str,
        execution_role: iam.IRole,
    ) -> None:
        super().__init__(scope, construct_id)
        self._model(spec, model_data_url, image_uri, execution_role)
        self._endpoint(spec)
        self._autoscaling(spec)
        cdk.CfnOutput(self, "EndpointName", value=self.endpoint.attr_endpoint_name)

    def _model(
        self, spec: EndpointSpec, model_data_url: str, image_uri: str, execution_role: iam.IRole
    ) -> None:
        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=execution_role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image_uri,
                model_data_url=model_data_url,
                environment={
                    "SAGEMAKER_PROGRAM": contract.INFERENCE_SCRIPT,
                    "SAGEMAKER_SUBMIT_DIRECTORY": SERVING_CODE_DIR,
                    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
                },
            ),
            vpc_config=sagemaker.CfnModel.VpcConfigProperty(
                subnets=list(spec.subnet_ids), security_group_ids=list(spec.security_group_ids)
            ),
            enable_network_isolation=True,
        )
        # The role's policy must exist before SageMaker checks it can pull the image.
        self.model.add_resource_dependency(default_resource(default_policy(execution_role)))

    def _endpoint(self, spec: EndpointSpec) -> None:
        capture_on = spec.data_capture_sampling_percentage > 0
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=spec.variant_name,
                    model_name=self.model.attr_model_name,
                    instance_type=spec.instance_type,
                    initial_instance_count=spec.min_capacity,
                    initial_variant_weight=1.0,
                )
            ],
            # Refused for instance families with local NVMe storage (hardware-encrypted anyway).
            kms_key_id=None if has_local_instance_storage(spec.instance_type) else spec.kms_key_arn,
            data_capture_config=sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                enable_capture=capture_on,
                initial_sampling_percentage=spec.data_capture_sampling_percentage,
                destination_s3_uri=spec.data_capture_s3_uri,
                kms_key_id=spec.kms_key_arn,
                capture_options=[
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
                ],
            ),
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=spec.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )

    def _autoscaling(self, spec: EndpointSpec) -> None:
        # No RoleARN: Application Auto Scaling uses its SageMaker service-linked role.
        self.scalable_target = autoscaling.CfnScalableTarget(
            self,
            "ScalableTarget",
            service_namespace="sagemaker",
            resource_id=spec.scalable_resource_id,
            scalable_dimension=SCALABLE_DIMENSION,
            min_capacity=spec.min_capacity,
            max_capacity=spec.max_capacity,
        )
        self.scalable_target.add_resource_dependency(self.endpoint)
        self.scaling_policy = autoscaling.CfnScalingPolicy(
            self,
            "InvocationsPerInstance",
            policy_name=f"{spec.endpoint_name}-invocations-per-instance",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.scalable_target.ref,
            target_tracking_scaling_policy_configuration=autoscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=float(spec.target_invocations_per_instance),
                predefined_metric_specification=autoscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                ),
                scale_in_cooldown=SCALE_IN_COOLDOWN,
                scale_out_cooldown=SCALE_OUT_COOLDOWN,
            ),
        )
