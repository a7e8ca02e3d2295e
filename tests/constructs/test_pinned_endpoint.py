"""constructs/ml/pinned_endpoint.py: PinnedEndpoint, built in a bare stack from props."""

from __future__ import annotations

from dataclasses import replace

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from constructs.core.cfn import default_policy, default_resource
from constructs.ml.endpoint_spec import EndpointSpec
from constructs.ml.pinned_endpoint import PinnedEndpoint
from tests.constructs.bare import bare_stack, synthesized
from tests.constructs.endpoint_props import KEY_ARN, SPEC

MODEL_URL = "s3://artifacts-bucket/model/model.tar.gz"
IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1"


def _built(spec: EndpointSpec) -> tuple[cdk.Stack, iam.Role, Template]:
    app, stack = bare_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:GetObject"], resources=["arn:aws:s3:::artifacts-bucket/model/model.tar.gz"]
        )
    )
    PinnedEndpoint(
        stack, "Pinned", spec=spec, model_data_url=MODEL_URL, image_uri=IMAGE, execution_role=role
    )
    return stack, role, synthesized(app, stack)  # cdk-nag clean, or synth fails


def test_model_is_isolated_in_the_vpc_and_waits_for_its_role_policy() -> None:
    stack, role, template = _built(SPEC)
    policy_id = stack.get_logical_id(default_resource(default_policy(role)))
    template.has_resource(
        "AWS::SageMaker::Model",
        {
            "Properties": Match.object_like(
                {
                    "EnableNetworkIsolation": True,
                    "VpcConfig": {
                        "Subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"],
                        "SecurityGroupIds": ["sg-0a1b2c3d4e5f60718"],
                    },
                    "PrimaryContainer": Match.object_like(
                        {"Image": IMAGE, "ModelDataUrl": MODEL_URL}
                    ),
                }
            ),
            "DependsOn": Match.array_with([policy_id]),
        },
    )


def test_nvme_family_gets_no_volume_key_but_captured_data_stays_encrypted() -> None:
    _, _, template = _built(SPEC)  # ml.g5: local NVMe storage
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "KmsKeyId": Match.absent(),
            "ProductionVariants": [
                Match.object_like(
                    {
                        "VariantName": "AllTraffic",
                        "InstanceType": "ml.g5.xlarge",
                        "InitialInstanceCount": 1,
                    }
                )
            ],
            "DataCaptureConfig": Match.object_like(
                {
                    "EnableCapture": True,
                    "InitialSamplingPercentage": 20,
                    "DestinationS3Uri": "s3://capture-bucket/capture",
                    "KmsKeyId": KEY_ARN,
                }
            ),
        },
    )


def test_ebs_family_gets_the_volume_key_and_zero_sampling_turns_capture_off() -> None:
    spec = replace(SPEC, instance_type="ml.m5.xlarge", data_capture_sampling_percentage=0)
    _, _, template = _built(spec)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "KmsKeyId": KEY_ARN,
            "DataCaptureConfig": Match.object_like({"EnableCapture": False}),
        },
    )


def test_endpoint_scales_on_invocations_per_instance_within_the_capacity_range() -> None:
    _, _, template = _built(SPEC)
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"EndpointName": "demo-endpoint"})
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "ResourceId": "endpoint/demo-endpoint/variant/AllTraffic",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "MinCapacity": 1,
            "MaxCapacity": 3,
            "RoleARN": Match.absent(),
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "TargetValue": 50,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                    },
                }
            ),
        },
    )
