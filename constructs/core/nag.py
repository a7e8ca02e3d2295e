"""Narrow cdk-nag acknowledgements for IAM wildcards: one per resource pattern, never the rule.

cdk-nag names each AwsSolutions-IAM5 finding after the wildcard resource as it appears in the
synthesized policy (`flatten_cfn_reference`: intrinsics become `<LogicalId.Arn>`, `<AWS::Region>`)
and matches acknowledgements by exact name. Rendering the same way here lets a construct
acknowledge exactly the wildcards it creates, so any new one still fails synth.

- `acknowledge_wildcards`: resources of the same stack, acknowledged at construction time on a
  role's default policy.
- `skip_checkov`: the other scanner reviewers run, checkov, reads its skips from the resource's
  template Metadata (`checkov.skip: [{id, comment}]`); each one is written on the narrowest
  resource with the reason, like every cdk-nag acknowledgement here.
- `acknowledge_wildcard_resources`: resources built from another stack's value (the lake's bucket
  ARN, say), whose name is known only once CDK has resolved the cross-stack reference, after every
  construct is written. It registers a validation that runs at that point, acknowledges precisely
  those findings on the one policy, and records them in the resource's template Metadata, as every
  other acknowledgement is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam

import constructs as constructs_lib
from constructs.core.cfn import default_policy, default_resource

NAG_METADATA_KEY = "cdk_nag"
CHECKOV_METADATA_KEY = "checkov"


def _flatten_intrinsic(node: dict[str, Any]) -> str | None:
    if "Fn::Join" in node:
        delimiter, items = node["Fn::Join"]
        return str(delimiter).join(flatten_cfn_reference(item) for item in items)
    if "Fn::Sub" in node:
        return flatten_cfn_reference(node["Fn::Sub"])
    if "Fn::GetAtt" in node:
        resource, attribute = node["Fn::GetAtt"]
        return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
    if "Fn::ImportValue" in node:
        return flatten_cfn_reference(node["Fn::ImportValue"])
    if "Ref" in node:
        return f"<{flatten_cfn_reference(node['Ref'])}>"
    return None


def flatten_cfn_reference(node: Any) -> str:  # noqa: ANN401 - any resolved template value
    """A resolved template value as cdk-nag 3's flattenCfnReference writes it."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    flat = _flatten_intrinsic(node) if isinstance(node, dict) else None
    # Anything else (Fn::Select, Fn::GetStackOutput, ...) cdk-nag writes as compact JSON.
    return flat if flat is not None else json.dumps(node, separators=(",", ":"), ensure_ascii=False)


def _iam5_finding(rendered_resource: str) -> str:
    return f"AwsSolutions-IAM5[Resource::{rendered_resource}]"


@jsii.implements(constructs_lib.IValidation)
class _WildcardAcknowledgement:
    def __init__(self, policy: iam.CfnPolicy, resources: Sequence[str], reason: str) -> None:
        self._policy = policy
        self._resources = list(resources)
        self._reason = reason

    def validate(self) -> list[str]:
        stack = cdk.Stack.of(self._policy)
        finding_ids = []
        for resource in self._resources:
            rendered = flatten_cfn_reference(stack.resolve(resource))
            if "*" not in rendered:
                return [f"{rendered} has no wildcard; there is nothing to acknowledge for it"]
            finding_ids.append(_iam5_finding(rendered))
        existing = (self._policy.cfn_options.metadata or {}).get(NAG_METADATA_KEY, {})
        rules = list(existing.get("rules_to_suppress", []))
        for finding_id in finding_ids:
            cdk.Validations.of(self._policy).acknowledge(
                cdk.Acknowledgment(id=finding_id, reason=self._reason)
            )
            rules.append({"id": finding_id, "reason": self._reason})
        self._policy.add_metadata(NAG_METADATA_KEY, {**existing, "rules_to_suppress": rules})
        return []


def acknowledge_wildcard_resources(
    policy: iam.Policy, resources: Sequence[str], reason: str
) -> None:
    """Acknowledge AwsSolutions-IAM5 for exactly `resources` (as written in `policy`)."""
    cfn_policy = default_resource(policy)
    assert isinstance(cfn_policy, iam.CfnPolicy)
    policy.node.add_validation(_WildcardAcknowledgement(cfn_policy, resources, reason))


def wildcard_finding(scope: constructs_lib.Construct, resource: str) -> str:
    """The IAM5 finding ID for a policy statement resource such as `bucket.arn_for_objects(...)`."""
    return _iam5_finding(flatten_cfn_reference(cdk.Stack.of(scope).resolve(resource)))


def acknowledge_wildcards(role: iam.Role, resources: Iterable[str], reason: str) -> None:
    """Acknowledge IAM5 for exactly `resources` on `role`'s default policy (which must exist)."""
    policy = default_policy(role)
    for resource in resources:
        cdk.Validations.of(policy).acknowledge(
            cdk.Acknowledgment(id=wildcard_finding(role, resource), reason=reason)
        )


def skip_checkov(scope: constructs_lib.IConstruct, skips: Mapping[str, str]) -> None:
    """Skip each checkov check ID of `skips` on one resource, with its reason as the comment.

    `scope` is the CloudFormation resource itself or an L2 whose default child it is. A check
    skipped again replaces its earlier comment (so a function shared by two consumers keeps one
    entry per check).
    """
    resource = scope if isinstance(scope, cdk.CfnResource) else scope.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to skip checks on")
    existing = dict(resource.get_metadata(CHECKOV_METADATA_KEY) or {})
    entries = [e for e in existing.get("skip", []) if e["id"] not in skips]
    entries += [{"id": check_id, "comment": comment} for check_id, comment in skips.items()]
    resource.add_metadata(CHECKOV_METADATA_KEY, {**existing, "skip": entries})
