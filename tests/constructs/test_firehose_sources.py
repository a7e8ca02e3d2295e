"""constructs/streaming/firehose_to_lake: the sources grant and bind themselves."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis

from constructs.streaming.firehose_to_lake import KafkaSource, KinesisSource
from tests.constructs.bare import bare_stack

CLUSTER_ARN = (
    "arn:aws:kafka:us-east-1:123456789012:cluster/events/0123abcd-4567-89ef-0123-456789abcdef-1"
)


def firehose_role() -> tuple[cdk.Stack, iam.Role, kinesis.Stream]:
    _, stack = bare_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
    return stack, role, kinesis.Stream(stack, "Stream")


def test_kinesis_source_reads_its_stream_and_needs_no_policy_of_its_own() -> None:
    stack, role, stream = firehose_role()
    source = KinesisSource(stream)
    assert source.grant_read(stack, role) == []
    configuration = source.bind(role)
    assert configuration.stream_type == "KinesisStreamAsSource"
    assert configuration.kinesis is not None
    assert configuration.msk is None
    statements = role.node.find_child("DefaultPolicy").document.to_json()["Statement"]
    assert any("kinesis:GetRecords" in s["Action"] for s in statements)


def test_kafka_source_reads_one_topic_and_describes_only_its_clusters_groups() -> None:
    stack, role, _ = firehose_role()
    source = KafkaSource(cluster_arn=CLUSTER_ARN, topic="events")
    policies = source.grant_read(stack, role)
    assert [policy.node.id for policy in policies] == ["KafkaConsumerGroup"]
    configuration = source.bind(role)
    assert configuration.stream_type == "MSKAsSource"
    assert configuration.kinesis is None
    assert configuration.msk is not None
    assert configuration.msk.topic_name == "events"
    sids = [s["Sid"] for s in role.node.find_child("DefaultPolicy").document.to_json()["Statement"]]
    assert sids == ["ConnectToTheCluster", "ReadTheTopic"]
