"""StreamingStack: events from Kinesis (and optionally Amazon MSK) into the lake's raw zone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

import lake_schema
from constructs import Construct
from constructs.core.alarm_topic import AlarmTopic
from constructs.core.python_function import PythonFunction
from constructs.streaming.alarms import StreamingAlarms, StreamingThresholds
from constructs.streaming.event_stream import EncryptedEventStream
from constructs.streaming.firehose_to_lake import (
    DeliveryTuning,
    FirehoseSource,
    FirehoseToLake,
    KafkaSource,
    KinesisSource,
    LakeDestination,
)
from constructs.streaming.kafka_access import FirehoseClusterPolicy, KafkaClientSecurityGroup
from constructs.streaming.kafka_provisioned import KafkaBrokers, ProvisionedKafkaCluster
from constructs.streaming.kafka_serverless import ServerlessKafkaCluster
from lake_schema.layout import LAKE_LAYOUT
from platform_config import PlatformConfig
from stacks.platform_stack import PlatformStack
from stacks.props import log_props, removal_policy


class VpcProvider(Protocol):
    """What the MSK cluster needs from the network (NetworkStack provides it)."""

    vpc: ec2.IVpc


class RawZone(Protocol):
    """What Firehose needs from the lake (DataLakeStack provides it)."""

    lake_key: kms.IKey
    raw_bucket: s3.IBucket
    raw_database_name: str
    events_table_name: str

    def grant_lake_formation_table(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role: iam.IRole,
        database_name: str,
        table_name: str,
        permissions: Sequence[str] = ...,
    ) -> object: ...


class StreamingStack(PlatformStack):
    """A KMS-encrypted Kinesis stream, a Firehose that validates, partitions by event date and
    converts to Parquet into the raw zone, the transform Lambda, alarms to the platform alarm
    topic (a prop), and, as configured, an MSK cluster (serverless or provisioned) with its own
    Firehose into the same table."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        network: VpcProvider,
        lake: RawZone,
        alarm_topic: AlarmTopic,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            config=config,
            name_suffix="streaming",
            description="Data and ML platform: Kinesis, Firehose to the raw zone, optional MSK",
        )
        self._add_alarms(alarm_topic)
        self._add_stream()
        self._add_transform()
        self._lake = lake
        self.kinesis_delivery = self._deliver_to_lake(
            "KinesisToLake", "events-from-kinesis", KinesisSource(self.stream)
        )
        self.delivery_stream_name: str = self.kinesis_delivery.delivery_stream_name
        self.kafka_cluster_arn: str | None = None
        self.kafka_cluster_name: str | None = None
        self.kafka_client_security_group: ec2.ISecurityGroup | None = None
        self.kafka_delivery: FirehoseToLake | None = None
        if config.streaming.msk.mode != "none":
            self._add_kafka(network.vpc)
        self._outputs()

    def _add_alarms(self, alarm_topic: AlarmTopic) -> None:
        self.alarm_topic: sns.ITopic = alarm_topic.topic
        self._alarms = StreamingAlarms(
            self,
            "Alarms",
            topic=alarm_topic,
            thresholds=StreamingThresholds(**self.config.streaming.alarms.model_dump()),
        )

    def _add_stream(self) -> None:
        kinesis_settings = self.config.streaming.kinesis
        events = EncryptedEventStream(
            self,
            "Events",
            stream_name=f"{self.config.name_prefix}-events",
            shard_count=kinesis_settings.shard_count
            if kinesis_settings.capacity_mode == "provisioned"
            else None,
            retention=cdk.Duration.hours(kinesis_settings.retention_hours),
            removal_policy=removal_policy(self.config.storage),
        )
        self.stream: kinesis.IStream = events.stream
        self.stream_key: kms.IKey = events.key
        self._alarms.watch_stream(self.stream)

    def _add_transform(self) -> None:
        settings = self.config.streaming.transform
        transform = PythonFunction(
            self,
            "Transform",
            source="firehose_transform",
            description="Firehose transform: validate and normalise events, partition by date",
            memory_size=settings.memory_mib,
            timeout=cdk.Duration.seconds(settings.timeout_seconds),
            # Optional cap on concurrent copies (prod sets one, dev none: a new account's
            # quota of 10 refuses any reservation). With it, a backlog (or Firehose's retries
            # after an outage) cannot take the account's shared Lambda concurrency from other
            # functions, nor run up an unbounded bill. Firehose retries throttled invocations,
            # so records wait rather than being lost; the throttle alarm says when to act.
            reserved_concurrency=settings.reserved_concurrency,
            environment={"POWERTOOLS_METRICS_NAMESPACE": "DataPlatform/Events"},
            extra_files={"events.json": lake_schema.EVENTS.source_path},
            **log_props(self.config),
        )
        self.transform_function: lambda_.IFunction = transform.function
        self._alarms.watch_function(
            "Transform", self.transform_function, reserved_concurrency=settings.reserved_concurrency
        )

    def _deliver_to_lake(
        self, construct_id: str, name_suffix: str, source: FirehoseSource
    ) -> FirehoseToLake:
        lake = self._lake
        name = f"{self.config.name_prefix}-{name_suffix}"
        destination = LakeDestination(
            bucket=lake.raw_bucket,
            key=lake.lake_key,
            database_name=lake.raw_database_name,
            table_name=lake.events_table_name,
            events_prefix=LAKE_LAYOUT.events,
            errors_prefix=LAKE_LAYOUT.errors,
        )
        delivery = FirehoseToLake(
            self,
            construct_id,
            delivery_stream_name=name,
            source=source,
            destination=destination,
            transform=self.transform_function,
            tuning=DeliveryTuning(**self.config.streaming.firehose.model_dump()),
            **log_props(self.config),
        )
        self._alarms.watch_delivery(construct_id, name)
        # Where Lake Formation governs the catalog, reading the table's schema for the
        # Parquet conversion also needs a Lake Formation DESCRIBE grant (None when off).
        lake.grant_lake_formation_table(
            self,
            f"{construct_id}SchemaAccess",
            role=delivery.role,
            database_name=destination.database_name,
            table_name=destination.table_name,
            permissions=("DESCRIBE",),
        )
        return delivery

    def _add_kafka(self, vpc: ec2.IVpc) -> None:
        msk_config = self.config.streaming.msk
        access = KafkaClientSecurityGroup(
            self,
            "KafkaClients",
            vpc=vpc,
            client_security_group_ids=msk_config.client_security_group_ids,
        )
        self.kafka_client_security_group = access.security_group
        subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        cluster_arn = self._kafka_cluster(subnets, access.security_group)
        self.kafka_cluster_arn = cluster_arn
        if not msk_config.deliver_to_lake:
            return
        policy = FirehoseClusterPolicy(self, "KafkaFirehoseAccess", cluster_arn=cluster_arn)
        self.kafka_delivery = self._deliver_to_lake(
            "KafkaToLake",
            "events-from-msk",
            KafkaSource(cluster_arn=cluster_arn, topic=msk_config.topic),
        )
        # Firehose opens its VPC connection on creation: the policy must be in place.
        self.kafka_delivery.delivery_stream.node.add_dependency(policy)

    def _kafka_cluster(
        self, subnets: ec2.SelectedSubnets, security_group: ec2.ISecurityGroup
    ) -> str:
        msk_config = self.config.streaming.msk
        cluster_name = f"{self.config.name_prefix}-events"
        self.kafka_cluster_name = cluster_name
        if msk_config.mode == "serverless":
            serverless = ServerlessKafkaCluster(
                self,
                "Kafka",
                cluster_name=cluster_name,
                subnets=subnets,
                security_group=security_group,
            )
            return serverless.cluster_arn
        assert msk_config.provisioned is not None  # config validation guarantees it
        provisioned = ProvisionedKafkaCluster(
            self,
            "Kafka",
            cluster_name=cluster_name,
            brokers=KafkaBrokers(**msk_config.provisioned.model_dump()),
            subnets=subnets,
            security_group=security_group,
            multi_vpc_iam=msk_config.deliver_to_lake,
            **log_props(self.config),
        )
        self._alarms.watch_kafka_storage(cluster_name, provisioned.broker_count)
        return provisioned.cluster_arn

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "StreamName", value=self.stream.stream_name)
        cdk.CfnOutput(self, "DeliveryStreamName", value=self.delivery_stream_name)
        cdk.CfnOutput(self, "TransformFunctionName", value=self.transform_function.function_name)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)
        if self.kafka_cluster_arn is not None:
            cdk.CfnOutput(self, "KafkaClusterArn", value=self.kafka_cluster_arn)
        if self.kafka_delivery is not None:
            cdk.CfnOutput(
                self, "KafkaDeliveryStreamName", value=self.kafka_delivery.delivery_stream_name
            )
