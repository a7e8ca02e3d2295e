"""CloudWatch: AWS::CloudWatch::Alarm."""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import (
    CloudWatchBackend,
    Dimension,
    Metric,
    MetricDataQuery,
    MetricStat,
    cloudwatch_backends,
)

from ._base import Handler, as_bool, as_int


def _metric_data_queries(metrics: list[dict[str, Any]] | None) -> list[MetricDataQuery] | None:
    """The template's ``Metrics`` in the form moto's backend takes (as its API layer builds)."""
    if not metrics:
        return None
    queries = []
    for query in metrics:
        stat = query.get("MetricStat")
        metric_stat = None
        if stat:
            metric = stat.get("Metric", {})
            metric_stat = MetricStat(
                metric=Metric(
                    metric_name=metric.get("MetricName"),
                    namespace=metric.get("Namespace"),
                    dimensions=[
                        Dimension(name=d["Name"], value=d["Value"])
                        for d in metric.get("Dimensions", [])
                    ],
                ),
                period=stat.get("Period"),
                stat=stat.get("Stat"),
                unit=stat.get("Unit"),
            )
        queries.append(
            MetricDataQuery(
                query_id=query.get("Id"),
                label=query.get("Label"),
                period=query.get("Period"),
                return_data=query.get("ReturnData"),
                expression=query.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


class Alarm(Handler):
    """Ref: the alarm name. GetAtt: Arn."""

    TYPE = "AWS::CloudWatch::Alarm"
    NAME_PROPERTY = "AlarmName"
    ATTRIBUTES = frozenset({"Arn"})

    def _backend(self) -> CloudWatchBackend:
        return cloudwatch_backends[self.account_id][self.region_name]

    def create(self) -> None:
        threshold = self.prop("Threshold")
        alarm = self._backend().put_metric_alarm(
            name=self.name,
            namespace=self.prop("Namespace"),
            metric_name=self.prop("MetricName"),
            metric_data_queries=_metric_data_queries(self.prop("Metrics")),
            comparison_operator=self.require("ComparisonOperator"),
            evaluation_periods=int(self.require("EvaluationPeriods")),
            datapoints_to_alarm=as_int(self.prop("DatapointsToAlarm")),
            period=as_int(self.prop("Period")),
            threshold=None if threshold is None else float(threshold),
            statistic=self.prop("Statistic"),
            extended_statistic=self.prop("ExtendedStatistic"),
            description=self.prop("AlarmDescription"),
            dimensions=self.prop("Dimensions", []),
            alarm_actions=self.prop("AlarmActions", []),
            ok_actions=self.prop("OKActions", []),
            insufficient_data_actions=self.prop("InsufficientDataActions", []),
            unit=self.prop("Unit"),
            actions_enabled=as_bool(self.prop("ActionsEnabled"), default=True),
            treat_missing_data=self.prop("TreatMissingData"),
            evaluate_low_sample_count_percentile=self.prop("EvaluateLowSampleCountPercentile"),
            threshold_metric_id=self.prop("ThresholdMetricId"),
            tags=self.prop("Tags"),
        )
        self.physical_resource_id = self.name
        self.attributes = {"Arn": alarm.alarm_arn}

    def update_in_place(self, previous: Handler) -> bool:
        if self.name != previous.name:
            return False
        self.create()  # PutMetricAlarm overwrites an alarm of the same name
        return True

    def delete_resource(self) -> None:
        self._backend().delete_alarms([self.physical_resource_id])
