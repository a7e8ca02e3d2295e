"""constructs/ml/approval_deployer.py: ApprovalDeployer, built in a bare stack from props."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from constructs.ml.approval_deployer import ApprovalDeployer
from constructs.ml.model_serving import S3Location
from tests.constructs.bare import bare_stack, synthesized
from tests.constructs.endpoint_props import SPEC


def _built() -> Template:
    app, stack = bare_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    alarm = cloudwatch.Alarm(
        stack,
        "Alarm",
        metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors"),
        threshold=1,
        evaluation_periods=1,
    )
    ApprovalDeployer(
        stack,
        "Deployer",
        spec=SPEC,
        model_package_group_name="demo-models",
        execution_role=role,
        artifacts=S3Location(
            s3.Bucket.from_bucket_name(stack, "Artifacts", "artifacts-bucket"), "pipelines/"
        ),
        alarms=[alarm],
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    return synthesized(app, stack)  # cdk-nag clean (wildcards acknowledged), or synth fails


def _statement(template: Template, sid: str) -> dict:
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Sid") == sid:
                return statement
    raise AssertionError(f"no statement {sid}")


def test_approvals_of_the_group_and_endpoint_in_service_invoke_it_with_a_dlq() -> None:
    template = _built()
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "detail": {
                    "ModelPackageGroupName": ["demo-models"],
                    "ModelApprovalStatus": ["Approved"],
                },
            },
            "Targets": [
                Match.object_like(
                    {
                        "DeadLetterConfig": {"Arn": Match.any_value()},
                        "RetryPolicy": {
                            "MaximumRetryAttempts": 8,
                            "MaximumEventAgeInSeconds": 7200,
                        },
                    }
                )
            ],
        },
    )
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_like(
                {"detail": {"EndpointName": ["demo-endpoint"], "EndpointStatus": ["IN_SERVICE"]}}
            )
        },
    )
    template.has_resource_properties("AWS::SQS::Queue", {"KmsMasterKeyId": Match.any_value()})


def test_sagemaker_actions_are_scoped_to_the_group_and_the_endpoint() -> None:
    template = _built()
    packages = json.dumps(_statement(template, "DescribeModelPackages")["Resource"])
    assert "model-package/demo-models/*" in packages
    endpoint = _statement(template, "Endpoint")
    assert "sagemaker:UpdateEndpoint" in endpoint["Action"]
    assert "endpoint/demo-endpoint" in json.dumps(endpoint["Resource"])
    assert '"*"' not in json.dumps(endpoint["Resource"])
