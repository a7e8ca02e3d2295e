"""EncryptedEventStream: a Kinesis data stream encrypted with its own customer-managed key."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kinesis as kinesis

from constructs import Construct
from constructs.core.cfn import default_resource
from constructs.core.key import RotatingKey
from constructs.core.removal import removal_policy
from platform_config.storage import StorageConfig
from platform_config.streaming import KinesisConfig


class EncryptedEventStream(Construct):
    """A Kinesis data stream, on-demand or provisioned as configured, with KMS encryption under
    a key of its own (rotation on), so that reading the stream is a grant on this key and not
    on a key shared with other data."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        kinesis_config: KinesisConfig,
        storage: StorageConfig,
        stream_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = RotatingKey(
            self,
            "Key",
            description=f"Encrypts the {stream_name} Kinesis data stream",
            removal_policy=removal_policy(storage),
        )
        on_demand = kinesis_config.capacity_mode == "on_demand"
        self.stream = kinesis.Stream(
            self,
            "Stream",
            stream_name=stream_name,
            stream_mode=kinesis.StreamMode.ON_DEMAND
            if on_demand
            else kinesis.StreamMode.PROVISIONED,
            shard_count=None if on_demand else kinesis_config.shard_count,
            retention_period=cdk.Duration.hours(kinesis_config.retention_hours),
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=self.key,
            removal_policy=removal_policy(storage),
        )
        cdk.Validations.of(default_resource(self.stream)).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-KDS3",
                reason="The stream is encrypted with a customer-managed key with rotation, by "
                "platform rule, rather than the aws/kinesis key: its key policy is ours to "
                "scope, and reading the stream needs an explicit grant on this key.",
            )
        )
