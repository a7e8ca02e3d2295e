"""EndpointAlarms: the 5xx and model-latency alarms of one endpoint variant.

They are created with the stack, before any endpoint exists: an alarm on a metric nobody emits
yet is simply INSUFFICIENT_DATA. The deployer names them as the auto-rollback alarms of every
blue/green update, so a bad model rolls itself back: their names must not change. They are
made with the platform's alarm factory (constructs/core/alarm_factory.py), like every alarm, which
sets exactly the names given here.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs import Construct
from constructs.core.alarm_factory import PlatformAlarms
from constructs.core.alarm_topic import AlarmTopic
from constructs.ml.endpoint_spec import EndpointSpec

_MICROSECONDS_PER_MS = 1000


class EndpointAlarms(PlatformAlarms):
    """The two alarms of one endpoint variant: model-container 5xx responses and model latency.

    Creates `errors` (Invocation5XXErrors per minute at or above `invocation_5xx_count`, two
    minutes in a row) and `latency` (p90 ModelLatency above `model_latency_ms`, three minutes in
    a row), on `spec`'s endpoint and variant. Missing data is not breaching, so an idle or
    not-yet-deployed endpoint does not alarm. `alarms` lists both: the deployer's rollback alarms.

    :param spec: the endpoint and variant the alarms watch.
    :param invocation_5xx_count: 5xx responses in one minute that breach.
    :param model_latency_ms: model latency, in milliseconds, that breaches.
    :param topic: the alarm topic both alarms notify, on ALARM and on OK. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: EndpointSpec,
        invocation_5xx_count: int,
        model_latency_ms: int,
        topic: AlarmTopic | None = None,
    ) -> None:
        super().__init__(scope, construct_id, topic=topic)
        dimensions = {"EndpointName": spec.endpoint_name, "VariantName": spec.variant_name}
        self.errors = self.add_alarm(
            "Invocation5xx",
            cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name="Invocation5XXErrors",
                dimensions_map=dimensions,
                statistic="Sum",
                period=cdk.Duration.minutes(1),
            ),
            alarm_name=f"{spec.endpoint_name}-invocation-5xx",
            description=f"{spec.endpoint_name}: model container answered 5xx",
            threshold=invocation_5xx_count,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=2,
            datapoints_to_alarm=2,
            # No traffic is not an error: an idle or not-yet-created endpoint stays OK.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.latency = self.add_alarm(
            "ModelLatency",
            cloudwatch.Metric(
                namespace="AWS/SageMaker",
                metric_name="ModelLatency",  # reported in microseconds
                dimensions_map=dimensions,
                statistic="p90",
                period=cdk.Duration.minutes(1),
            ),
            alarm_name=f"{spec.endpoint_name}-model-latency",
            description=f"{spec.endpoint_name}: p90 model latency above {model_latency_ms} ms",
            threshold=model_latency_ms * _MICROSECONDS_PER_MS,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
