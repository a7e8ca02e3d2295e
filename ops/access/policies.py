"""Every policy of a synthesized assembly, resolved: who holds what, and what guards each resource.

- Identity side: each role's inline policies, the `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy`
  resources attached to it, the AWS managed policies it names (their documents are recorded in
  `aws_managed_policies.json`, with the version they were read at), and its permissions boundary.
- Resource side: bucket, topic, queue and secret policies, key policies, and Lambda functions'
  permissions (which AWS keeps as the function's resource policy).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.access.resolve import ACCOUNT, REGION, AssemblyValues, ResolveError

_MANAGED_POLICIES = Path(__file__).with_name("aws_managed_policies.json")
_AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"
#: AWSGlueServiceRole grants logs on `arn:aws:logs:*:*:*:/aws-glue/*`. IAM matches the wildcard
#: against `log-group`; iam-simulate 0.1.173 compares that segment as a resource type and finds no
#: match ("Product does not match"). A Logs ARN whose name follows the type segment is a log
#: group's (or a stream's, under it), so naming the type gives the same grant the engine can read.
_ANY_LOGS_TYPE = re.compile(r'("arn:aws:logs:[^:"]*:[^:"]*:)\*:(?=/)')


@dataclass(frozen=True)
class NamedPolicy:
    """A policy document and where it comes from (for the report)."""

    name: str
    document: dict[str, Any]


@dataclass
class Role:
    """One IAM role of the templates, with every policy that applies to its sessions."""

    path: str  # the construct path, e.g. MlStack/Training/ExecutionRole
    stack_id: str
    logical_id: str
    arn: str
    trust: dict[str, Any]
    identity_policies: list[NamedPolicy] = field(default_factory=list)
    boundary: NamedPolicy | None = None


@dataclass(frozen=True)
class ResourcePolicy:
    """A resource-based policy (a key policy included) and the ARNs it guards."""

    kind: str  # the CloudFormation type that carries it
    path: str  # the construct path of that resource
    guarded: tuple[str, ...]  # the ARNs of the bucket, topic, key, ... it is attached to
    document: dict[str, Any]


@dataclass
class AssemblyPolicies:
    """The roles and resource policies of one profile's assembly."""

    values: AssemblyValues
    roles: dict[str, Role]  # by ARN
    resource_policies: list[ResourcePolicy]
    qualifier: str  # the CDK bootstrap qualifier the assembly deploys with

    def role(self, path: str) -> Role:
        for role in self.roles.values():
            if role.path == path:
                return role
        raise ResolveError(f"{path}: no role has this construct path")

    def policy_for(self, resource_arn: str) -> ResourcePolicy | None:
        """The resource policy AWS would consult for a request on `resource_arn`."""
        container = _container_arn(resource_arn)
        for policy in self.resource_policies:
            if container in policy.guarded:
                return policy
        return None


def _container_arn(resource_arn: str) -> str:
    """The ARN a resource policy is attached to: an object's bucket, an unqualified function."""
    if resource_arn.startswith("arn:aws:s3:::"):
        return resource_arn.split("/", 1)[0]
    if ":lambda:" in resource_arn and resource_arn.count(":") > 6:
        return resource_arn.rsplit(":", 1)[0]
    return resource_arn


def aws_managed_policy(arn: str) -> NamedPolicy:
    recorded = json.loads(_MANAGED_POLICIES.read_text(encoding="utf-8"))["policies"]
    name = arn.removeprefix(_AWS_MANAGED_PREFIX).rsplit("/", 1)[-1]
    if name not in recorded:
        raise ResolveError(
            f"{arn}: this AWS managed policy's document is not recorded in {_MANAGED_POLICIES.name}"
        )
    document = engine_readable(recorded[name]["document"])
    return NamedPolicy(f"aws-managed:{name}@{recorded[name]['version']}", document)


def engine_readable(document: dict[str, Any]) -> dict[str, Any]:
    """An AWS managed policy's document with the grants iam-simulate misreads written as IAM
    reads them (see `_ANY_LOGS_TYPE`)."""
    text = _ANY_LOGS_TYPE.sub(r"\1log-group:", json.dumps(document))
    rewritten: dict[str, Any] = json.loads(text)
    return rewritten


def _path(values: AssemblyValues, stack_id: str, logical_id: str) -> str:
    resource = values.stacks[stack_id].resources[logical_id]
    path = str(resource.get("Metadata", {}).get("aws:cdk:path", f"{stack_id}/{logical_id}"))
    return path.removesuffix("/Resource")


def read_policies(
    values: AssemblyValues,
    *,
    qualifier: str,
    boundaries: Mapping[str, dict[str, Any]] | None = None,
) -> AssemblyPolicies:
    """Resolve every identity and resource policy of the assembly. `boundaries` gives, by policy
    name, the documents of permissions boundaries the account holds but the templates do not
    (an organization's boundary, which `@aws-cdk/core:permissionsBoundary` names)."""
    roles: dict[str, Role] = {}
    by_name: dict[str, Role] = {}
    managed_by_arn: dict[str, NamedPolicy] = {}
    for stack_id, logical_id, resource in values.resources("AWS::IAM::ManagedPolicy"):
        properties = values.value(stack_id, resource["Properties"])
        managed_by_arn[values.arn(stack_id, logical_id)] = NamedPolicy(
            _path(values, stack_id, logical_id), properties["PolicyDocument"]
        )
    for stack_id, logical_id, resource in values.resources("AWS::IAM::Role"):
        properties = values.value(stack_id, resource["Properties"])
        role = Role(
            path=_path(values, stack_id, logical_id),
            stack_id=stack_id,
            logical_id=logical_id,
            arn=values.arn(stack_id, logical_id),
            trust=properties["AssumeRolePolicyDocument"],
        )
        for inline in properties.get("Policies", []):
            role.identity_policies.append(
                NamedPolicy(inline["PolicyName"], inline["PolicyDocument"])
            )
        for arn in properties.get("ManagedPolicyArns", []):
            role.identity_policies.append(
                managed_by_arn[arn] if arn in managed_by_arn else aws_managed_policy(arn)
            )
        boundary = properties.get("PermissionsBoundary")
        if boundary is not None:
            role.boundary = _boundary(boundary, managed_by_arn, boundaries, role.path)
        roles[role.arn] = role
        by_name[values.physical_name(stack_id, logical_id)] = role
    for resource_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for stack_id, logical_id, resource in values.resources(resource_type):
            properties = values.value(stack_id, resource["Properties"])
            for role_name in properties.get("Roles", []):
                if role_name in by_name and resource_type == "AWS::IAM::Policy":
                    by_name[role_name].identity_policies.append(
                        NamedPolicy(
                            _path(values, stack_id, logical_id), properties["PolicyDocument"]
                        )
                    )
    return AssemblyPolicies(values, roles, list(_resource_policies(values)), qualifier)


def _boundary(
    arn: str,
    in_templates: Mapping[str, NamedPolicy],
    documents: Mapping[str, dict[str, Any]] | None,
    role_path: str,
) -> NamedPolicy:
    if arn in in_templates:
        return in_templates[arn]
    if arn.startswith(_AWS_MANAGED_PREFIX):
        return aws_managed_policy(arn)
    name = arn.rsplit("/", 1)[-1]
    if documents is None or name not in documents:
        raise ResolveError(
            f"{role_path}: its permissions boundary {arn} is not in the templates; give its "
            f"document (python -m ops.access --boundary {name}=FILE)"
        )
    return NamedPolicy(f"boundary:{name}", documents[name])


def _resource_policies(values: AssemblyValues) -> list[ResourcePolicy]:
    found: list[ResourcePolicy] = []

    def add(kind: str, stack_id: str, logical_id: str, guarded: list[str], document: Any) -> None:  # noqa: ANN401
        found.append(
            ResourcePolicy(kind, _path(values, stack_id, logical_id), tuple(guarded), document)
        )

    for stack_id, logical_id, resource in values.resources("AWS::S3::BucketPolicy"):
        properties = values.value(stack_id, resource["Properties"])
        bucket = f"arn:aws:s3:::{properties['Bucket']}"
        add("AWS::S3::BucketPolicy", stack_id, logical_id, [bucket], properties["PolicyDocument"])
    for stack_id, logical_id, resource in values.resources("AWS::SNS::TopicPolicy"):
        properties = values.value(stack_id, resource["Properties"])
        add(
            "AWS::SNS::TopicPolicy",
            stack_id,
            logical_id,
            properties["Topics"],
            properties["PolicyDocument"],
        )
    for stack_id, logical_id, resource in values.resources("AWS::SQS::QueuePolicy"):
        properties = values.value(stack_id, resource["Properties"])
        arns = [_queue_arn(url) for url in properties["Queues"]]
        add("AWS::SQS::QueuePolicy", stack_id, logical_id, arns, properties["PolicyDocument"])
    for stack_id, logical_id, resource in values.resources("AWS::SecretsManager::ResourcePolicy"):
        properties = values.value(stack_id, resource["Properties"])
        add(
            "AWS::SecretsManager::ResourcePolicy",
            stack_id,
            logical_id,
            [properties["SecretId"]],
            properties["ResourcePolicy"],
        )
    for stack_id, logical_id, resource in values.resources("AWS::KMS::Key"):
        properties = values.value(stack_id, resource["Properties"])
        add(
            "AWS::KMS::Key",
            stack_id,
            logical_id,
            [values.arn(stack_id, logical_id)],
            properties["KeyPolicy"],
        )
    permissions: dict[str, list[dict[str, Any]]] = {}
    first_path: dict[str, tuple[str, str]] = {}
    for stack_id, logical_id, resource in values.resources("AWS::Lambda::Permission"):
        properties = values.value(stack_id, resource["Properties"])
        function = str(properties["FunctionName"])
        if not function.startswith("arn:"):
            function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
        statement: dict[str, Any] = {
            "Sid": _path(values, stack_id, logical_id),
            "Effect": "Allow",
            "Principal": {"Service": properties["Principal"]},
            "Action": properties["Action"],
            "Resource": function,
        }
        conditions: dict[str, dict[str, str]] = {}
        if "SourceArn" in properties:
            conditions["ArnLike"] = {"AWS:SourceArn": properties["SourceArn"]}
        if "SourceAccount" in properties:
            conditions["StringEquals"] = {"AWS:SourceAccount": properties["SourceAccount"]}
        if conditions:
            statement["Condition"] = conditions
        permissions.setdefault(function, []).append(statement)
        first_path.setdefault(function, (stack_id, logical_id))
    for function, statements in permissions.items():
        stack_id, logical_id = first_path[function]
        document = {"Version": "2012-10-17", "Statement": statements}
        add("AWS::Lambda::Permission", stack_id, logical_id, [function], document)
    return found


def _queue_arn(url: str) -> str:
    *_, account, name = url.split("/")
    return f"arn:aws:sqs:{REGION}:{account}:{name}"
