"""Typed access to the L1 resource under an L2 construct, and the DependsOn fix cfn-lint needs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs import IConstruct


def default_resource(construct: IConstruct) -> cdk.CfnResource:
    """The CloudFormation resource an L2 construct wraps (its `node.default_child`)."""
    child = construct.node.default_child
    if not isinstance(child, cdk.CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource as default child")
    return child


def default_policy(role: iam.IRole) -> iam.Policy:
    """The `DefaultPolicy` CDK creates on a role at its first `add_to_policy` or grant."""
    policy = role.node.try_find_child("DefaultPolicy")
    if not isinstance(policy, iam.Policy):
        raise TypeError(f"{role.node.path} has no default policy yet; grant it something first")
    return policy


def depend_only_on(resource: cdk.CfnResource, *dependencies: IConstruct) -> None:
    """Set `resource`'s DependsOn to exactly `dependencies` (none: no DependsOn at all).

    CDK adds a role to the DependsOn of whatever uses it, next to the Fn::GetAtt that already
    orders the two; cfn-lint (W3005) rightly flags that as redundant. What the resource must
    still wait for is the role's policies, which nothing else references.
    """
    if not dependencies:
        resource.add_deletion_override("DependsOn")
        return
    stack = cdk.Stack.of(resource)
    resource.add_override(
        "DependsOn", [stack.get_logical_id(default_resource(d)) for d in dependencies]
    )
