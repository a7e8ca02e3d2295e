"""constructs/streaming: FirehoseToLake (firehose_to_lake.py), built in a bare stack from props
alone (no profile is parsed). The source stream, raw bucket, lake key and transform are imported
references, so a finding here is the delivery stream's."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs.core.cfn import default_policy
from constructs.streaming.firehose_to_lake import FirehoseToLake, KinesisSource, LakeDestination
from tests.constructs.bare import bare_stack, synthesized

KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
STREAM_ARN = "arn:aws:kinesis:us-east-1:111111111111:stream/events"
STREAM_KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/66666666-7777-8888-9999-000000000000"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:111111111111:function:transform"


@pytest.fixture(scope="module")
def delivery() -> tuple[Template, str, list[str]]:
    """Returns the template, the delivery stream's logical ID and its role policies' IDs."""
    app, stack = bare_stack()
    key = kms.Key.from_key_arn(stack, "LakeKey", KEY_ARN)
    construct = FirehoseToLake(
        stack,
        "Delivery",
        delivery_stream_name="lake-events",
        source=KinesisSource(
            kinesis.Stream.from_stream_attributes(
                stack,
                "Stream",
                stream_arn=STREAM_ARN,
                encryption_key=kms.Key.from_key_arn(stack, "StreamKey", STREAM_KEY_ARN),
            )
        ),
        destination=LakeDestination(
            bucket=s3.Bucket.from_bucket_attributes(
                stack, "Raw", bucket_name="lake-raw", encryption_key=key
            ),
            key=key,
            database_name="lake_test_raw",
            table_name="events",
            events_prefix="events/",
            errors_prefix="errors/",
        ),
        transform=lambda_.Function.from_function_arn(stack, "Transform", FUNCTION_ARN),
    )
    template = synthesized(app, stack)  # cdk-nag clean, or synth fails
    policies = [
        stack.get_logical_id(default_policy(construct.role).node.default_child),  # type: ignore[arg-type]
        stack.get_logical_id(construct.node.find_child("LakePrefixWrite").node.default_child),  # type: ignore[arg-type]
    ]
    return template, stack.get_logical_id(construct.delivery_stream), policies


def _statements(template: Template) -> dict[str, dict[str, Any]]:
    return {
        s["Sid"]: s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "Sid" in s
    }


def test_stream_reads_kinesis_and_writes_kms_encrypted_objects(
    delivery: tuple[Template, str, list[str]],
) -> None:
    template, stream_id, policies = delivery
    streams = template.find_resources("AWS::KinesisFirehose::DeliveryStream")
    assert list(streams) == [stream_id]
    resource = streams[stream_id]
    props = resource["Properties"]
    assert props["DeliveryStreamName"] == "lake-events"
    assert props["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert props["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] == STREAM_ARN
    s3_dest = props["ExtendedS3DestinationConfiguration"]
    assert s3_dest["EncryptionConfiguration"] == {"KMSEncryptionConfig": {"AWSKMSKeyARN": KEY_ARN}}
    assert "events/" in str(s3_dest["Prefix"])
    assert "errors/" in str(s3_dest["ErrorOutputPrefix"])
    # Firehose checks its role's permissions at creation: both policies come first.
    for policy_id in policies:
        assert policy_id in resource["DependsOn"]


def _all_statements(template: Template) -> list[dict[str, Any]]:
    return [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_role_reads_the_stream_with_exactly_what_firehose_calls(
    delivery: tuple[Template, str, list[str]],
) -> None:
    """The Firehose guide's role policy for a Kinesis source: these four actions on the stream,
    and kms:Decrypt on the stream's key; not the L2 grant_read's ListStreams, SubscribeToShard
    and DescribeStreamConsumer (which match nothing on a stream's ARN) nor DescribeStreamSummary."""
    template, _, _ = delivery
    kinesis_statements = [
        s for s in _all_statements(template) if any(a.startswith("kinesis:") for a in _actions(s))
    ]
    assert len(kinesis_statements) == 1
    (read,) = kinesis_statements
    assert sorted(_actions(read)) == [
        "kinesis:DescribeStream",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    ]
    assert read["Resource"] == STREAM_ARN
    stream_key = [s for s in _all_statements(template) if s["Resource"] == STREAM_KEY_ARN]
    assert [_actions(s) for s in stream_key] == [["kms:Decrypt"]]


def test_role_trusts_firehose_for_this_account_only(
    delivery: tuple[Template, str, list[str]],
) -> None:
    template, _, _ = delivery
    roles = template.find_resources("AWS::IAM::Role")
    assert len(roles) == 1
    (role,) = roles.values()
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}}


def test_role_writes_only_its_prefixes_and_uses_the_key_only_via_s3(
    delivery: tuple[Template, str, list[str]],
) -> None:
    template, _, _ = delivery
    statements = _statements(template)
    write = statements["WriteEventsAndErrorsPrefixesOnly"]
    assert sorted(write["Action"]) == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    resources = str(write["Resource"])
    assert "lake-raw/events/*" in resources
    assert "lake-raw/errors/*" in resources
    assert len(write["Resource"]) == 2
    assert statements["InvokeTheTransform"]["Resource"] == FUNCTION_ARN
    assert len(statements["ReadTheTableSchemaForConversion"]["Resource"]) == 3
    key_statements = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "kms:GenerateDataKey" in s["Action"]
    ]
    assert len(key_statements) == 1
    assert key_statements[0]["Resource"] == KEY_ARN
    assert "kms:ViaService" in str(key_statements[0]["Condition"])


def test_delivery_log_group_is_retained_and_encrypted(
    delivery: tuple[Template, str, list[str]],
) -> None:
    template, _, _ = delivery
    (group,) = template.find_resources("AWS::Logs::LogGroup").values()
    assert group["DeletionPolicy"] == "Retain"
    assert "KmsKeyId" in group["Properties"]
    assert group["Properties"]["RetentionInDays"] == 731
