"""CloudFormation acts as its execution role, and AWS authorizes what it does in that name.

moto creates every resource whatever the role may do. Where a deploy's success turns on a policy
the templates write (a key policy that must let CloudFormation encrypt the secret it creates),
the handler asks iam-simulate (ops.access) with the policies moto holds, read here from its
backends in-process, and a denial fails the resource, so the stack rolls back as in AWS.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.cloudformation.models import cloudformation_backends
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, Role, iam_backends
from moto.kms.models import kms_backends
from moto.utilities.utils import get_partition

from ops.access.guard import AccessGuard, Need, Principal, policy_document
from ops.access.policies import NamedPolicy, engine_readable
from ops.access.simulator import shared_simulator

from ._base import deletes_for

_MARK = "__moto_cfn_models__"


class BackendPolicies:
    """The policies of one account and region of the moto process (the LivePolicies protocol)."""

    def __init__(self, account: str, region: str, partition: str = "aws") -> None:
        self.account = account
        self.region = region
        self._partition = partition

    def identity(self, role_arn: str) -> tuple[tuple[NamedPolicy, ...], NamedPolicy | None]:
        iam = iam_backends[self.account][self._partition]
        role = iam.get_role(role_arn.rsplit("/", 1)[-1])
        policies = [
            NamedPolicy(name, policy_document(text)) for name, text in role.policies.items()
        ]
        for arn, policy in role.managed_policies.items():
            document = engine_readable(policy_document(_default_document(policy)))
            policies.append(NamedPolicy(arn.rsplit("/", 1)[-1], document))
        boundary = None
        if role.permissions_boundary_arn:
            managed = iam.get_policy(role.permissions_boundary_arn)
            boundary = NamedPolicy("boundary", policy_document(_default_document(managed)))
        return tuple(policies), boundary

    def resource_policy(self, arn: str) -> dict[str, Any] | None:
        if arn.split(":")[2] == "kms":
            key = kms_backends[self.account][self.region].describe_key(arn)
            return policy_document(key.policy)
        return None


def _default_document(policy: Any) -> Any:  # noqa: ANN401 - moto's ManagedPolicy
    return next(v.document for v in policy.versions if v.is_default)


def execution_role(account: str, region: str, stack_id: str) -> str | None:
    """The role the stack's operation runs as (CreateStack's RoleARN), or None: the caller's."""
    stack = cloudformation_backends[account][region].stacks.get(stack_id)
    return getattr(stack, "role_arn", None) or None


def authorize_as_execution_role(
    account: str, region: str, stack_id: str, needs: list[Need], operation: str
) -> None:
    """Raise AWS's AccessDenied (a ClientError) when the stack's execution role may not."""
    role = execution_role(account, region, stack_id)
    if role is None:
        return
    guard = AccessGuard(BackendPolicies(account, region), shared_simulator())
    guard.require(Principal(role), needs, operation)


def install_role_managed_policies() -> None:
    """moto bug: an AWS::IAM::Role's ManagedPolicyArns are dropped, so a role CloudFormation
    creates holds none of its managed policies (the CDK execution role's AdministratorAccess
    among them) and an evaluation of its calls would deny what AWS allows. Attach them; an AWS
    managed policy moto has not loaded (it loads none by default) comes from moto's own copy of
    AWS's documents."""
    moto_create = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    if getattr(moto_create, _MARK, False):
        return

    def create_from_cloudformation_json(
        cls: type[Role],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,  # noqa: ANN401
    ) -> Role:
        role = moto_create(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        backend = iam_backends[account_id][get_partition(region_name)]
        for arn in cloudformation_json.get("Properties", {}).get("ManagedPolicyArns", []) or []:
            if arn not in backend.managed_policies:
                backend.managed_policies[arn] = _aws_managed(arn, account_id, region_name)
            backend.attach_role_policy(arn, role.name)
        return role

    setattr(create_from_cloudformation_json, _MARK, True)
    Role.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign,assignment]


def _aws_managed(arn: str, account_id: str, region_name: str) -> AWSManagedPolicy:
    name = arn.rsplit("/", 1)[-1]
    data = _aws_managed_data().get(name)
    if data is None or arn.split(":")[4] != "aws":
        raise ValueError(f"{arn}: not an AWS managed policy in moto's copy of AWS's documents")
    return AWSManagedPolicy.from_data(name, account_id, region_name, data)


@functools.cache
def _aws_managed_data() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(aws_managed_policies_data)
    return parsed


@deletes_for("AWS::IAM::Role")
def _delete_role(role: Role, account_id: str, region_name: str) -> None:
    """CloudFormation detaches a role's managed policies before it deletes the role (moto's delete
    refuses a role that still has them, now that creation attaches them)."""
    backend = iam_backends[account_id][get_partition(region_name)]
    if role.name not in {r.name for r in backend.roles.values()}:
        return
    for arn in list(role.managed_policies):
        backend.detach_role_policy(arn, role.name)
    Role.delete_from_cloudformation_json(role.name, {}, account_id, region_name)
