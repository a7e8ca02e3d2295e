"""The owners' grants (constructs/core/bucket_grants.py, S3Location,
GlueSecurityConfiguration, XgboostImage): the statements each writes, built in a bare stack
from props alone (no profile is parsed).

The grants are checked on the role's synthesized policy, without cdk-nag: a grant on objects
under a prefix is a wildcard finding that the consumer, not the grant, acknowledges.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs.core.bucket_grants import (
    KEY_READ,
    KEY_READ_WRITE,
    OBJECT_READ,
    OBJECT_READ_WRITE,
    grant_objects,
    kms_via_s3,
)
from constructs.core.key import RotatingKey
from constructs.lake.glue_security import GlueSecurityConfiguration, glue_log_groups_arn
from constructs.ml.model_serving import S3Location
from constructs.ml.xgboost_image import XgboostImage
from tests.synthesis import cdk_json_context


def _stack() -> tuple[cdk.Stack, iam.Role]:
    # cdk.json's flags (minimizePolicies among them), so statements merge as in the app.
    app = cdk.App(context=cdk_json_context(), analytics_reporting=False)
    stack = cdk.Stack(app, "Bare")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
    return stack, role


def _bucket(stack: cdk.Stack) -> s3.Bucket:
    key = RotatingKey(stack, "Key", description="test")
    return s3.Bucket(stack, "Bucket", encryption_key=key)


def _statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    """Every statement of the role's policies, Action always a sorted list."""
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    statements = [
        st
        for policy in policies.values()
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    for st in statements:
        actions = st["Action"]
        st["Action"] = sorted(actions if isinstance(actions, list) else [actions])
    return statements


def _by_actions(statements: list[dict[str, Any]]) -> dict[tuple[str, ...], dict[str, Any]]:
    return {tuple(st["Action"]): st for st in statements}


def _resolve(stack: cdk.Stack, value: Any) -> Any:
    return stack.resolve(value)


def test_grant_objects_reads_a_prefix_lists_it_and_decrypts_with_the_bucket_key() -> None:
    stack, role = _stack()
    bucket = _bucket(stack)
    grant = grant_objects(
        role,
        bucket,
        actions=OBJECT_READ,
        objects=["events/*"],
        list_prefixes=True,
        key_actions=KEY_READ,
    )
    assert grant.success
    statements = _by_actions(_statements(stack))
    assert set(statements) == {("s3:GetObject",), ("s3:ListBucket",), ("kms:Decrypt",)}
    objects = statements[("s3:GetObject",)]
    assert objects["Resource"] == _resolve(stack, bucket.arn_for_objects("events/*"))
    assert "Condition" not in objects
    listing = statements[("s3:ListBucket",)]
    assert listing["Resource"] == _resolve(stack, bucket.bucket_arn)
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["events/*"]}}
    key = statements[("kms:Decrypt",)]
    assert key["Resource"] == _resolve(stack, bucket.encryption_key.key_arn)  # type: ignore[union-attr]
    assert "Condition" not in key


def test_grant_objects_on_every_object_lists_without_a_prefix_condition() -> None:
    # A StringLike on s3:prefix fails a listing that sends no prefix: "*" must not add one.
    stack, role = _stack()
    bucket = _bucket(stack)
    grant_objects(role, bucket, actions=OBJECT_READ_WRITE, list_prefixes=True)
    statements = _by_actions(_statements(stack))
    assert set(statements) == {tuple(sorted(OBJECT_READ_WRITE)), ("s3:ListBucket",)}
    assert statements[tuple(sorted(OBJECT_READ_WRITE))]["Resource"] == _resolve(
        stack, bucket.arn_for_objects("*")
    )
    assert "Condition" not in statements[("s3:ListBucket",)]


def test_grant_objects_on_one_exact_object_has_no_wildcard_and_no_key() -> None:
    stack, role = _stack()
    bucket = s3.Bucket(stack, "Assets")  # S3-managed encryption, as the CDK asset bucket
    grant_objects(role, bucket, actions=OBJECT_READ, objects=["code/job.py"])
    [statement] = _statements(stack)
    assert statement["Action"] == ["s3:GetObject"]
    assert statement["Resource"] == _resolve(stack, bucket.arn_for_objects("code/job.py"))


def test_grant_objects_refuses_key_actions_for_a_bucket_without_a_key() -> None:
    stack, role = _stack()
    with pytest.raises(ValueError, match="no encryption_key"):
        grant_objects(role, s3.Bucket(stack, "Plain"), actions=OBJECT_READ, key_actions=KEY_READ)


def test_grant_objects_takes_another_key_and_key_conditions() -> None:
    stack, role = _stack()
    bucket = _bucket(stack)
    other = RotatingKey(stack, "Other", description="other")
    conditions = kms_via_s3(bucket, ["events/*"])
    grant_objects(
        role,
        bucket,
        actions=("s3:PutObject",),
        objects=["events/*"],
        key_actions=("kms:GenerateDataKey", "kms:Decrypt"),
        key=other,
        key_conditions=conditions,
    )
    key = _by_actions(_statements(stack))[("kms:Decrypt", "kms:GenerateDataKey")]
    assert key["Resource"] == _resolve(stack, other.key_arn)
    assert key["Condition"] == {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
        },
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [
                _resolve(stack, bucket.bucket_arn),
                _resolve(stack, bucket.arn_for_objects("events/*")),
            ]
        },
    }


def test_s3_location_grant_on_a_prefix_with_its_key_and_listing() -> None:
    stack, role = _stack()
    bucket = _bucket(stack)
    location = S3Location(bucket, "capture/", bucket.encryption_key)
    location.grant(role, ("s3:PutObject",), ("kms:GenerateDataKey",), list_bucket=True)
    statements = _by_actions(_statements(stack))
    assert statements[("s3:PutObject",)]["Resource"] == _resolve(
        stack, bucket.arn_for_objects("capture/*")
    )
    assert statements[("kms:GenerateDataKey",)]["Resource"] == _resolve(
        stack,
        bucket.encryption_key.key_arn,  # type: ignore[union-attr]
    )
    assert "Condition" not in statements[("s3:ListBucket",)]


def test_s3_location_grant_without_a_key_grants_only_the_exact_object() -> None:
    stack, role = _stack()
    bucket = _bucket(stack)
    S3Location(bucket, "models/model.tar.gz").grant(role, OBJECT_READ, KEY_READ)
    [statement] = _statements(stack)
    assert statement["Action"] == ["s3:GetObject"]
    assert statement["Resource"] == _resolve(stack, bucket.arn_for_objects("models/model.tar.gz"))


def test_glue_security_grant_use_gives_the_data_key_and_log_group_association() -> None:
    stack, role = _stack()
    key = RotatingKey(stack, "DataKey", description="data")
    security = GlueSecurityConfiguration(stack, "Security", name="test-security", data_key=key)
    grant = security.grant_use(role)
    assert grant.success
    statements = _by_actions(_statements(stack))
    assert set(statements) == {tuple(sorted(KEY_READ_WRITE)), ("logs:AssociateKmsKey",)}
    assert statements[tuple(sorted(KEY_READ_WRITE))]["Resource"] == _resolve(stack, key.key_arn)
    assert (
        _resolve(stack, glue_log_groups_arn(stack))
        == (statements[("logs:AssociateKmsKey",)]["Resource"])
    )


def test_xgboost_image_grant_pull_reads_its_repository_and_gets_a_token() -> None:
    stack, role = _stack()
    image = XgboostImage(stack, "Image")
    grant = image.grant_pull(role)
    assert grant.success
    statements = _by_actions(_statements(stack))
    layers = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
    assert set(statements) == {layers, ("ecr:GetAuthorizationToken",)}
    assert statements[layers]["Resource"] == _resolve(stack, image.repository_arn)
    # GetAuthorizationToken has no resource-level permissions.
    assert statements[("ecr:GetAuthorizationToken",)]["Resource"] == "*"
