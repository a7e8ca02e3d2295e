"""The access table against both profiles, and proof that it bites: each defect it exists to catch,
put back into the resolved policies, fails the row that guards it with the deciding statement."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ops.access.__main__ import main
from ops.access.calls import allow
from ops.access.check import ProfileReport, evaluate, load_policies
from ops.access.policies import AssemblyPolicies, Role
from ops.access.resolve import AssemblyValues, ResolveError
from ops.access.simulator import Request, Simulator
from ops.assembly import StackTemplate
from tests.synthesis import Synthesized


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


def _failures(report: ProfileReport) -> str:
    return "\n".join(report.lines())


def _check(synthesized: Synthesized, simulator: Simulator, edit: Any = None) -> ProfileReport:
    policies, exec_role = load_policies(synthesized.outdir)
    if edit is not None:
        edit(policies)
    return evaluate(policies, exec_role, synthesized.profile, simulator)


def _row(report: ProfileReport, why: str) -> str:
    (outcome,) = [o for o in report.outcomes if o.expanded.call.why == why]
    return outcome.line()


def test_every_call_is_decided_as_aws_must(synthesized: Synthesized, simulator: Simulator) -> None:
    report = _check(synthesized, simulator)
    assert report.ok, _failures(report)


def test_every_role_and_resource_policy_is_reached_by_a_row(
    synthesized: Synthesized, simulator: Simulator
) -> None:
    report = _check(synthesized, simulator)
    assert report.outcomes, "the table evaluated nothing"
    assert (report.uncovered_roles, report.uncovered_policies) == ([], [])


def _statements(policies: AssemblyPolicies, path: str) -> list[dict[str, Any]]:
    (policy,) = [p for p in policies.resource_policies if p.path == path]
    statements: list[dict[str, Any]] = policy.document["Statement"]
    return statements


def test_a_topic_policy_without_cloudwatch_silences_every_alarm(
    dev: Synthesized, simulator: Simulator
) -> None:
    """Defect 2: a topic policy replaces SNS's default one; without its CloudWatch statement no
    alarm can publish."""

    def drop_cloudwatch(policies: AssemblyPolicies) -> None:
        statements = _statements(policies, "AlertingStack/AlarmTopic/Topic/Policy")
        statements[:] = [
            s for s in statements if s.get("Sid") != "AllowCloudWatchAlarmsOfThisAccount"
        ]

    report = _check(dev, simulator, drop_cloudwatch)
    assert not report.ok
    line = _row(report, "every alarm notifies the topic")
    assert line.startswith("FAIL")
    assert "ImplicitlyDenied, no statement allows it" in line


def test_training_without_listing_the_code_prefix_is_denied(
    dev: Synthesized, simulator: Simulator
) -> None:
    """Defect 3: an S3Prefix input is listed before it is read."""

    def drop_code_listing(policies: AssemblyPolicies) -> None:
        role = policies.role("MlStack/Training/ExecutionRole")
        for policy in role.identity_policies:
            policy.document["Statement"][:] = [
                s
                for s in policy.document["Statement"]
                if not (s["Action"] == "s3:ListBucket" and "-assets-" in str(s["Resource"]))
            ]

    report = _check(dev, simulator, drop_code_listing)
    line = _row(report, "SageMaker lists an S3Prefix code input before it reads it")
    assert line.startswith("FAIL must allow role:MlStack/Training/ExecutionRole s3:ListBucket")
    assert "no statement allows it" in line


def test_a_key_policy_that_denies_decrypt_rolls_the_cluster_back(
    dev: Synthesized, simulator: Simulator
) -> None:
    """Defect 1: the Spark secret's key once denied kms:Decrypt to all but the node roles, which
    denies CloudFormation's execution role the secret it creates."""
    nodes = [
        dev_role.arn
        for dev_role in load_policies(dev.outdir)[0].roles.values()
        if dev_role.path.startswith("ClusterStack/")
    ]

    def deny_decrypt_but_to_nodes(policies: AssemblyPolicies) -> None:
        _statements(policies, "ClusterStack/Secret/Key").append(
            {
                "Sid": "OnlyTheNodesDecrypt",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalArn": nodes}},
            }
        )

    report = _check(dev, simulator, deny_decrypt_but_to_nodes)
    line = _row(report, "CloudFormation reads back the generated secret")
    assert line.startswith("FAIL must allow cloudformation kms:Decrypt")
    assert "ExplicitlyDenied, denied by resource#OnlyTheNodesDecrypt" in line


def test_the_secret_without_its_resource_policy_breaks_a_promise(
    dev: Synthesized, simulator: Simulator
) -> None:
    def drop_secret_policy(policies: AssemblyPolicies) -> None:
        _statements(policies, "ClusterStack/Secret/Secret/Policy").clear()

    report = _check(dev, simulator, drop_secret_policy)
    failed = [o.line() for o in report.outcomes if not o.ok]
    assert [line.split(" on ")[0] for line in failed] == [
        "FAIL must deny  administrator secretsmanager:GetSecretValue",
        "FAIL must deny  cloudformation secretsmanager:GetSecretValue",
    ]


def test_a_role_no_row_calls_as_is_reported(dev: Synthesized, simulator: Simulator) -> None:
    def add_role(policies: AssemblyPolicies) -> None:
        arn = "arn:aws:iam::123456789012:role/unlisted"
        policies.roles[arn] = Role("MlStack/Unlisted/Role", "MlStack", "Unlisted", arn, trust={})

    report = _check(dev, simulator, add_role)
    assert report.uncovered_roles == ["MlStack/Unlisted/Role"]
    assert "FAIL no row calls as the role MlStack/Unlisted/Role" in report.lines()


def test_a_row_naming_a_missing_resource_fails_in_one_line(
    dev: Synthesized, simulator: Simulator
) -> None:
    policies, exec_role = load_policies(dev.outdir)
    row = allow(
        "role:MlStack/Serving/Role", "s3:GetObject", "{arn:MlStack/NoSuchBucket}/x", why="probe"
    )
    report = evaluate(policies, exec_role, "dev", simulator, [row])
    assert report.unresolved == [
        "role:MlStack/Serving/Role s3:GetObject {arn:MlStack/NoSuchBucket}/x: "
        "MlStack/NoSuchBucket: no resource has this construct path"
    ]


def _kms_request(condition_value: str) -> Request:
    account = "123456789012"
    return Request(
        principal=f"arn:aws:iam::{account}:role/reader",
        action="kms:Decrypt",
        resource=f"arn:aws:kms:us-east-1:{account}:key/k",
        resource_account=account,
        context={"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::lake/events/x"},
        identity_policies=(),
        resource_policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:role/reader"},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {
                        "StringLike": {"kms:EncryptionContext:aws:s3:arn": condition_value}
                    },
                }
            ],
        },
    )


def test_encryption_context_keys_are_evaluated_not_dropped(simulator: Simulator) -> None:
    """iam-simulate's validated entry point drops `kms:EncryptionContext:<key>`; simulate.mjs has
    its core engine evaluate them, so the condition decides both ways."""
    matching, other = simulator.evaluate(
        [_kms_request("arn:aws:s3:::lake/*"), _kms_request("arn:aws:s3:::else/*")]
    )
    assert (matching.decision, other.decision) == ("Allowed", "ImplicitlyDenied")


def test_an_invalid_action_is_an_error_not_a_denial(simulator: Simulator) -> None:
    (verdict,) = simulator.evaluate([replace(_kms_request("*"), action="kms:NoSuchAction")])
    assert verdict.decision == "Error"
    assert verdict.deciding().startswith("the engine refused the request: ")


def _values(template: dict[str, Any]) -> AssemblyValues:
    return AssemblyValues([StackTemplate("One", "one", template)])


def test_resolver_follows_sub_join_and_stack_outputs() -> None:
    exporter = StackTemplate(
        "Lake",
        "lake",
        {
            "Resources": {
                "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "zone"}}
            },
            "Outputs": {"BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}}},
        },
    )
    reader = StackTemplate("Reader", "reader", {"Resources": {}})
    values = AssemblyValues([exporter, reader])
    node = {
        "Fn::Join": [
            "",
            [
                {"Fn::GetStackOutput": {"StackName": "lake", "OutputName": "BucketArn"}},
                {"Fn::Sub": "/${AWS::AccountId}/*"},
            ],
        ]
    }
    assert values.value("Reader", node) == "arn:aws:s3:::zone/123456789012/*"


def test_resolver_names_what_it_cannot_resolve() -> None:
    with pytest.raises(
        ResolveError, match=r"^One: Ref to Missing, which is no resource or parameter$"
    ):
        _values({"Resources": {}}).value("One", {"Ref": "Missing"})


def test_cli_reports_both_profiles(
    dev: Synthesized, prod: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([f"dev={dev.outdir}", f"prod={prod.outdir}"]) == 0
    summary = [line for line in capsys.readouterr().out.splitlines() if "calls decided" in line]
    assert [line.split(":")[0] for line in summary] == ["dev", "prod"]


def test_cli_refuses_a_bad_argument_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["cdk.dev.out"])
    assert exit_info.value.code == 2
    assert "expected PROFILE=ASSEMBLY" in capsys.readouterr().err
    assert main([f"dev={tmp_path / 'absent'}"]) == 2
    assert "no such folder" in capsys.readouterr().err
