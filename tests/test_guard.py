"""AWS Control Tower's proactive controls run at every synth (stacks/governance.py), and the only
failures are the ones platform_config/guard_controls.py lists, on the resources it lists.

The real app is synthesized for each profile (as `cdk synth` and `make lint` do): a failure of a
control not on the list would have stopped it. The validation report then shows every listed
resource acknowledged for its control and nothing else, so the list cannot go stale; and a
construct that regresses on a passing control fails the synth.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from platform_config.guard_controls import DISABLED_CONTROLS, DisabledControl, disabled_for
from stacks.governance import (
    PLUGIN_NAME,
    ListedControls,
    bundled_rules,
    rule_file,
    rules_that_read,
)
from tests.synthesis import CLI_CONTEXT, Synthesized, cdk_json_context, platform_app

STAGES = {"dev": "development", "prod": "production"}


def guard_reports(synthesized: Synthesized) -> list[dict[str, Any]]:
    """The cfn-guard reports: every other control's and the listed controls' (stacks/governance);
    CDK leaves out a report with nothing to say (success, no findings, none acknowledged)."""
    reports = synthesized.validation_report()["pluginReports"]
    found = [r for r in reports if r["pluginName"] == PLUGIN_NAME]
    assert found  # the listed controls' report, with its acknowledged findings
    return found


def acknowledged(reports: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(control, rule, construct path) of every acknowledged failure in the reports."""
    found = set()
    for report in reports:
        for violation in report.get("suppressedViolations", []):
            control = violation["description"].split("]")[0].lstrip("[")
            for construct in violation["violatingConstructs"]:
                found.add((control, violation["ruleName"], construct["constructPath"]))
    return found


def listed(profile: str) -> set[tuple[str, str, str]]:
    return {
        (c.control, c.rule, path)
        for c in disabled_for(STAGES[profile])  # type: ignore[arg-type]
        for path in c.resources
    }


def test_every_control_passes_but_the_listed_ones(synthesized: Synthesized) -> None:
    for report in guard_reports(synthesized):
        assert report["conclusion"] == "success"
        assert report["violations"] == []


def test_the_list_is_exact(synthesized: Synthesized) -> None:
    """Each listed resource fails its control (else the entry is stale), and is acknowledged
    with the list's reason; nothing else is acknowledged."""
    reports = guard_reports(synthesized)
    assert acknowledged(reports) == listed(synthesized.profile)
    reasons = {
        (v["ruleName"], v["reason"])
        for report in reports
        for v in report.get("suppressedViolations", [])
    }
    for control in disabled_for(STAGES[synthesized.profile]):  # type: ignore[arg-type]
        assert any(rule == control.rule and control.reason in r for rule, r in reasons)


def test_prod_disables_fewer_controls_than_dev() -> None:
    dev = {c.control for c in disabled_for("development")}
    prod = {c.control for c in disabled_for("production")}
    assert prod < dev
    # dev: short log retention, no detailed monitoring, and its NAT instance.
    assert dev - prod == {
        "CT.CLOUDWATCH.PR.2",
        "CT.EC2.PR.10",
        "CT.EC2.PR.8",
        "CT.EC2.PR.13",
        "CT.EC2.PR.19",
    }


def test_each_control_is_listed_once_with_a_reason() -> None:
    ids = [c.control for c in DISABLED_CONTROLS]
    assert len(ids) == len(set(ids))
    for control in DISABLED_CONTROLS:
        assert control.resources
        assert len(control.reason) >= 80, control.control


def test_each_listed_control_is_a_bundled_rule_file() -> None:
    bundled = bundled_rules()
    assert len(bundled) == 237  # cdklabs-cdk-validator-cfnguard 0.0.62
    for control in DISABLED_CONTROLS:
        assert rule_file(control.control) in bundled, control.control
    assert bundled["ct-s3-pr-9"] == {"AWS::S3::Bucket"}


def test_only_rules_with_nothing_to_check_are_left_out(synthesized: Synthesized) -> None:
    """The app runs the rules that read a resource type it has (found in the construct tree
    before synth); every rule left out reads only types that no template holds."""
    types = {
        resource["Type"]
        for stack_id in synthesized.stack_ids
        for resource in synthesized.template_json(stack_id)["Resources"].values()
    }
    run = rules_that_read(types)
    assert {"ct-s3-pr-9", "ct-kms-pr-3", "ct-lambda-pr-3", "ct-sqs-pr-1"} <= run
    for name, reads in bundled_rules().items():
        if name not in run:
            assert reads, name
            assert not reads & types, name


@jsii.implements(cdk.IPolicyValidationContext)
class _Templates:
    def __init__(self, *paths: Path) -> None:
        self.template_paths = [str(p) for p in paths]
        self.stack_templates: list[Any] = []
        self.app_construct = None
        self.account_id = None
        self.region = None


def test_a_listed_control_failing_where_cfn_guard_names_no_resource_still_fails(
    dev: Synthesized, tmp_path: Path
) -> None:
    """Some cfn-guard findings name no resource, and jsii cannot hand them to Python: the
    listed controls' plugin then fails with what it knows, rather than not at all."""
    template = dev.template_json("MlStack")
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::KMS::Key":
            policy = resource["Properties"]["KeyPolicy"]
            policy["Statement"] = [s for s in policy["Statement"] if "Deny" not in s["Effect"]]
    path = tmp_path / "MlStack.template.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    kms_pr_3 = DisabledControl("CT.KMS.PR.3", "kms_create_grant_aws_service_check", (), "x")
    report = ListedControls([kms_pr_3], frozenset({"ct-kms-pr-3"})).validate(_Templates(path))
    assert not report.success
    (violation,) = report.violations
    assert violation.severity == "error"
    assert "(CT.KMS.PR.3) fails on a resource it does not list" in violation.description


def _app(tmp_path: Path, change: Any = None) -> cdk.App:
    context = copy.deepcopy(cdk_json_context())
    if change:
        change(context["profiles"]["dev"])
    return platform_app.build(
        platform_app.create_app(
            context={**context, **CLI_CONTEXT, "env": "dev"}, outdir=str(tmp_path)
        )
    )


def test_a_construct_regressing_on_a_passing_control_fails_synth(tmp_path: Path) -> None:
    """A plain kms.Key (rotating, so cdk-nag is content) lacks RotatingKey's CreateGrant deny;
    and a control disabled for the listed buckets still fails on a bucket not on the list."""
    app = _app(tmp_path)
    ml = app.node.find_child("MlStack")
    kms.Key(ml, "KeyWithoutGrantLimit", enable_key_rotation=True)
    s3.Bucket(ml, "BucketNotOnTheList")
    with pytest.raises(RuntimeError, match="ValidationFailed") as failed:
        app.synth()
    message = str(failed.value)
    assert "[CT.KMS.PR.3]" in message
    assert "MlStack/KeyWithoutGrantLimit/Resource" in message
    # CT.S3.PR.9 is listed for the platform's buckets; only the new one is reported.
    assert "[CT.S3.PR.9]" in message
    assert "MlStack/BucketNotOnTheList/Resource" in message
    assert "MlStack/Artifacts/Bucket/Resource" not in message


ORG_RULE = """
let streams = Resources.*[ Type == "AWS::Kinesis::Stream" ]
rule org_streams_are_never_created when %streams not empty {
    %streams empty
    <<
        [ORG.KINESIS.1]: this organization creates no Kinesis streams
    >>
}
"""


def test_optional_parts_pass_too(tmp_path: Path) -> None:
    """MSK (off as shipped) adds log groups that dev keeps 30 days: listed as optional."""

    def msk_on(profile: dict[str, Any]) -> None:
        msk = profile["streaming"]["msk"]
        msk.update(mode="provisioned", deliver_to_lake=True)
        msk["client_security_group_ids"] = ["sg-0123456789abcdef0"]

    _app(tmp_path, msk_on).synth()
    report = Synthesized("dev", tmp_path, ()).validation_report()
    found = acknowledged([r for r in report["pluginReports"] if r["pluginName"] == PLUGIN_NAME])
    for group in ("KafkaToLake/Logs", "Kafka/BrokerLogs"):
        path = f"StreamingStack/{group}/LogGroup/Resource"
        assert ("CT.CLOUDWATCH.PR.2", "cloudwatch_log_group_retention_period_check", path) in found


def test_the_profile_adds_rule_files_and_turns_controls_back_on(tmp_path: Path) -> None:
    rules = tmp_path / "org-rules"
    rules.mkdir()
    (rules / "org-kinesis.guard").write_text(ORG_RULE, encoding="utf-8")

    def change(profile: dict[str, Any]) -> None:
        profile["governance"] = {
            "guard": {"rule_files": [str(rules)], "enabled_controls": ["CT.EC2.PR.10"]}
        }

    app = _app(tmp_path / "out", change)
    with pytest.raises(RuntimeError, match="ValidationFailed") as failed:
        app.synth()
    message = str(failed.value)
    assert "[ORG.KINESIS.1]" in message
    assert "StreamingStack/Events/Stream" in message
    assert "[CT.EC2.PR.10]" in message
    assert "ClusterStack/Workers/LaunchTemplate/Resource" in message
    # Controls still disabled stay acknowledged.
    assert "[CT.S3.PR.9]" not in message
