"""The vocabulary of the access table: who calls, what a row says, and how a row becomes requests.

A row names things as a reader of the templates does, by construct path:

    allow("role:MlStack/Training/ExecutionRole", "s3:ListBucket",
          "{arn:MlStack/Artifacts/Bucket}", context={"s3:prefix": "pipelines/..."}, why="...")

Placeholders in the resource and in context values:
- `{arn:PATH}`, `{ref:PATH}`, `{name:PATH}`: the ARN, `Ref` value or physical name of the resource
  at that construct path; `{log-group:PATH}`: a log group's ARN without the trailing `:*`, to
  which `:log-stream:NAME` is appended;
- `{output:Stack.OutputName}`, and `{s3-arn:Stack.OutputName}` / `{s3-key:Stack.OutputName}` for an
  output that is an `s3://` URI;
- `{s3-in:PATH:SUFFIX}`: the object, as an ARN, of the `s3://` URI ending in SUFFIX that the
  resource at PATH names (a Glue job's script, the node code a launch template's user data fetches);
- `{stack-id:STACK}`: the stack's ID (its ARN);
- `{account}`, `{region}`, `{qualifier}` (the bootstrap qualifier of the assembly).

Callers:
- `role:PATH`: a role of the templates, with its identity policies and permissions boundary;
- `service:NAME`: a service principal calling on its own behalf (no identity policy);
- `service-linked:SERVICE`: that service's service-linked role (its own policy is AWS's, not ours:
  only the resource side is evaluated);
- `cloudformation`: the CDK bootstrap's CloudFormation execution role, with the policies the
  bootstrap gives it (AdministratorAccess by default);
- `administrator`: an operator of the account with AdministratorAccess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ops.access.policies import AssemblyPolicies, NamedPolicy
from ops.access.resolve import ACCOUNT, REGION, ResolveError
from ops.access.simulator import Request

Expect = Literal["allow", "deny"]
_PLACEHOLDER = re.compile(r"\{([a-z0-9-]+)(?::([^}]+))?\}")
ADMINISTRATOR_ACCESS = NamedPolicy(
    "aws-managed:AdministratorAccess@v1",
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
)
OPERATOR_ARN = f"arn:aws:iam::{ACCOUNT}:role/Administrator"


@dataclass(frozen=True)
class Call:
    """One row of the access table: a call the platform depends on, and what AWS must decide."""

    caller: str
    action: str
    resource: str
    expect: Expect
    why: str
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    profiles: tuple[str, ...] = ("dev", "prod")
    #: The account that owns the resource, where it is not ours (AWS's image registry).
    resource_account: str | None = None
    #: The resource's policy, where AWS owns it and the templates cannot say it.
    foreign_policy: Mapping[str, object] | None = None

    def label(self) -> str:
        return f"{self.caller} {self.action} {self.resource}"


def allow(caller: str, action: str, resource: str, *, why: str, **options: object) -> Call:
    """A call AWS must allow: the platform breaks without it."""
    return Call(caller, action, resource, "allow", why, **options)  # type: ignore[arg-type]


def deny(caller: str, action: str, resource: str, *, why: str, **options: object) -> Call:
    """A call AWS must deny: a least-privilege promise of the code."""
    return Call(caller, action, resource, "deny", why, **options)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Expanded:
    """A row with every placeholder resolved, ready for the engine."""

    call: Call
    request: Request
    caller_role: str | None  # the construct path of the role, when the caller is one
    resource_policy: str | None  # the construct path of the resource policy consulted


def expand(call: Call, policies: AssemblyPolicies, *, cfn_exec_role: str) -> Expanded:
    """Resolve a row against one profile's policies."""
    resource = substitute(call.resource, policies)
    context = {
        key: (
            [substitute(item, policies) for item in value]
            if isinstance(value, tuple)
            else substitute(value, policies)
        )
        for key, value in call.context.items()
    }
    kind, _, name = substitute(call.caller, policies).partition(":")
    identity: tuple[NamedPolicy, ...] = ()
    boundary = None
    caller_role = None
    if kind == "role":
        role = policies.role(name)
        principal, identity, boundary, caller_role = (
            role.arn,
            tuple(role.identity_policies),
            role.boundary,
            role.path,
        )
    elif kind == "service":
        principal = name
    elif kind == "service-linked":
        principal = (
            f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{name}.amazonaws.com/"
            f"AWSServiceRoleFor{_service_role_suffix(name)}"
        )
    elif kind == "cloudformation":
        principal, identity = cfn_exec_role, (ADMINISTRATOR_ACCESS,)
    elif kind == "administrator":
        principal, identity = OPERATOR_ARN, (ADMINISTRATOR_ACCESS,)
    else:
        raise ResolveError(f"{call.label()}: unknown caller kind {kind!r}")
    consulted = None
    resource_policy: dict[str, Any] | None
    if call.foreign_policy is not None:
        resource_policy = dict(call.foreign_policy)
    elif call.action == "sts:AssumeRole" and resource in policies.roles:
        resource_policy = policies.roles[resource].trust
        consulted = f"{policies.roles[resource].path} (trust policy)"
    else:
        found = policies.policy_for(resource)
        resource_policy = found.document if found else None
        consulted = found.path if found else None
    request = Request(
        principal=principal,
        action=call.action,
        resource=resource,
        resource_account=call.resource_account or ACCOUNT,
        context={**_automatic_context(kind, principal, call.action), **context},
        identity_policies=identity,
        resource_policy=resource_policy,
        boundary=boundary,
    )
    return Expanded(call, request, caller_role, consulted)


def _service_role_suffix(service: str) -> str:
    return {"autoscaling": "AutoScaling"}.get(service, service.title())


def _automatic_context(kind: str, principal: str, action: str) -> dict[str, str | list[str]]:
    """The keys AWS adds to every request of this kind (a row's own keys come on top)."""
    context: dict[str, str | list[str]] = {"aws:SecureTransport": "true"}
    if kind == "service":
        context["aws:PrincipalServiceName"] = principal
    else:
        context["aws:PrincipalArn"] = principal
        context["aws:PrincipalAccount"] = ACCOUNT
    service = action.split(":", 1)[0]
    if service == "s3":
        context["s3:TlsVersion"] = "1.3"
    if service == "kms":
        context["kms:CallerAccount"] = ACCOUNT
    return context


def _output(policies: AssemblyPolicies, argument: str) -> str:
    stack_id, _, name = argument.partition(".")
    stack = policies.values.stacks.get(stack_id)
    outputs = stack.template.get("Outputs", {}) if stack else {}
    if name not in outputs:
        raise ResolveError(f"{argument}: no such stack output")
    return str(policies.values.value(stack_id, outputs[name]["Value"]))


_S3_URI = re.compile(r"s3://([a-z0-9.-]+)/([^\s'\"]+)")


def _s3_object_in(policies: AssemblyPolicies, path: str, suffix: str) -> str:
    stack_id, logical_id = policies.values.find_path(path)
    resource = policies.values.stacks[stack_id].resources[logical_id]
    text = json.dumps(policies.values.value(stack_id, resource.get("Properties", {})))
    for bucket, key in _S3_URI.findall(text):
        if key.endswith(suffix):
            return f"arn:aws:s3:::{bucket}/{key}"
    raise ResolveError(f"{path}: names no s3:// object ending in {suffix}")


def _s3_uri_part(uri: str, part: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return f"arn:aws:s3:::{bucket}/{key}" if part == "arn" else key


#: Placeholders with an argument: what each turns (policies, argument) into.
_RESOLVERS: dict[str, Callable[[AssemblyPolicies, str], str]] = {
    "arn": lambda p, path: p.values.arn(*p.values.find_path(path)),
    "log-group": lambda p, path: p.values.arn(*p.values.find_path(path)).removesuffix(":*"),
    "ref": lambda p, path: str(p.values.ref(*p.values.find_path(path))),
    "name": lambda p, path: p.values.physical_name(*p.values.find_path(path)),
    "stack-id": lambda p, stack_id: str(p.values.value(stack_id, {"Ref": "AWS::StackId"})),
    "s3-in": lambda p, argument: _s3_object_in(p, *argument.rsplit(":", 1)),
    "output": _output,
    "s3-arn": lambda p, argument: _s3_uri_part(_output(p, argument), "arn"),
    "s3-key": lambda p, argument: _s3_uri_part(_output(p, argument), "key"),
}


def substitute(text: str, policies: AssemblyPolicies) -> str:
    """`text` with its placeholders resolved (see the module docstring)."""
    constants = {"account": ACCOUNT, "region": REGION, "qualifier": policies.qualifier}

    def one(match: re.Match[str]) -> str:
        kind, argument = match[1], match[2]
        if argument is None and kind in constants:
            return constants[kind]
        if kind not in _RESOLVERS:
            raise ResolveError(f"{text}: unknown placeholder {{{kind}}}")
        if argument is None:
            raise ResolveError(f"{text}: placeholder {{{kind}}} needs an argument")
        return _RESOLVERS[kind](policies, argument)

    return _PLACEHOLDER.sub(one, text)
