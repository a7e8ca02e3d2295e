"""StreamingAlarms: the alarms that say events are not reaching the lake, and why.

Made with the platform's alarm factory (constructs/core/alarm_factory.py), like every alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_

from constructs import Construct
from constructs.core.alarm_factory import PlatformAlarms
from constructs.core.alarm_topic import AlarmTopic

_ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
_AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


def _throttle_description(reserved_concurrency: int | None) -> str:
    """What a throttle of the transform means: with a reservation, it hit its own cap; without
    one, it shares the account's unreserved pool, and other functions (or the quota) took it."""
    if reserved_concurrency is not None:
        return (
            "The transform hit its reserved concurrency: Firehose retries, and "
            "delivery slows; raise transform.reserved_concurrency if this persists."
        )
    return (
        "The transform was throttled with no concurrency reserved: the account's unreserved "
        "pool is used up (Lambda 'Concurrent executions', L-B99A9384). Firehose retries, and "
        "delivery slows; raise that quota, or reserve some with transform.reserved_concurrency."
    )


@dataclass(frozen=True)
class StreamingThresholds:
    """When the streaming alarms fire. Each alarm looks at `evaluation_periods` periods of
    `period_seconds` and fires when every one of them breaches."""

    period_seconds: int = 300
    evaluation_periods: int = 3
    #: age of the oldest unread record in the stream, in milliseconds.
    iterator_age_ms: int = 60_000
    #: records the stream refused for throughput, per period.
    write_throttled_records: int = 0
    #: age of the oldest record Firehose has not delivered yet, in seconds.
    data_freshness_seconds: int = 900
    #: records Firehose could not convert to Parquet, per period.
    failed_conversion_records: int = 0
    #: transform Lambda errors, per period.
    transform_errors: int = 0
    #: transform Lambda throttles, per period.
    transform_throttles: int = 0
    #: MSK broker data disk used, in percent.
    msk_disk_used_percent: int = 80


class StreamingAlarms(PlatformAlarms):
    """The alarms that say events are not reaching the lake, and why, each notifying `topic`
    on ALARM and on OK; the `watch_*` methods add them per resource.

    Missing data counts as healthy: a quiet stream emits no error or throttle data points,
    and an idle Firehose emits no freshness data point.

    :param topic: where every alarm notifies.
    :param thresholds: when they fire. Default: StreamingThresholds().
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: AlarmTopic,
        thresholds: StreamingThresholds | None = None,
    ) -> None:
        super().__init__(scope, construct_id, topic=topic)
        self._config = thresholds or StreamingThresholds()
        self._period = cdk.Duration.seconds(self._config.period_seconds)

    def _alarm(
        self,
        construct_id: str,
        *,
        metric: cloudwatch.Metric,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        description: str,
    ) -> cloudwatch.Alarm:
        return self.add_alarm(
            construct_id,
            metric,
            description=description,
            threshold=threshold,
            comparison=comparison,
            evaluation_periods=self._config.evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def watch_stream(self, stream: kinesis.IStream) -> None:
        self._alarm(
            "StreamIteratorAge",
            metric=stream.metric_get_records_iterator_age_milliseconds(
                statistic="Maximum", period=self._period
            ),
            threshold=self._config.iterator_age_ms,
            comparison=_ABOVE,
            description="The oldest unread record is getting old: the Firehose reader is "
            "falling behind, and records near the retention limit will expire unread.",
        )
        self._alarm(
            "StreamWriteThrottled",
            metric=stream.metric_write_provisioned_throughput_exceeded(
                statistic="Sum", period=self._period
            ),
            threshold=self._config.write_throttled_records,
            comparison=_ABOVE,
            description="Producers are being throttled: add shards (provisioned) or check "
            "for a hot partition key.",
        )

    def watch_delivery(self, label: str, delivery_stream_name: str) -> None:
        def firehose_metric(name: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/Firehose",
                metric_name=name,
                dimensions_map={"DeliveryStreamName": delivery_stream_name},
                statistic=statistic,
                period=self._period,
            )

        self._alarm(
            f"{label}DataFreshness",
            metric=firehose_metric("DeliveryToS3.DataFreshness", "Maximum"),
            threshold=self._config.data_freshness_seconds,
            comparison=_ABOVE,
            description=f"{delivery_stream_name}: the oldest record not yet in S3 is older "
            "than the threshold; deliveries to the raw zone are failing or too slow.",
        )
        self._alarm(
            f"{label}FailedConversion",
            metric=firehose_metric("FailedConversion.Records", "Sum"),
            threshold=self._config.failed_conversion_records,
            comparison=_ABOVE,
            description=f"{delivery_stream_name}: records failed Parquet conversion and went "
            "to errors/format-conversion-failed/; the transform and the Glue table disagree.",
        )

    def watch_function(
        self, label: str, function: lambda_.IFunction, *, reserved_concurrency: int | None
    ) -> None:
        """Errors and throttles of the Firehose transform. `reserved_concurrency` is the
        function's reservation (None: none), which decides what a throttle means."""
        self._alarm(
            f"{label}Errors",
            metric=function.metric_errors(statistic="Sum", period=self._period),
            threshold=self._config.transform_errors,
            comparison=_ABOVE,
            description="The Firehose transform raised: Firehose retries the batch and then "
            "sends it whole to errors/processing-failed/.",
        )
        self._alarm(
            f"{label}Throttles",
            metric=function.metric_throttles(statistic="Sum", period=self._period),
            threshold=self._config.transform_throttles,
            comparison=_ABOVE,
            description=_throttle_description(reserved_concurrency),
        )

    def watch_kafka_storage(self, cluster_name: str, broker_count: int) -> None:
        # MSK publishes disk use per broker; broker IDs run from 1 to the broker count.
        for broker_id in range(1, broker_count + 1):
            self._alarm(
                f"KafkaDiskUsedBroker{broker_id}",
                metric=cloudwatch.Metric(
                    namespace="AWS/Kafka",
                    metric_name="KafkaDataLogsDiskUsed",
                    dimensions_map={"Cluster Name": cluster_name, "Broker ID": str(broker_id)},
                    statistic="Maximum",
                    period=self._period,
                ),
                threshold=self._config.msk_disk_used_percent,
                comparison=_AT_LEAST,
                description=f"Broker {broker_id} of {cluster_name}: data disk nearly full; "
                "storage autoscaling should be growing it (check its max_volume_size_gib).",
            )
