"""Write the example permissions boundary (docs/examples/permissions-boundary.json) from assemblies.

    python -m tools.permissions_boundary ASSEMBLY... > docs/examples/permissions-boundary.json

The shipped file was written from dev and prod as shipped, and dev with each optional part on
(MSK serverless, MSK provisioned, Lake Formation), so that it holds for any profile.

It allows exactly the actions the assemblies' roles are granted, one statement per service: the
actions of their inline policies, of the `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy`
resources, and of the AWS managed policies they attach (their documents as
ops/access/aws_managed_policies.json records them). An action that a wildcard of the same
service already covers (`s3:GetObject` under `s3:GetObject*`) is left out. Then it denies IAM
privilege escalation (`ESCALATION_DENIES`): a role or user created, or a policy put on one,
without this boundary; the boundary taken off; the boundary policy itself changed; IAM users.

tests/test_governed_synth.py checks that the shipped file allows every action the profiles' roles
are granted, and denies none of them.
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
MANAGED_POLICIES = REPO_ROOT / "ops" / "access" / "aws_managed_policies.json"
EXAMPLE = REPO_ROOT / "docs" / "examples" / "permissions-boundary.json"
#: The name the example is created under (`aws iam create-policy --policy-name`), and so the name
#: in `-c @aws-cdk/core:permissionsBoundary='{"name": "dataplatform-boundary"}'`.
BOUNDARY_NAME = "dataplatform-boundary"
BOUNDARY_ARN = f"arn:aws:iam::*:policy/{BOUNDARY_NAME}"
_MANAGED_NAME = re.compile(r":iam::aws:policy/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]+)")
_WITHOUT_THIS_BOUNDARY = {"StringNotLike": {"iam:PermissionsBoundary": BOUNDARY_ARN}}

ESCALATION_DENIES: list[dict[str, Any]] = [
    {
        "Sid": "DenyRolesWithoutThisBoundary",
        "Effect": "Deny",
        "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
        "Resource": "*",
        "Condition": _WITHOUT_THIS_BOUNDARY,
    },
    {
        "Sid": "DenyPolicyChangesOnRolesWithoutThisBoundary",
        "Effect": "Deny",
        "Action": [
            "iam:AttachRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:PutRolePolicy",
        ],
        "Resource": "*",
        "Condition": _WITHOUT_THIS_BOUNDARY,
    },
    {
        "Sid": "DenyBoundaryRemoval",
        "Effect": "Deny",
        "Action": ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
        "Resource": "*",
    },
    {
        "Sid": "DenyChangesToThisBoundary",
        "Effect": "Deny",
        "Action": [
            "iam:CreatePolicyVersion",
            "iam:DeletePolicy",
            "iam:DeletePolicyVersion",
            "iam:SetDefaultPolicyVersion",
        ],
        "Resource": BOUNDARY_ARN,
    },
    {
        "Sid": "DenyIamUsers",
        "Effect": "Deny",
        "Action": [
            "iam:AttachUserPolicy",
            "iam:CreateAccessKey",
            "iam:CreateLoginProfile",
            "iam:CreateUser",
            "iam:PutUserPermissionsBoundary",
            "iam:PutUserPolicy",
        ],
        "Resource": "*",
    },
]


def _as_list(value: Any) -> list[Any]:  # noqa: ANN401 - a policy element: a string or a list
    return value if isinstance(value, list) else [value]


def _allowed_actions(document: dict[str, Any]) -> Iterator[str]:
    for statement in _as_list(document.get("Statement", [])):
        if statement.get("Effect") == "Allow":
            yield from _as_list(statement.get("Action", []))


def _managed_policy_names(arns: Iterable[Any]) -> Iterator[str]:
    for arn in arns:
        match = _MANAGED_NAME.search(json.dumps(arn))
        if match:
            yield match["name"]


def role_actions(templates: Iterable[dict[str, Any]]) -> set[str]:
    """Every action the templates' roles are granted (Allow statements; AWS managed included)."""
    managed = json.loads(MANAGED_POLICIES.read_text(encoding="utf-8"))["policies"]
    actions: set[str] = set()
    for template in templates:
        for resource in template.get("Resources", {}).values():
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::Role":
                for policy in properties.get("Policies", []):
                    actions.update(_allowed_actions(policy["PolicyDocument"]))
                for name in _managed_policy_names(properties.get("ManagedPolicyArns", [])):
                    if name not in managed:
                        raise KeyError(f"{name}: record its document in {MANAGED_POLICIES}")
                    actions.update(_allowed_actions(managed[name]["document"]))
            elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                actions.update(_allowed_actions(properties["PolicyDocument"]))
    return actions


def assembly_templates(assembly: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(assembly.glob("*.template.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


def matches(pattern: str, action: str) -> bool:
    """IAM's action match: case-insensitive, `*` and `?` wildcards."""
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _without_covered(actions: set[str]) -> list[str]:
    return sorted(
        a for a in actions if not any(p != a and "*" in p and matches(p, a) for p in actions)
    )


def boundary(actions: set[str]) -> dict[str, Any]:
    by_service: dict[str, set[str]] = defaultdict(set)
    for action in actions:
        by_service[action.split(":")[0]].add(action)
    allows = [
        {
            "Sid": "".join(part.title() for part in re.split(r"[^a-z0-9]", service)),
            "Effect": "Allow",
            "Action": _without_covered(by_service[service]),
            "Resource": "*",
        }
        for service in sorted(by_service)
    ]
    return {"Version": "2012-10-17", "Statement": [*allows, *ESCALATION_DENIES]}


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    actions: set[str] = set()
    for assembly in argv:
        actions |= role_actions(assembly_templates(Path(assembly)))
    print(json.dumps(boundary(actions), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
