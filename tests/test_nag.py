"""cdk-nag (AwsSolutions) runs on every stack; this file is the one list of accepted findings.

Every acknowledgement in the app must appear in ACKNOWLEDGED below, so a reviewer sees them all in
one place, and a new one cannot slip in unreviewed. The reasons live next to the code that makes
the exception, and are copied by cdk-nag into each resource's template Metadata.

aws-cdk-lib also acknowledges some of its own built-in template checks
(`CloudFormation-Validate::*`, e.g. on flow logs); those are the library's, not this
project's, and are not listed here.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from tests.synthesis import Synthesized, cdk_json_context, platform_app

NAG_PACK = "AwsSolutions-"

# (stack, logical ID, finding) for each profile.
ACKNOWLEDGED: dict[str, set[tuple[str, str, str]]] = {
    "dev": set(),
    "prod": set(),
}


def acknowledgements(synthesized: Synthesized) -> dict[tuple[str, str, str], str]:
    found = {}
    for stack_id in synthesized.stack_ids:
        resources = synthesized.template_json(stack_id)["Resources"]
        for logical_id, resource in resources.items():
            rules = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
            for rule in rules:
                if not rule["id"].startswith(NAG_PACK):
                    continue
                found[(stack_id, logical_id, rule["id"])] = rule["reason"]
    return found


def test_no_unacknowledged_findings(synthesized: Synthesized) -> None:
    report = synthesized.validation_report()
    failures = [p for p in report["pluginReports"] if p["conclusion"] != "success"]
    assert failures == []


def test_every_acknowledgement_is_listed_and_explained(synthesized: Synthesized) -> None:
    found = acknowledgements(synthesized)
    assert set(found) == ACKNOWLEDGED[synthesized.profile]
    for key, reason in found.items():
        assert len(reason) >= 40, f"{key}: reason too thin to review: {reason!r}"


def test_an_unacknowledged_finding_fails_synthesis(tmp_path: object) -> None:
    app = cdk.App(context={**cdk_json_context(), "env": "dev"}, outdir=str(tmp_path))
    platform_app.build(app)
    network = app.node.find_child("NetworkStack")
    sqs.Queue(network, "QueueWithoutTlsPolicy")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
