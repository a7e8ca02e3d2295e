"""PlatformDashboard: one CloudWatch dashboard over the platform, on cdk-monitoring-constructs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from cdk_monitoring_constructs import (
    CustomMetricGroup,
    DefaultDashboardFactory,
    MetricFactoryDefaults,
    MonitoringFacade,
)

from constructs import Construct
from constructs.cluster.metrics import ClusterMetrics
from constructs.core.alarm_factory import alarm_factory_defaults
from constructs.core.alarm_topic import AlarmTopic

_MINUTE = cdk.Duration.minutes(1)
_FIVE_MINUTES = cdk.Duration.minutes(5)


@dataclass(frozen=True)
class EndpointToWatch:
    """A SageMaker real-time endpoint variant (its metrics exist once the endpoint does)."""

    endpoint_name: str
    variant_name: str


@dataclass(frozen=True)
class KafkaToWatch:
    """An MSK cluster: cluster-level health when provisioned, the topic's traffic when
    serverless (which publishes per topic only)."""

    cluster_name: str
    topic: str
    serverless: bool


class PlatformDashboard(Construct):
    """One CloudWatch dashboard (`dashboard_name`), built by cdk-monitoring-constructs'
    MonitoringFacade, with a section per moving part: the Kinesis stream, each Firehose
    delivery, each Lambda function, each Glue job, each Auto Scaling group with its EC2
    instances, the Spark cluster's own metrics, MSK and the SageMaker endpoint (the last three
    through the facade's custom monitoring). It creates no alarm of its own; `facade` is the
    place to add one, and any alarm the facade creates notifies `alarm_topic` on ALARM and OK.

    :param dashboard_name: the dashboard's name.
    :param alarm_topic: where the facade's alarms notify.
    :param stream: the Kinesis stream. Default: none.
    :param delivery_stream_names: Firehose deliveries (Parquet conversion on). Default: none.
    :param functions: Lambda functions by title. Default: none.
    :param glue_job_names: Glue jobs. Default: none.
    :param auto_scaling_groups: Auto Scaling groups by title. Default: none.
    :param spark_metrics: the Spark master's published metrics. Default: none.
    :param kafka: the MSK cluster. Default: none.
    :param endpoint: the SageMaker endpoint variant. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        alarm_topic: AlarmTopic,
        stream: kinesis.IStream | None = None,
        delivery_stream_names: Sequence[str] = (),
        functions: Mapping[str, lambda_.IFunction] | None = None,
        glue_job_names: Sequence[str] = (),
        auto_scaling_groups: Mapping[str, autoscaling.IAutoScalingGroup] | None = None,
        spark_metrics: ClusterMetrics | None = None,
        kafka: KafkaToWatch | None = None,
        endpoint: EndpointToWatch | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.facade = self._facade(dashboard_name, alarm_topic)
        # The sections appear on the dashboard in the order they are added here.
        if stream is not None:
            self._stream(stream)
        for name in delivery_stream_names:
            self.facade.monitor_kinesis_firehose(
                delivery_stream_name=name, is_data_format_conversion_enabled=True
            )
        for title, function in (functions or {}).items():
            self._function(title, function)
        for job_name in glue_job_names:
            self.facade.monitor_glue_job(job_name=job_name)
        for title, group in (auto_scaling_groups or {}).items():
            self._auto_scaling_group(title, group)
        if spark_metrics is not None:
            self._spark(spark_metrics)
        if kafka is not None:
            self._kafka(kafka)
        if endpoint is not None:
            self._endpoint(endpoint)

    def _facade(self, dashboard_name: str, alarm_topic: AlarmTopic) -> MonitoringFacade:
        return MonitoringFacade(
            self,
            "Facade",
            # The platform's alarm defaults (constructs/core/alarm_factory.py): an alarm the
            # facade makes is made like every other alarm of the platform.
            alarm_factory_defaults=alarm_factory_defaults(alarm_topic, dashboard_name),
            metric_factory_defaults=MetricFactoryDefaults(),
            dashboard_factory=DefaultDashboardFactory(
                self,
                "Dashboards",
                dashboard_name_prefix=dashboard_name,
                create_dashboard=True,
                create_summary_dashboard=False,
                create_alarm_dashboard=False,
            ),
        )

    def _stream(self, stream: kinesis.IStream) -> None:
        self.facade.monitor_kinesis_data_stream(
            stream_name=stream.stream_name,
            human_readable_name="Events stream (Kinesis)",
            alarm_friendly_name="EventsStream",
        )

    def _function(self, title: str, function: lambda_.IFunction) -> None:
        self.facade.monitor_lambda_function(
            lambda_function=function,
            human_readable_name=f"{title} (Lambda)",
            alarm_friendly_name=_friendly(title),
        )

    def _auto_scaling_group(self, title: str, group: autoscaling.IAutoScalingGroup) -> None:
        """The group's own section, then its instances' (EC2) section."""
        self.facade.monitor_auto_scaling_group(
            auto_scaling_group=group,
            human_readable_name=f"{title} (Auto Scaling)",
            alarm_friendly_name=_friendly(title),
        )
        self.facade.monitor_ec2_instances(
            auto_scaling_group=group,
            human_readable_name=f"{title} (EC2)",
            alarm_friendly_name=f"{_friendly(title)}Ec2",
        )

    def _spark(self, metrics: ClusterMetrics) -> None:
        self.facade.monitor_custom(
            human_readable_name=f"Spark cluster {metrics.cluster_name} ({metrics.namespace})",
            alarm_friendly_name="SparkCluster",
            metric_groups=[
                CustomMetricGroup(
                    title="Workers and waiting work",
                    metrics=[
                        metrics.metric("AliveWorkers", statistic="Minimum"),
                        metrics.metric("WaitingApps", statistic="Maximum"),
                        metrics.metric("WaitingDrivers", statistic="Maximum"),
                    ],
                ),
                CustomMetricGroup(
                    title="Cores",
                    metrics=[metrics.metric("CoresUsed"), metrics.metric("CoresTotal")],
                ),
                CustomMetricGroup(
                    title="Memory (MB)",
                    metrics=[metrics.metric("MemoryUsedMb"), metrics.metric("MemoryTotalMb")],
                ),
            ],
        )

    def _kafka(self, kafka: KafkaToWatch) -> None:
        def metric(name: str, statistic: str, **dimensions: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/Kafka",
                metric_name=name,
                dimensions_map={"Cluster Name": kafka.cluster_name, **dimensions},
                statistic=statistic,
                period=_FIVE_MINUTES,
            )

        if kafka.serverless:
            groups = [
                CustomMetricGroup(
                    title=f"Topic {kafka.topic}: bytes per second",
                    metrics=[
                        metric(name, "Average", Topic=kafka.topic)
                        for name in ("BytesInPerSec", "BytesOutPerSec")
                    ],
                ),
                CustomMetricGroup(
                    title=f"Topic {kafka.topic}: messages per second",
                    metrics=[metric("MessagesInPerSec", "Average", Topic=kafka.topic)],
                ),
            ]
        else:
            groups = [
                CustomMetricGroup(
                    title="Controller and partitions",
                    metrics=[
                        metric("ActiveControllerCount", "Sum"),
                        metric("OfflinePartitionsCount", "Maximum"),
                        metric("GlobalPartitionCount", "Maximum"),
                    ],
                ),
            ]
        self.facade.monitor_custom(
            human_readable_name=f"MSK {kafka.cluster_name}",
            alarm_friendly_name="Kafka",
            metric_groups=groups,
        )

    def _endpoint(self, endpoint: EndpointToWatch) -> None:
        dimensions = {"EndpointName": endpoint.endpoint_name, "VariantName": endpoint.variant_name}

        def metric(namespace: str, name: str, statistic: str, label: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=namespace,
                metric_name=name,
                dimensions_map=dimensions,
                statistic=statistic,
                period=_MINUTE,
                label=label,
            )

        invocations = "AWS/SageMaker"
        instances = "/aws/sagemaker/Endpoints"
        self.facade.monitor_custom(
            human_readable_name=f"SageMaker endpoint {endpoint.endpoint_name}",
            alarm_friendly_name="Endpoint",
            metric_groups=[
                CustomMetricGroup(
                    title="Invocations and errors (per minute)",
                    metrics=[
                        metric(invocations, "Invocations", "Sum", "Invocations"),
                        metric(invocations, "Invocation4XXErrors", "Sum", "4xx"),
                        metric(invocations, "Invocation5XXErrors", "Sum", "5xx"),
                    ],
                ),
                CustomMetricGroup(
                    title="Latency (microseconds)",
                    metrics=[
                        metric(invocations, "ModelLatency", "p90", "Model p90"),
                        metric(invocations, "OverheadLatency", "p90", "Overhead p90"),
                    ],
                ),
                CustomMetricGroup(
                    title="Instance utilisation (%)",
                    metrics=[
                        metric(instances, "CPUUtilization", "Average", "CPU"),
                        metric(instances, "GPUUtilization", "Average", "GPU"),
                        metric(instances, "GPUMemoryUtilization", "Average", "GPU memory"),
                    ],
                ),
            ],
        )


def _friendly(title: str) -> str:
    """An alarm-name-safe form of a title (alarm_friendly_name is required for token names)."""
    return "".join(part.capitalize() for part in title.replace("-", " ").split())
