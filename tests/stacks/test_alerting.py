"""The platform's one alarm topic: every alarm of every stack notifies it, and only it exists."""

from __future__ import annotations

import copy
from typing import Any

import aws_cdk as cdk
import pytest

from platform_config import parse_profile
from stacks.alerting import AlertingStack
from tests.synthesis import Synthesized, cdk_json_context

STACK = "AlertingStack"
EMAIL = "oncall@example.com"
WEBHOOK = "https://hooks.example.com/services/platform"


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def topic_references(synthesized: Synthesized) -> dict[str, list[object]]:
    """How each stack refers to the platform topic: a Ref in its own stack; elsewhere the
    output that carries that Ref, read with Fn::GetStackOutput (or an export's Fn::ImportValue,
    CDK's other cross-stack form)."""
    alerting = synthesized.template_json(STACK)
    (topic_id,) = of_type(alerting, "AWS::SNS::Topic")
    stack_name = synthesized.manifest()["artifacts"][STACK]["properties"]["stackName"]
    carriers = {
        name: output
        for name, output in alerting.get("Outputs", {}).items()
        if output.get("Value") == {"Ref": topic_id}
    }
    remote: list[object] = [
        {
            "Fn::GetStackOutput": {
                "StackName": stack_name,
                "Region": {"Ref": "AWS::Region"},
                "OutputName": name,
            }
        }
        for name in carriers
    ] + [{"Fn::ImportValue": o["Export"]["Name"]} for o in carriers.values() if "Export" in o]
    return {
        stack_id: [{"Ref": topic_id}] if stack_id == STACK else remote
        for stack_id in synthesized.stack_ids
    }


def test_every_alarm_of_every_stack_notifies_the_platform_topic(synthesized: Synthesized) -> None:
    references = topic_references(synthesized)
    checked, missing = 0, []
    for stack_id in synthesized.stack_ids:
        template = synthesized.template_json(stack_id)
        for logical_id, alarm in of_type(template, "AWS::CloudWatch::Alarm").items():
            checked += 1
            actions = alarm["Properties"].get("AlarmActions", [])
            if not any(action in references[stack_id] for action in actions):
                missing.append(f"{stack_id}/{logical_id}")
    assert checked, "no alarms found: the check checked nothing"
    assert not missing, f"alarms without an AlarmActions entry on the platform topic: {missing}"


def test_the_platform_has_one_alarm_topic(synthesized: Synthesized) -> None:
    topics = {
        f"{stack_id}/{logical_id}"
        for stack_id in synthesized.stack_ids
        for logical_id in of_type(synthesized.template_json(stack_id), "AWS::SNS::Topic")
    }
    assert topics == {f"{STACK}/AlarmTopicC2164170"}


def test_alerting_depends_on_no_other_stack(synthesized: Synthesized) -> None:
    artifact = synthesized.manifest()["artifacts"][STACK]
    assert not [d for d in artifact.get("dependencies", []) if not d.endswith(".assets")]


def test_topic_is_encrypted_rotating_and_tls_only(synthesized: Synthesized) -> None:
    template = synthesized.template_json(STACK)
    ((key_id, key),) = of_type(template, "AWS::KMS::Key").items()
    assert key["Properties"]["EnableKeyRotation"] is True
    (topic,) = of_type(template, "AWS::SNS::Topic").values()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert topic["Properties"]["TopicName"] == f"dataplatform-{synthesized.profile}-platform-alarms"
    (policy,) = of_type(template, "AWS::SNS::TopicPolicy").values()
    (deny,) = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"
    ]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    cloudwatch = next(
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchAlarmsOfThisAccount"
    )
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    # The shipped profiles name no subscribers.
    assert not of_type(template, "AWS::SNS::Subscription")


def test_cloudwatch_alarms_of_this_account_may_publish(synthesized: Synthesized) -> None:
    """A topic policy replaces SNS's default one, so CloudWatch needs its own allow to
    publish; without it every alarm action fails with "not authorized to perform SNS:Publish".
    It is limited to alarms of this account, as the key's statement is."""
    template = synthesized.template_json(STACK)
    (key,) = of_type(template, "AWS::KMS::Key").values()
    (policy,) = of_type(template, "AWS::SNS::TopicPolicy").values()
    cloudwatch = {"Service": "cloudwatch.amazonaws.com"}
    (publish,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == cloudwatch
    ]
    assert publish["Effect"] == "Allow"
    assert publish["Action"] == "sns:Publish"
    (use_key,) = [
        s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Principal") == cloudwatch
    ]
    assert publish["Condition"] == use_key["Condition"]
    assert set(publish["Condition"]) == {"StringEquals", "ArnLike"}
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_only_this_accounts_event_rules_may_publish_and_use_the_key(
    synthesized: Synthesized,
) -> None:
    """EventBridge (the cluster's Spot warnings) may publish to the topic and use its key only
    for a rule of this account: a bare `events.amazonaws.com` grant would let any account's
    rule that knows the topic's ARN do both."""
    template = synthesized.template_json(STACK)
    (key,) = of_type(template, "AWS::KMS::Key").values()
    (policy,) = of_type(template, "AWS::SNS::TopicPolicy").values()
    statements = [
        *key["Properties"]["KeyPolicy"]["Statement"],
        *policy["Properties"]["PolicyDocument"]["Statement"],
    ]
    events = [s for s in statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    # Both profiles run the cluster, whose Spot rule needs the grant: the check checks something.
    assert len(events) == 2
    spot_rule = f"dataplatform-{synthesized.profile}-spark-spot-interruptions"
    rule_arn = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":events:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":rule/{spot_rule}",
            ],
        ]
    }
    for statement in events:
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            "ArnEquals": {"aws:SourceArn": rule_arn},
        }


@pytest.fixture(scope="module")
def subscribed() -> dict[str, Any]:
    """AlertingStack alone, with one address and one webhook configured."""
    raw = copy.deepcopy(cdk_json_context()["profiles"]["dev"])
    raw["alerting"] = {"email_subscriptions": [EMAIL], "https_subscriptions": [WEBHOOK]}
    app = cdk.App(context={k: v for k, v in cdk_json_context().items() if k.startswith("@")})
    stack = AlertingStack(app, STACK, config=parse_profile("dev", raw))
    template: dict[str, Any] = app.synth().get_stack_by_name(stack.stack_name).template
    return template


def test_subscriptions_come_from_config(subscribed: dict[str, Any]) -> None:
    subscriptions = {
        (s["Properties"]["Protocol"], s["Properties"]["Endpoint"])
        for s in of_type(subscribed, "AWS::SNS::Subscription").values()
    }
    assert subscriptions == {("email", EMAIL), ("https", WEBHOOK)}
