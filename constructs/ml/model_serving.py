"""ModelServing: the role and security group a SageMaker Model runs with.

The role is what the deployer passes as EXECUTION_ROLE_ARN (and what the pinned endpoint uses):
pull the framework image, read model artifacts, write captured requests to the lake, and the
network-interface actions of VPC mode. Nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.bucket_grants import KEY_READ, OBJECT_READ, grant_objects
from constructs.core.cfn import default_policy
from constructs.core.nag import acknowledge_wildcard_resources
from constructs.ml.training_pipeline import (
    SAGEMAKER_SERVICE,
    eni_wildcards,
    vpc_network_interface_statements,
)
from constructs.ml.xgboost_image import XgboostImage
from constructs.network.https_egress import https_egress_security_group


@dataclass(frozen=True)
class S3Location:
    """Objects under `prefix` in `bucket` (an exact key when `prefix` does not end in `/`)."""

    bucket: s3.IBucket
    prefix: str
    key: kms.IKey | None = None

    @property
    def pattern(self) -> str:
        """The object key pattern: every key under a `/`-ending prefix, else the exact key."""
        return f"{self.prefix}*" if self.prefix.endswith("/") else self.prefix

    @property
    def objects_arn(self) -> str:
        return self.bucket.arn_for_objects(self.pattern)

    def grant(
        self,
        grantee: iam.IGrantable,
        actions: Sequence[str],
        key_actions: Sequence[str] = (),
        *,
        list_bucket: bool = False,
    ) -> iam.Grant:
        """`actions` on these objects and, where the location has a key, `key_actions` on it;
        with `list_bucket`, s3:ListBucket on the bucket (unconditioned: the caller lists to
        check one key exists, and a missing key must read as absent, not as denied)."""
        grant = grant_objects(
            grantee,
            self.bucket,
            actions=actions,
            objects=[self.pattern],
            key_actions=key_actions if self.key is not None else (),
            key=self.key,
        )
        if list_bucket:
            grant = grant.combine(
                iam.Grant.add_to_principal(
                    grantee=grantee,
                    actions=["s3:ListBucket"],
                    resource_arns=[self.bucket.bucket_arn],
                )
            )
        return grant


class ModelServing(Construct):
    """The execution role and security group of the SageMaker Model behind the GPU endpoint.

    Creates `role`, assumable only by SageMaker, allowed to pull `image`, read
    `model_artifacts`, write under `data_capture`, write the endpoint's own log groups and
    manage the network interfaces of VPC mode, with the KMS actions each location's key needs;
    and `security_group`, in `vpc`, with no ingress and HTTPS egress only. Every wildcard is
    acknowledged for cdk-nag with its reason.

    :param vpc: the VPC the endpoint's instances run in.
    :param image: the inference container image.
    :param model_artifacts: where model artifacts may be read from.
    :param data_capture: where captured requests and responses are written.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        image: XgboostImage,
        model_artifacts: Sequence[S3Location],
        data_capture: S3Location,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        endpoint_logs = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws/sagemaker/Endpoints/*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        self.security_group = https_egress_security_group(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="SageMaker endpoint instances: HTTPS out only, nothing in",
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE),
            description="Runs the GPU endpoint's model containers",
        )
        for statement in (
            *self._statements(endpoint_logs),
            *vpc_network_interface_statements(self, vpc, "VpcModelNetworkInterfaces"),
        ):
            self.role.add_to_policy(statement)
        image.grant_pull(self.role)
        self._grant_locations(model_artifacts, data_capture)
        self._acknowledge(model_artifacts, data_capture, endpoint_logs)

    @staticmethod
    def _statements(endpoint_logs: str) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="EndpointLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[endpoint_logs],
            ),
        ]

    def _grant_locations(
        self, model_artifacts: Sequence[S3Location], data_capture: S3Location
    ) -> None:
        """Read the artifacts (decrypt only), write captured data (encrypt with its key)."""
        for location in model_artifacts:
            location.grant(self.role, OBJECT_READ, KEY_READ)
        data_capture.grant(
            self.role,
            ("s3:PutObject", "s3:AbortMultipartUpload"),
            ("kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"),
        )

    def _acknowledge(
        self, model_artifacts: Sequence[S3Location], data_capture: S3Location, endpoint_logs: str
    ) -> None:
        policy = default_policy(self.role)
        prefixes = [loc.objects_arn for loc in (*model_artifacts, data_capture)]
        acknowledge_wildcard_resources(
            policy,
            [arn for arn in prefixes if "*" in str(cdk.Stack.of(self).resolve(arn))],
            "Model artifacts live under per-execution keys of the pipeline's artifact prefix, "
            "and data capture writes time-partitioned keys under this endpoint's own prefix.",
        )
        acknowledge_wildcard_resources(
            policy,
            [endpoint_logs],
            "SageMaker names an endpoint's log group /aws/sagemaker/Endpoints/<endpoint>; "
            "the endpoint is created by the deployer after approval.",
        )
        acknowledge_wildcard_resources(
            policy,
            list(eni_wildcards(self)),
            "SageMaker creates the endpoint instances' network interfaces at run time; subnets "
            "and security groups are limited to the platform VPC by the ec2:Vpc condition, as "
            "are changes to interfaces. A new interface's ARN has no ec2:Vpc key yet.",
        )
        cdk.Validations.of(policy).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Resource * only where IAM allows nothing narrower: "
                "ecr:GetAuthorizationToken and the EC2 network-interface actions SageMaker "
                "performs for VPC-mode models (interface IDs are created per instance).",
            )
        )
