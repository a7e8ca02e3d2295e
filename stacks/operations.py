"""OperationsStack: the platform's dashboard, over what every other stack exposes."""

from __future__ import annotations

from typing import Protocol

import aws_cdk as cdk
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_

from constructs import Construct
from constructs.cluster.metrics import ClusterMetrics
from constructs.cluster.node_group import SparkNodeGroup
from constructs.core.alarm_topic import AlarmTopic
from constructs.lake.glue_etl_job import GlueEtlJob
from constructs.ml.approval_deployer import ApprovalDeployer
from constructs.ml.endpoint_spec import EndpointSpec
from constructs.operations.dashboard import EndpointToWatch, KafkaToWatch, PlatformDashboard
from constructs.streaming.firehose_to_lake import FirehoseToLake
from platform_config import PlatformConfig
from stacks.platform_stack import PlatformStack


class StreamingParts(Protocol):
    """What the dashboard shows of streaming (StreamingStack provides it)."""

    @property
    def stream(self) -> kinesis.IStream: ...
    @property
    def transform_function(self) -> lambda_.IFunction: ...
    @property
    def delivery_stream_name(self) -> str: ...
    @property
    def kafka_delivery(self) -> FirehoseToLake | None: ...
    @property
    def kafka_cluster_name(self) -> str | None: ...


class LakeParts(Protocol):
    """What the dashboard shows of the lake (DataLakeStack provides it)."""

    @property
    def etl_job(self) -> GlueEtlJob: ...


class MlParts(Protocol):
    """What the dashboard shows of ML (MlStack provides it)."""

    @property
    def endpoint_spec(self) -> EndpointSpec: ...
    @property
    def deployer(self) -> ApprovalDeployer | None: ...


class ClusterParts(Protocol):
    """What the dashboard shows of the Spark cluster (ClusterStack provides it)."""

    @property
    def master(self) -> SparkNodeGroup: ...
    @property
    def workers(self) -> SparkNodeGroup: ...
    @property
    def metrics(self) -> ClusterMetrics: ...


class OperationsStack(PlatformStack):
    """The platform dashboard (PlatformDashboard: cdk-monitoring-constructs) over the stream,
    the deliveries, the transform and deployer Lambdas, the Glue ETL job, the endpoint, MSK when
    on and the Spark cluster when on. It is the last stack: it takes the others' constructs and
    nothing takes anything from it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        alarm_topic: AlarmTopic,
        streaming: StreamingParts,
        lake: LakeParts,
        ml: MlParts,
        cluster: ClusterParts | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            config=config,
            name_suffix="operations",
            description="Data and ML platform: the CloudWatch dashboard over every stack",
        )
        dashboard_name = f"{config.name_prefix}-platform"
        deliveries = [streaming.delivery_stream_name] + (
            [streaming.kafka_delivery.delivery_stream_name] if streaming.kafka_delivery else []
        )
        self.dashboard = PlatformDashboard(
            self,
            "Dashboard",
            dashboard_name=dashboard_name,
            alarm_topic=alarm_topic,
            stream=streaming.stream,
            delivery_stream_names=deliveries,
            functions=_functions(streaming, ml),
            glue_job_names=[lake.etl_job.name],
            auto_scaling_groups=_groups(cluster),
            spark_metrics=cluster.metrics if cluster is not None else None,
            kafka=_kafka(config, streaming),
            endpoint=EndpointToWatch(ml.endpoint_spec.endpoint_name, ml.endpoint_spec.variant_name),
        )
        _dashboard_outputs(self, dashboard_name)


def _dashboard_outputs(stack: cdk.Stack, dashboard_name: str) -> None:
    """Where to find the dashboard: its name, and its page in the CloudWatch console."""
    cdk.CfnOutput(stack, "DashboardName", value=dashboard_name)
    cdk.CfnOutput(
        stack,
        "DashboardUrl",
        value=f"https://{stack.region}.console.aws.amazon.com/cloudwatch/home"
        f"?region={stack.region}#dashboards:name={dashboard_name}",
    )


def _functions(streaming: StreamingParts, ml: MlParts) -> dict[str, lambda_.IFunction]:
    functions = {"Firehose transform": streaming.transform_function}
    if ml.deployer is not None:
        functions["Model deployer"] = ml.deployer.function.function
    return functions


def _groups(cluster: ClusterParts | None) -> dict[str, autoscaling.IAutoScalingGroup]:
    if cluster is None:
        return {}
    return {"Spark master": cluster.master.group, "Spark workers": cluster.workers.group}


def _kafka(config: PlatformConfig, streaming: StreamingParts) -> KafkaToWatch | None:
    msk, name = config.streaming.msk, streaming.kafka_cluster_name
    if name is None:
        return None
    return KafkaToWatch(cluster_name=name, topic=msk.topic, serverless=msk.mode == "serverless")
