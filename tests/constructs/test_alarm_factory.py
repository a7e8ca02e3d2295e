"""constructs/core/alarm_factory.py: an alarm made through the monitoring library's factory
deploys as the plain `cloudwatch.Alarm` it replaced: same logical ID, same name (or none),
same metric and condition, and the topic on ALARM and OK."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs import Construct
from constructs.core.alarm_factory import PlatformAlarms
from constructs.core.alarm_topic import AlarmTopic
from tests.constructs.bare import bare_stack

_METRIC = cloudwatch.Metric(
    namespace="AWS/SageMaker",
    metric_name="Invocation5XXErrors",
    dimensions_map={"EndpointName": "ep", "VariantName": "AllTraffic"},
    statistic="Sum",
    period=cdk.Duration.minutes(1),
)
_BELOW = cloudwatch.MathExpression(
    expression="a - b",
    using_metrics={
        "a": _METRIC.with_(period=cdk.Duration.minutes(5)),
        "b": _METRIC.with_(statistic="Maximum", period=cdk.Duration.minutes(5)),
    },
    label="a above b",
    period=cdk.Duration.minutes(5),
)


def alarms_of(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    template: dict[str, Any] = cdk.assertions.Template.from_stack(stack).to_json()
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def build(
    alarm_name: str | None, metric: cloudwatch.Metric | cloudwatch.MathExpression
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], object]:
    """The same alarm twice, in two stacks: by hand (with the two fields the factory always
    writes, ActionsEnabled and DatapointsToAlarm, set to what CloudWatch assumes when they are
    missing) and through PlatformAlarms."""
    _, by_hand = bare_stack("ByHand")
    _, factory_stack = bare_stack("Factory")
    for stack in (by_hand, factory_stack):
        AlarmTopic(stack, "Topic", topic_name="alarms")
    topic_by_hand = by_hand.node.find_child("Topic")
    assert isinstance(topic_by_hand, AlarmTopic)
    holder = Construct(by_hand, "Alarms")
    plain = metric.create_alarm(
        holder,
        "Errors",
        alarm_name=alarm_name,
        alarm_description="5xx",
        threshold=2,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        actions_enabled=True,
    )
    plain.add_alarm_action(topic_by_hand.action)
    plain.add_ok_action(topic_by_hand.action)
    topic = factory_stack.node.find_child("Topic")
    assert isinstance(topic, AlarmTopic)
    alarms = PlatformAlarms(factory_stack, "Alarms", topic=topic)
    made = alarms.add_alarm(
        "Errors",
        metric,
        alarm_name=alarm_name,
        description="5xx",
        threshold=2,
        comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods=3,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    assert alarms.alarms == [made]
    return (
        alarms_of(by_hand),
        alarms_of(factory_stack),
        factory_stack.resolve(topic.topic.topic_arn),
    )


def test_a_named_alarm_keeps_its_logical_id_name_and_everything_else() -> None:
    by_hand, through_factory, topic_arn = build("ep-invocation-5xx", _METRIC)
    assert through_factory == by_hand
    ((_, alarm),) = through_factory.items()
    assert alarm["AlarmName"] == "ep-invocation-5xx"
    assert alarm["AlarmActions"] == alarm["OKActions"] == [topic_arn]


def test_an_unnamed_alarm_stays_unnamed() -> None:
    """The factory names every alarm; naming one that had no name would replace it."""
    by_hand, through_factory, _ = build(None, _METRIC)
    assert through_factory == by_hand
    ((_, alarm),) = through_factory.items()
    assert "AlarmName" not in alarm


def test_a_math_expression_alarm_is_made_as_it_was() -> None:
    by_hand, through_factory, _ = build("workers-below-min", _BELOW)
    assert through_factory == by_hand


def test_no_module_makes_an_alarm_by_hand() -> None:
    """One way to make an alarm: PlatformAlarms (or the dashboard's facade, on the same
    defaults). A `cloudwatch.Alarm(...)` or `metric.create_alarm(...)` elsewhere would skip the
    platform's action strategy."""
    repo = Path(__file__).resolve().parents[2]
    by_hand = re.compile(r"\b(cloudwatch\.Alarm|CfnAlarm|create_alarm)\(")
    offenders = [
        f"{path.relative_to(repo)}:{number}"
        for folder in ("constructs", "stacks")
        for path in sorted((repo / folder).rglob("*.py"))
        if path.name != "alarm_factory.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if by_hand.search(line)
    ]
    assert not offenders, f"alarms made by hand, not through PlatformAlarms: {offenders}"
