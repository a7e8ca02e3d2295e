"""constructs/core: RotatingKey and the typed L1 helpers, each built in a bare stack."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match

from constructs import Construct
from constructs.core.cfn import default_policy, default_resource, depend_only_on
from constructs.core.key import RotatingKey
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
