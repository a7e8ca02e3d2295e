"""constructs/streaming/event_stream.py: EncryptedEventStream, built in a bare stack from props."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk.assertions import Match

from constructs.core.cfn import default_resource
from constructs.streaming.event_stream import EncryptedEventStream
from tests.constructs.bare import bare_stack, synthesized


def test_on_demand_stream_under_its_own_rotating_key_retained_by_default() -> None:
    app, stack = bare_stack()
    events = EncryptedEventStream(stack, "Events", stream_name="events")
    template = synthesized(app, stack)  # cdk-nag clean (warnings included), or synth fails
    key_id = stack.get_logical_id(default_resource(events.key))
    template.has_resource(
        "AWS::Kinesis::Stream",
        {
            "Properties": Match.object_like(
                {
                    "Name": "events",
                    "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
                    "RetentionPeriodHours": 24,
                    "StreamEncryption": {
                        "EncryptionType": "KMS",
                        "KeyId": {"Fn::GetAtt": [key_id, "Arn"]},
                    },
                    "ShardCount": Match.absent(),
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )
    template.has_resource(
        "AWS::KMS::Key",
        {"Properties": Match.object_like({"EnableKeyRotation": True}), "DeletionPolicy": "Retain"},
    )


def test_provisioned_stream_takes_shards_retention_and_removal_policy() -> None:
    app, stack = bare_stack()
    EncryptedEventStream(
        stack,
        "Events",
        stream_name="events",
        shard_count=2,
        retention=cdk.Duration.days(7),
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    template = synthesized(app, stack)  # cdk-nag clean (warnings included), or synth fails
    template.has_resource(
        "AWS::Kinesis::Stream",
        {
            "Properties": Match.object_like(
                {
                    "StreamModeDetails": {"StreamMode": "PROVISIONED"},
                    "ShardCount": 2,
                    "RetentionPeriodHours": 168,
                }
            ),
            "DeletionPolicy": "Delete",
        },
    )
    template.has_resource("AWS::KMS::Key", {"DeletionPolicy": "Delete"})
