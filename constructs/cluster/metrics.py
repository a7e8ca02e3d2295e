"""ClusterMetrics: the master's published Spark metrics as CloudWatch metric objects."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

from spark_cluster.node_config import METRIC_DIMENSION, METRIC_NAMES


@dataclass(frozen=True)
class ClusterMetrics:
    """The metrics the master publishes every minute (spark_cluster.node_config.METRIC_NAMES)
    in `namespace`, with the dimension Cluster=`cluster_name`."""

    namespace: str
    cluster_name: str

    def metric(
        self,
        name: str,
        *,
        statistic: str = cloudwatch.Stats.AVERAGE,
        period: cdk.Duration | None = None,
    ) -> cloudwatch.Metric:
        if name not in METRIC_NAMES:
            raise ValueError(f"{name!r} is not published; allowed: {', '.join(METRIC_NAMES)}")
        return cloudwatch.Metric(
            namespace=self.namespace,
            metric_name=name,
            dimensions_map={METRIC_DIMENSION: self.cluster_name},
            statistic=statistic,
            period=period or cdk.Duration.minutes(1),
        )
