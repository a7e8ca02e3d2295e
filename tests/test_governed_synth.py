"""The app in a governed AWS organization: every profile synthesized as such an organization
would, with CDK's standard context for a permissions boundary on every role and a bootstrap
qualifier of its own.

- `@aws-cdk/core:permissionsBoundary`: every `AWS::IAM::Role`, CDK's custom-resource roles
  included, carries the boundary; the example boundary (docs/examples/permissions-boundary.json)
  allows every action the roles are granted and denies none of them.
- `@aws-cdk/core:bootstrapQualifier`: the assets bucket, the deploy, file-publishing, lookup and
  CloudFormation execution roles, and the bootstrap version parameter the assembly names all
  use it; nothing in the assembly names CDK's default qualifier.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ops.access.check import ProfileReport, check_profile
from ops.access.simulator import Simulator
from ops.stage_artifacts import DEFAULT_QUALIFIER, load_profile
from tests.stacks.streaming_testkit import ModeApp
from tests.synthesis import (
    CLI_CONTEXT,
    PROFILES,
    REPO_ROOT,
    Synthesized,
    build_once,
    cdk_json_context,
    platform_app,
)
from tools.permissions_boundary import (
    BOUNDARY_NAME,
    EXAMPLE,
    assembly_templates,
    matches,
    role_actions,
)

QUALIFIER = "orgq1234"
GOVERNED_CONTEXT = {
    "@aws-cdk/core:bootstrapQualifier": QUALIFIER,
    "@aws-cdk/core:permissionsBoundary": {"name": BOUNDARY_NAME},
}
#: IAM's limit on a managed policy's size, whitespace not counted.
MANAGED_POLICY_MAX_CHARS = 6144


@pytest.fixture(scope="session", params=PROFILES)
def governed(request: pytest.FixtureRequest, shared_tmp: Path) -> Synthesized:
    """Each profile, synthesized once per run with the boundary and the qualifier."""
    profile = str(request.param)
    outdir = shared_tmp / f"cdk.out.governed-{profile}"

    def synthesize(out: Path) -> None:
        context = {**cdk_json_context(), **CLI_CONTEXT, "env": profile, **GOVERNED_CONTEXT}
        platform_app.build(platform_app.create_app(context=context, outdir=str(out))).synth()

    build_once(outdir, synthesize)
    stack_ids = tuple(p.name.removesuffix(".template.json") for p in outdir.glob("*.template.json"))
    return Synthesized(profile=profile, outdir=outdir, stack_ids=stack_ids)


def roles(synthesized: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (stack_id, logical_id): resource["Properties"]
        for stack_id in synthesized.stack_ids
        for logical_id, resource in synthesized.template_json(stack_id)["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
    }


def test_every_role_carries_the_boundary(governed: Synthesized) -> None:
    found = roles(governed)
    # The platform's roles and CDK's own (custom-resource providers, the S3 auto-delete handler).
    assert len(found) >= 10
    without = sorted(key for key, props in found.items() if "PermissionsBoundary" not in props)
    assert without == []
    for props in found.values():
        assert f":policy/{BOUNDARY_NAME}" in json.dumps(props["PermissionsBoundary"])


def test_the_assembly_uses_the_custom_qualifier(governed: Synthesized) -> None:
    assert governed.bootstrap_qualifier() == QUALIFIER
    stacks = [
        a["properties"]
        for a in governed.manifest()["artifacts"].values()
        if a["type"] == "aws:cloudformation:stack"
    ]

    def role(kind: str) -> str:
        return f"role/cdk-{QUALIFIER}-{kind}-role-${{AWS::AccountId}}-${{AWS::Region}}"

    bucket = f"s3://cdk-{QUALIFIER}-assets-${{AWS::AccountId}}-${{AWS::Region}}/"
    for properties in stacks:
        assert properties["assumeRoleArn"].endswith(role("deploy"))
        assert properties["cloudFormationExecutionRoleArn"].endswith(role("cfn-exec"))
        assert properties["lookupRole"]["arn"].endswith(role("lookup"))
        assert properties["stackTemplateAssetObjectUrl"].startswith(bucket)
    assets = json.loads((governed.outdir / "MlStack.assets.json").read_text(encoding="utf-8"))
    for file in assets["files"].values():
        for destination in file["destinations"].values():
            assert destination["bucketName"] == bucket.removeprefix("s3://").rstrip("/")
            assert f"cdk-{QUALIFIER}-file-publishing-role-" in destination["assumeRoleArn"]
    # Nothing in the assembly (templates, asset manifests, the manifest) names the default.
    for path in governed.outdir.glob("*.json"):
        assert DEFAULT_QUALIFIER not in path.read_text(encoding="utf-8"), path.name


def test_stage_artifacts_stages_into_the_custom_qualifiers_bucket(tmp_path: Path) -> None:
    cdk_json = json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))
    cdk_json["context"]["@aws-cdk/core:bootstrapQualifier"] = QUALIFIER
    path = tmp_path / "cdk.json"
    path.write_text(json.dumps(cdk_json), encoding="utf-8")
    assert load_profile("dev", path)[1] == QUALIFIER
    assert load_profile("dev", REPO_ROOT / "cdk.json")[1] == DEFAULT_QUALIFIER


# --- the example boundary ----------------------------------------------------------------------


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def statements(effect: str) -> list[dict[str, Any]]:
    return [s for s in example()["Statement"] if s["Effect"] == effect]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def uncovered(actions: set[str]) -> list[str]:
    """The actions the example boundary does not allow, or denies outright (no condition)."""
    allowed = [p for s in statements("Allow") for p in _as_list(s["Action"])]
    denied = [
        p
        for s in statements("Deny")
        if "Condition" not in s and s["Resource"] == "*"
        for p in _as_list(s["Action"])
    ]
    return sorted(
        a
        for a in actions
        if not any(matches(p, a) for p in allowed) or any(matches(p, a) for p in denied)
    )


def test_the_example_boundary_allows_what_the_roles_are_granted(governed: Synthesized) -> None:
    actions = role_actions(assembly_templates(governed.outdir))
    assert len(actions) > 100
    assert uncovered(actions) == []


def test_the_example_boundary_allows_the_msk_modes(msk_mode_app: ModeApp) -> None:
    actions = role_actions(assembly_templates(msk_mode_app.outdir))
    assert any(a.startswith("kafka-cluster:") for a in actions)
    assert uncovered(actions) == []


def test_the_example_boundary_denies_privilege_escalation() -> None:
    denied = {p for s in statements("Deny") for p in _as_list(s["Action"])}
    for action in (
        "iam:CreateUser",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DeleteRolePermissionsBoundary",
        "iam:CreatePolicyVersion",
    ):
        assert action in denied, action
    # CreateRole and PutRolePolicy are denied unless the role gets (has) this very boundary.
    conditional = [s for s in statements("Deny") if "iam:PutRolePolicy" in s["Action"]]
    (condition,) = [s["Condition"] for s in conditional]
    assert condition == {
        "StringNotLike": {"iam:PermissionsBoundary": f"arn:aws:iam::*:policy/{BOUNDARY_NAME}"}
    }
    # No allow reaches IAM beyond passing roles, service-linked roles and reading roles.
    iam = {p for s in statements("Allow") for p in _as_list(s["Action"]) if p.startswith("iam:")}
    assert iam <= {
        "iam:PassRole",
        "iam:CreateServiceLinkedRole",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListRolePolicies",
    }


def test_the_example_boundary_fits_a_managed_policy() -> None:
    document = json.dumps(example(), separators=(",", ":"))
    assert len(document) <= MANAGED_POLICY_MAX_CHARS
    assert all(s["Resource"] for s in example()["Statement"])


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


def _access_report(
    governed: Synthesized, simulator: Simulator, boundary: dict[str, Any]
) -> ProfileReport:
    return check_profile(
        governed.outdir, governed.profile, simulator, boundaries={BOUNDARY_NAME: boundary}
    )


def test_the_access_table_holds_under_the_boundary_and_the_qualifier(
    governed: Synthesized, simulator: Simulator
) -> None:
    """Every call the platform depends on is still allowed with every role bounded by the
    example boundary, and the assets bucket is the custom qualifier's."""
    report = _access_report(governed, simulator, example())
    assert report.ok, "\n".join(report.lines())
    assert any(f"cdk-{QUALIFIER}-assets-" in o.expanded.request.resource for o in report.outcomes)


def test_a_boundary_without_an_action_the_platform_needs_fails_its_rows(
    governed: Synthesized, simulator: Simulator
) -> None:
    narrowed = example()
    narrowed["Statement"] = [s for s in narrowed["Statement"] if s.get("Sid") != "Cloudformation"]
    report = _access_report(governed, simulator, narrowed)
    failed = [o.line() for o in report.outcomes if not o.ok]
    assert failed
    assert all("cloudformation:SignalResource" in line for line in failed), failed
    assert all("ImplicitlyDenied" in line for line in failed), failed
