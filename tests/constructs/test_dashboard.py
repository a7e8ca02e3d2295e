"""constructs/operations/dashboard.py: PlatformDashboard, built in a bare stack from props.

What it watches is imported by name or ARN: the dashboard only reads metrics, so the sections
need no resource of their own, and cdk-nag sees only what the dashboard creates."""

from __future__ import annotations

import json

import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from constructs.cluster.metrics import ClusterMetrics
from constructs.core.alarm_topic import AlarmTopic
from constructs.operations.dashboard import EndpointToWatch, KafkaToWatch, PlatformDashboard
from tests.constructs.bare import bare_stack, synthesized

STREAM_ARN = "arn:aws:kinesis:us-east-1:111111111111:stream/events"

# A section title of each kind of prop, in the order the dashboard shows them.
SECTIONS = [
    "Events stream (Kinesis)",
    "delivery-raw",
    "Transform (Lambda)",
    "curate-events",
    "Spark cluster spark (Platform/Spark)",
    "MSK kafka",
    "SageMaker endpoint scoring",
]


def _dashboard(*, serverless_kafka: bool) -> tuple[Template, str]:
    """Every kind of section; returns the template and the dashboard body as one string
    (its tokens left as JSON, which is enough to find the titles in)."""
    app, stack = bare_stack()
    PlatformDashboard(
        stack,
        "Dashboard",
        dashboard_name="platform-test",
        alarm_topic=AlarmTopic(stack, "Alarms", topic_name="alarms"),
        stream=kinesis.Stream.from_stream_arn(stack, "Stream", STREAM_ARN),
        delivery_stream_names=["delivery-raw"],
        functions={
            "Transform": lambda_.Function.from_function_name(stack, "Function", "transform")
        },
        glue_job_names=["curate-events"],
        spark_metrics=ClusterMetrics(namespace="Platform/Spark", cluster_name="spark"),
        kafka=KafkaToWatch(cluster_name="kafka", topic="events", serverless=serverless_kafka),
        endpoint=EndpointToWatch(endpoint_name="scoring", variant_name="AllTraffic"),
    )
    template = synthesized(app, stack)  # cdk-nag clean (warnings included), or synth fails
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "platform-test"
    return template, json.dumps(dashboard["Properties"]["DashboardBody"])


@pytest.fixture(scope="module")
def provisioned() -> tuple[Template, str]:
    return _dashboard(serverless_kafka=False)


def test_one_dashboard_with_a_section_per_prop_in_order(provisioned: tuple[Template, str]) -> None:
    _, body = provisioned
    positions = [body.find(title) for title in SECTIONS]
    assert -1 not in positions, dict(zip(SECTIONS, positions, strict=True))
    assert positions == sorted(positions)


def test_creates_no_alarm_of_its_own(provisioned: tuple[Template, str]) -> None:
    template, _ = provisioned
    template.resource_count_is("AWS::CloudWatch::Alarm", 0)


def test_kafka_section_fits_the_cluster_kind(provisioned: tuple[Template, str]) -> None:
    _, body = provisioned
    assert "ActiveControllerCount" in body
    assert "Topic events" not in body
    _, serverless_body = _dashboard(serverless_kafka=True)
    assert "Topic events: bytes per second" in serverless_body
    assert "ActiveControllerCount" not in serverless_body
