"""constructs/ml/model_serving.py: ModelServing, built in a bare stack from props."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from constructs.ml.model_serving import ModelServing, S3Location
from constructs.ml.xgboost_image import XgboostImage
from tests.constructs.bare import bare_stack, synthesized


def _built() -> Template:
    app, stack = bare_stack()
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0a1b2c3d4e5f60718",
        availability_zones=["eu-west-1a"],
        private_subnet_ids=["subnet-0a1b2c3d4e5f60718"],
    )
    artifacts = s3.Bucket.from_bucket_name(stack, "Artifacts", "artifacts-bucket")
    lake = s3.Bucket.from_bucket_name(stack, "Lake", "lake-bucket")
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    ModelServing(
        stack,
        "Serving",
        vpc=vpc,
        image=XgboostImage(stack, "Image"),
        model_artifacts=[S3Location(artifacts, "pipelines/", key)],
        data_capture=S3Location(lake, "capture/endpoint/", key),
    )
    return synthesized(app, stack)  # cdk-nag clean (wildcards acknowledged), or synth fails


def _statements(template: Template) -> list[dict]:
    (policy,) = template.find_resources("AWS::IAM::Policy").values()
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_role_is_for_sagemaker_and_security_group_allows_no_ingress() -> None:
    template = _built()
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {
                    "Statement": [
                        Match.object_like({"Principal": {"Service": "sagemaker.amazonaws.com"}})
                    ]
                }
            )
        },
    )
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {"VpcId": "vpc-0a1b2c3d4e5f60718", "SecurityGroupIngress": Match.absent()},
    )


def test_artifacts_are_read_only_and_capture_is_write_only() -> None:
    statements = _statements(_built())
    by_resource: dict[str, set[str]] = {}
    for statement in statements:
        actions = statement["Action"]
        actions = {actions} if isinstance(actions, str) else set(actions)
        resources = statement["Resource"]
        for resource in resources if isinstance(resources, list) else [resources]:
            by_resource.setdefault(str(resource), set()).update(actions)
    artifact_actions = {
        a for r, acts in by_resource.items() if "artifacts-bucket" in r for a in acts
    }
    capture_actions = {a for r, acts in by_resource.items() if "lake-bucket" in r for a in acts}
    assert "s3:GetObject" in artifact_actions
    assert not {a for a in artifact_actions if a.startswith("s3:Put") or a.startswith("s3:Delete")}
    assert "s3:PutObject" in capture_actions
    assert "s3:GetObject" not in capture_actions
    # Only the ECR token and the ENI actions are unscoped.
    assert "ecr:GetAuthorizationToken" in by_resource["*"]
    assert "ecr:BatchGetImage" not in by_resource["*"]
    assert not {a for a in by_resource["*"] if a.startswith(("s3:", "kms:", "logs:"))}
    assert any("/aws/sagemaker/Endpoints/*" in r for r in by_resource)
