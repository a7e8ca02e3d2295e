"""Narrow cdk-nag acknowledgements for IAM wildcards: one per resource pattern, never the rule.

cdk-nag names each IAM5 finding after the wildcard resource as it appears in the template,
with intrinsics rendered as `<LogicalId.Arn>` or `<AWS::Region>`. Rendering the same way here
lets a construct acknowledge exactly the wildcards it creates, so any new one still fails synth.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs import Construct


def _render(value: Any) -> str:  # noqa: ANN401 - a resolved CloudFormation value of any shape
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} as cdk-nag does")


def wildcard_finding(scope: Construct, resource: str) -> str:
    """The IAM5 finding ID for a policy statement resource such as `bucket.arn_for_objects(...)`."""
    return f"AwsSolutions-IAM5[Resource::{_render(cdk.Stack.of(scope).resolve(resource))}]"


def acknowledge_wildcards(role: iam.Role, resources: Iterable[str], reason: str) -> None:
    """Acknowledge IAM5 for exactly `resources` on `role`'s default policy (which must exist)."""
    policy = role.node.find_child("DefaultPolicy")
    for resource in resources:
        cdk.Validations.of(policy).acknowledge(
            cdk.Acknowledgment(id=wildcard_finding(role, resource), reason=reason)
        )
