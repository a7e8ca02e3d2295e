"""WorkerScaling: the worker group follows the cluster's own load, and its schedules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs import Construct
from constructs.cluster.metrics import ClusterMetrics
from constructs.core.alarm_topic import AlarmTopic
from spark_cluster.node_config import METRIC_DIMENSION


@dataclass(frozen=True)
class ScheduledCapacity:
    """A recurring change of the group's capacity (cron: minute hour day month weekday)."""

    name: str
    cron: str
    min_capacity: int | None = None
    desired_capacity: int | None = None
    max_capacity: int | None = None


class WorkerScaling(Construct):
    """Scaling on what Spark itself reports, not on CPU:

    - target tracking on cores used / cores total (metric math), which scales in as work
      ends (no data while there are no workers: it then does nothing);
    - step scaling on waiting applications, which scales out, from zero too, when
      applications wait for cores;
    - the scheduled actions (e.g. dev's evening scale to zero).

    Auto Scaling takes the largest capacity that any policy asks for, so the two policies do
    not fight: a queue always wins over a low utilisation.

    Props:
        group: the worker group.
        metrics: the master's cluster metrics.
        target_cores_used_percent: the utilisation target tracking keeps.
        workers_per_waiting_app: workers added per waiting application (up to three steps).
        warmup_seconds: how long a new worker takes to boot and register.
        schedules: scheduled capacity changes.
        time_zone: IANA time zone of the schedules.
        notify: an alarm topic told each time waiting applications make the workers scale
            out (the step policy's alarm; no OK notice). Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        group: autoscaling.AutoScalingGroup,
        metrics: ClusterMetrics,
        target_cores_used_percent: int,
        workers_per_waiting_app: int,
        warmup_seconds: int,
        schedules: Sequence[ScheduledCapacity] = (),
        time_zone: str = "UTC",
        notify: AlarmTopic | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.cores_used_policy = self._cores_used_policy(
            group, metrics, target_cores_used_percent, warmup_seconds
        )
        self.waiting_apps_policy = _waiting_apps_policy(
            group, metrics, workers_per_waiting_app, warmup_seconds
        )
        scale_out_alarm = self.waiting_apps_policy.upper_alarm
        if notify is not None and scale_out_alarm is not None:
            scale_out_alarm.add_alarm_action(notify.action)
        scale_on_schedules(group, schedules, time_zone=time_zone)

    def _cores_used_policy(
        self,
        group: autoscaling.AutoScalingGroup,
        metrics: ClusterMetrics,
        target_cores_used_percent: int,
        warmup_seconds: int,
    ) -> autoscaling.CfnScalingPolicy:
        # L1: target tracking on a metric-math expression has no L2 yet.
        return autoscaling.CfnScalingPolicy(
            self,
            "CoresUsedTarget",
            auto_scaling_group_name=group.auto_scaling_group_name,
            policy_type="TargetTrackingScaling",
            estimated_instance_warmup=warmup_seconds,
            target_tracking_configuration=autoscaling.CfnScalingPolicy.TargetTrackingConfigurationProperty(
                target_value=float(target_cores_used_percent),
                customized_metric_specification=autoscaling.CfnScalingPolicy.CustomizedMetricSpecificationProperty(
                    metrics=[
                        _metric_query(metrics, "used", "CoresUsed"),
                        _metric_query(metrics, "total", "CoresTotal"),
                        autoscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty(
                            id="utilisation",
                            expression="100 * used / total",
                            label="Cores used (%)",
                            return_data=True,
                        ),
                    ]
                ),
            ),
        )


def scale_on_schedules(
    group: autoscaling.AutoScalingGroup,
    schedules: Sequence[ScheduledCapacity],
    *,
    time_zone: str = "UTC",
) -> None:
    """A scheduled action on `group` for each of `schedules` (IANA `time_zone`)."""
    for schedule in schedules:
        group.scale_on_schedule(
            schedule.name,
            schedule=autoscaling.Schedule.expression(schedule.cron),
            time_zone=time_zone,
            min_capacity=schedule.min_capacity,
            desired_capacity=schedule.desired_capacity,
            max_capacity=schedule.max_capacity,
        )


def _metric_query(
    metrics: ClusterMetrics, query_id: str, name: str
) -> autoscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty:
    return autoscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty(
        id=query_id,
        return_data=False,
        metric_stat=autoscaling.CfnScalingPolicy.TargetTrackingMetricStatProperty(
            metric=autoscaling.CfnScalingPolicy.MetricProperty(
                namespace=metrics.namespace,
                metric_name=name,
                dimensions=[
                    autoscaling.CfnScalingPolicy.MetricDimensionProperty(
                        name=METRIC_DIMENSION, value=metrics.cluster_name
                    )
                ],
            ),
            stat="Average",
        ),
    )


def _waiting_apps_policy(
    group: autoscaling.AutoScalingGroup,
    metrics: ClusterMetrics,
    step: int,
    warmup_seconds: int,
) -> autoscaling.StepScalingPolicy:
    return group.scale_on_metric(
        "WaitingAppsStep",
        metric=metrics.metric(
            "WaitingApps", statistic=cloudwatch.Stats.MAXIMUM, period=cdk.Duration.minutes(1)
        ),
        scaling_steps=[
            autoscaling.ScalingInterval(upper=0, change=0),
            autoscaling.ScalingInterval(lower=1, upper=3, change=step),
            autoscaling.ScalingInterval(lower=3, upper=10, change=2 * step),
            autoscaling.ScalingInterval(lower=10, change=4 * step),
        ],
        adjustment_type=autoscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        evaluation_periods=2,
        datapoints_to_alarm=2,
        estimated_instance_warmup=cdk.Duration.seconds(warmup_seconds),
    )
