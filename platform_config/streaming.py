"""Streaming settings: the Kinesis stream, Firehose into the lake, its transform, MSK and alarms.

Everything billed by the hour (Kinesis shards, MSK brokers or a serverless cluster) is stated
in each profile; nothing here has a default that costs money.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from platform_config.base import Section, instance_type_of
from platform_config.instance_types import MSK_BROKER

MskBrokerType = instance_type_of(MSK_BROKER)

# Multi-VPC private connectivity, which Firehose needs to read from a provisioned cluster,
# exists only from Apache Kafka 2.7.1 and not on kafka.t3.small brokers.
MIN_KAFKA_VERSION_FOR_FIREHOSE = (2, 7, 1)
BROKER_TYPES_WITHOUT_MULTI_VPC = frozenset({"kafka.t3.small"})

_KAFKA_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+|x)(\.tiered|\.kraft)?$")
_SECURITY_GROUP_ID = re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")


def _check_security_group_id(value: str) -> str:
    if not _SECURITY_GROUP_ID.match(value):
        raise ValueError("not a security group ID; allowed: sg- followed by 8 or 17 hex digits")
    return value


def _check_kafka_version(value: str) -> str:
    match = _KAFKA_VERSION.match(value)
    if not match:
        raise ValueError("not an Amazon MSK Kafka version; e.g. 3.6.0, 3.7.x or 3.7.x.kraft")
    major, minor, patch = match.group(1), match.group(2), match.group(3)
    version = (int(major), int(minor), 99 if patch == "x" else int(patch))
    if version < MIN_KAFKA_VERSION_FOR_FIREHOSE:
        raise ValueError(
            "Firehose reads MSK through multi-VPC private connectivity, which needs "
            "Kafka 2.7.1 or later"
        )
    return value


SecurityGroupId = Annotated[str, AfterValidator(_check_security_group_id)]
KafkaVersion = Annotated[str, AfterValidator(_check_kafka_version)]


class KinesisConfig(Section):
    capacity_mode: Literal["on_demand", "provisioned"] = Field(
        description="on_demand bills per stream-hour ($0.04, about $29.20/month idle) and per "
        "GB, and scales by itself; provisioned bills per shard-hour ($0.015, about $10.95/month "
        "a shard) and takes 1 MB/s or 1,000 records/s in and 2 MB/s out per shard, throttling "
        "above it (the write-throttle alarm says so). One provisioned shard is the cheapest "
        "stream for a development account's test traffic; production sizes its shards."
    )
    # Optional because the CDK CLI drops null context values: omit it for on_demand.
    shard_count: int | None = Field(
        default=None, ge=1, le=500, description="Shards for capacity_mode provisioned only."
    )
    retention_hours: int = Field(ge=24, le=8760)

    @model_validator(mode="after")
    def _shards_match_the_capacity_mode(self) -> Self:
        if self.capacity_mode == "provisioned" and self.shard_count is None:
            raise ValueError("shard_count is required when capacity_mode is 'provisioned'")
        if self.capacity_mode == "on_demand" and self.shard_count is not None:
            raise ValueError(
                f"shard_count ({self.shard_count}) is only for capacity_mode 'provisioned'; "
                "remove it for 'on_demand'"
            )
        return self


class FirehoseConfig(Section):
    # Both dynamic partitioning and Parquet conversion need a buffer of at least 64 MiB.
    buffer_size_mib: int = Field(ge=64, le=128)
    buffer_interval_seconds: int = Field(ge=60, le=900)
    processor_buffer_size_mib: int = Field(ge=1, le=3)
    processor_buffer_interval_seconds: int = Field(ge=60, le=900)
    processor_retries: int = Field(ge=0, le=300)
    partitioning_retry_seconds: int = Field(ge=0, le=7200)


class TransformConfig(Section):
    memory_mib: int = Field(ge=128, le=10240)
    # Firehose waits for the function synchronously; AWS recommends a timeout of at least 1 min.
    timeout_seconds: int = Field(ge=60, le=900)
    reserved_concurrency: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Concurrent executions reserved for the transform; null reserves none. A "
        "reservation must leave the account 100 unreserved, so an account whose Lambda "
        "concurrency quota is 10 (as many new accounts' is) refuses any: `make preflight` checks.",
    )


class MskProvisionedConfig(Section):
    kafka_version: KafkaVersion
    broker_type: MskBrokerType  # type: ignore[valid-type]
    brokers_per_az: int = Field(ge=1, le=10)
    volume_size_gib: int = Field(ge=1, le=16384)
    max_volume_size_gib: int = Field(ge=1, le=16384)
    storage_target_utilization_percent: int = Field(ge=10, le=80)
    enhanced_monitoring: Literal[
        "DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"
    ]

    @model_validator(mode="after")
    def _storage_can_grow(self) -> Self:
        if self.max_volume_size_gib <= self.volume_size_gib:
            raise ValueError(
                f"max_volume_size_gib ({self.max_volume_size_gib}) must exceed "
                f"volume_size_gib ({self.volume_size_gib}) for storage autoscaling to grow"
            )
        return self


class MskConfig(Section):
    mode: Literal["none", "serverless", "provisioned"]
    topic: str = Field(pattern=r"^[a-zA-Z0-9._-]{1,249}$")
    deliver_to_lake: bool = Field(
        description="A second Firehose from the topic into the raw zone. For provisioned "
        "clusters, turn it on in a second deploy (multi-VPC connectivity cannot be enabled "
        "while the cluster is being created)."
    )
    client_security_group_ids: list[SecurityGroupId]
    provisioned: MskProvisionedConfig | None = Field(
        default=None,
        description="Broker sizing; required when mode is 'provisioned', ignored otherwise.",
    )

    @model_validator(mode="after")
    def _mode_has_what_it_needs(self) -> Self:
        if self.mode == "provisioned":
            if self.provisioned is None:
                raise ValueError(
                    "provisioned (broker sizing) is required when mode is 'provisioned'"
                )
            if (
                self.deliver_to_lake
                and self.provisioned.broker_type in BROKER_TYPES_WITHOUT_MULTI_VPC
            ):
                raise ValueError(
                    f"broker_type {self.provisioned.broker_type} has no multi-VPC connectivity, "
                    "which Firehose needs; use kafka.m5.large or larger, or deliver_to_lake false"
                )
        if self.mode == "none" and self.deliver_to_lake:
            raise ValueError("deliver_to_lake needs an MSK cluster; mode is 'none'")
        if len(set(self.client_security_group_ids)) != len(self.client_security_group_ids):
            raise ValueError("client_security_group_ids lists a security group twice")
        return self


class AlarmsConfig(Section):
    # Who is notified: the platform alarm topic's subscriptions (alerting).
    period_seconds: Literal[60, 300, 900, 3600]
    evaluation_periods: int = Field(ge=1, le=24)
    iterator_age_ms: int = Field(ge=1000)
    write_throttled_records: int = Field(ge=0)
    data_freshness_seconds: int = Field(ge=60)
    failed_conversion_records: int = Field(ge=0)
    transform_errors: int = Field(ge=0)
    transform_throttles: int = Field(ge=0)
    msk_disk_used_percent: int = Field(ge=1, le=100)


class StreamingConfig(Section):
    kinesis: KinesisConfig
    firehose: FirehoseConfig
    transform: TransformConfig
    msk: MskConfig
    alarms: AlarmsConfig

    @model_validator(mode="after")
    def _freshness_alarm_allows_for_buffering(self) -> Self:
        # Firehose holds records for up to the buffer interval by design; an alarm below that
        # would fire on every quiet hour.
        if self.alarms.data_freshness_seconds <= self.firehose.buffer_interval_seconds:
            raise ValueError(
                f"alarms.data_freshness_seconds ({self.alarms.data_freshness_seconds}) must "
                f"exceed firehose.buffer_interval_seconds ({self.firehose.buffer_interval_seconds})"
            )
        return self
