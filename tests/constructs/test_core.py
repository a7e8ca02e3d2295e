"""constructs/core: RotatingKey, the buckets, the log group and the typed L1 helpers, each built
in a bare stack from its props alone (no profile is parsed)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match

from constructs import Construct
from constructs.core.access_log_bucket import AccessLogBucket
from constructs.core.cfn import default_policy, default_resource, depend_only_on
from constructs.core.encrypted_log_group import EncryptedLogGroup
from constructs.core.key import RotatingKey
from constructs.core.nag import flatten_cfn_reference
from constructs.core.secure_bucket import SecureBucket
from tests.constructs.bare import bare_stack, synthesized


def test_rotating_key_rotates_and_is_retained_by_default() -> None:
    app, stack = bare_stack()
    RotatingKey(stack, "Key", description="Encrypts the test data", alias="alias/test")
    template = synthesized(app, stack)  # cdk-nag clean, or synth fails
    template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": Match.object_like(
                {"EnableKeyRotation": True, "Description": "Encrypts the test data"}
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/test"})


def test_rotating_key_takes_the_removal_policy_it_is_given() -> None:
    app, stack = bare_stack()
    RotatingKey(stack, "Key", description="Scratch", removal_policy=cdk.RemovalPolicy.DESTROY)
    synthesized(app, stack).has_resource("AWS::KMS::Key", {"DeletionPolicy": "Delete"})


def test_depend_only_on_replaces_depends_on() -> None:
    app, stack = bare_stack()
    first = RotatingKey(stack, "First", description="first")
    second = RotatingKey(stack, "Second", description="second")
    third = RotatingKey(stack, "Third", description="third")
    first.node.add_dependency(third)
    depend_only_on(default_resource(first), second)
    resources = synthesized(app, stack).find_resources("AWS::KMS::Key")
    first_id = stack.get_logical_id(default_resource(first))
    assert resources[first_id]["DependsOn"] == [stack.get_logical_id(default_resource(second))]


def test_depend_only_on_nothing_drops_depends_on() -> None:
    app, stack = bare_stack()
    first = RotatingKey(stack, "First", description="first")
    first.node.add_dependency(RotatingKey(stack, "Second", description="second"))
    depend_only_on(default_resource(first))
    resources = synthesized(app, stack).find_resources("AWS::KMS::Key")
    assert "DependsOn" not in resources[stack.get_logical_id(default_resource(first))]


def test_typed_helpers_refuse_what_is_not_there() -> None:
    _, stack = bare_stack()
    with pytest.raises(TypeError, match="no CloudFormation resource"):
        default_resource(Construct(stack, "Empty"))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    with pytest.raises(TypeError, match="no default policy yet"):
        default_policy(role)


def test_secure_bucket_defaults_retain_and_clean_up() -> None:
    """With only the required prop, a bucket and its key are retained, refuse TLS below 1.2,
    and clean up old versions and failed uploads (cdk-nag clean, or synth fails)."""
    app, stack = bare_stack()
    logs = AccessLogBucket(stack, "AccessLogs")
    SecureBucket(stack, "Data", access_logs=logs.bucket)
    template = synthesized(app, stack)
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in template.find_resources(resource_type).values():
            assert resource["DeletionPolicy"] == "Retain"
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LoggingConfiguration": Match.any_value(),
            "LifecycleConfiguration": {
                "Rules": [
                    Match.object_like(
                        {
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                        }
                    )
                ]
            },
        },
    )
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {"Rules": [Match.object_like({"ExpirationInDays": 365})]},
            "LoggingConfiguration": Match.absent(),
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}})]
                )
            }
        },
    )


def test_secure_bucket_refuses_expiry_before_a_transition_naming_both_props() -> None:
    _, stack = bare_stack()
    logs = AccessLogBucket(stack, "AccessLogs")
    to_ia = s3.Transition(
        storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=cdk.Duration.days(30)
    )
    with pytest.raises(ValueError, match=r"'expiration_days' \(30\).*'transitions'.*30 days"):
        SecureBucket(
            stack, "Data", access_logs=logs.bucket, transitions=[to_ia], expiration_days=30
        )


def test_buckets_refuse_tls_below_1_2() -> None:
    _, stack = bare_stack()
    with pytest.raises(ValueError, match=r"'minimum_tls_version' must be one of"):
        AccessLogBucket(stack, "Old", minimum_tls_version=1.1)
    logs = AccessLogBucket(stack, "AccessLogs")
    with pytest.raises(ValueError, match=r"'minimum_tls_version' must be one of"):
        SecureBucket(stack, "Data", access_logs=logs.bucket, minimum_tls_version=1.1)


def test_encrypted_log_group_keeps_two_years_and_is_retained_by_default() -> None:
    app, stack = bare_stack()
    EncryptedLogGroup(stack, "Logs")
    template = synthesized(app, stack)
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": Match.object_like({"RetentionInDays": 731}),
            "DeletionPolicy": "Retain",
        },
    )
    template.has_resource("AWS::KMS::Key", {"DeletionPolicy": "Retain"})


def test_encrypted_log_group_takes_its_retention_and_removal_policy() -> None:
    app, stack = bare_stack()
    EncryptedLogGroup(
        stack,
        "Logs",
        retention=logs.RetentionDays.ONE_MONTH,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    template = synthesized(app, stack)
    template.has_resource(
        "AWS::Logs::LogGroup",
        {"Properties": Match.object_like({"RetentionInDays": 30}), "DeletionPolicy": "Delete"},
    )


@pytest.mark.parametrize(
    ("value", "flat"),
    [
        ("arn:${AWS::Partition}:s3:::b/*", "arn:<AWS::Partition>:s3:::b/*"),
        (
            {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/events/*"]]},
            "<Bucket.Arn>/events/*",
        ),
        ({"Fn::Join": ["", [{"Ref": "Cluster"}, "/*"]]}, "<Cluster>/*"),
        (
            {"Fn::Join": ["", [{"Fn::Select": [0, ["a"]]}, "/*"]]},
            '{"Fn::Select":[0,["a"]]}/*',
        ),
    ],
)
def test_flatten_matches_cdk_nag(value: Any, flat: str) -> None:
    assert flatten_cfn_reference(value) == flat
