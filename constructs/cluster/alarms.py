"""ClusterAlarms: the cluster's health, to the alarm topic.

The alarms are made with the platform's alarm factory (constructs/core/alarm_factory.py), like
every alarm; the Spot warnings are an EventBridge rule, which the factory does not make.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events

from constructs import Construct
from constructs.cluster.metrics import ClusterMetrics
from constructs.core.alarm_factory import PlatformAlarms
from constructs.core.alarm_topic import AlarmTopic

SPOT_WARNING = "EC2 Spot Instance Interruption Warning"


def _group_metric(name: str, group_name: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/AutoScaling",
        metric_name=name,
        dimensions_map={"AutoScalingGroupName": group_name},
        statistic=cloudwatch.Stats.MINIMUM,
        period=cdk.Duration.minutes(5),
    )


class ClusterAlarms(PlatformAlarms):
    """Alarms (and their recoveries) to `topic`:

    - WorkersBelowMin: fewer workers in service than the group's minimum (capacity or Spot
      shortage, failing boots);
    - MasterMissing: the master group has no instance in service;
    - MasterNotReporting: the master published no cluster metrics (Spark master or publisher
      down), which also means the workers no longer scale;
      with `master_always_on` False (a master started when used), both compare with the
      master group's desired capacity instead: no instance in service, or no metrics, while
      one is asked for; a stopped master (desired 0) is not an alarm;
    - Spot interruptions: EC2's two-minute warnings, sent by an EventBridge rule. The warning
      carries no group name, so it covers every Spot instance of the account and Region.

    Props:
        topic: the AlarmTopic to notify.
        master_group_name, worker_group_name: the two Auto Scaling groups (group metrics on).
        metrics: the master's cluster metrics.
        evaluation_periods: five-minute periods an alarm condition must last.
        spot_rule_name: the EventBridge rule's name (unique per profile).
        master_always_on: whether the master group always has one instance (min 1), or is
            started when used (min 0). Default: always on.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: AlarmTopic,
        master_group_name: str,
        worker_group_name: str,
        metrics: ClusterMetrics,
        evaluation_periods: int,
        spot_rule_name: str,
        master_always_on: bool = True,
    ) -> None:
        super().__init__(scope, construct_id, topic=topic)
        self.workers_below_min = self._workers_below_min(worker_group_name, evaluation_periods)
        if master_always_on:
            self.master_missing = self._master_missing(master_group_name, evaluation_periods)
            self.master_not_reporting = self._master_not_reporting(
                master_group_name, metrics, evaluation_periods
            )
        else:
            self.master_missing = self._started_master_missing(
                master_group_name, evaluation_periods
            )
            self.master_not_reporting = self._started_master_not_reporting(
                master_group_name, metrics, evaluation_periods
            )
        self.spot_interruptions = self._spot_interruptions(topic, spot_rule_name)

    def _workers_below_min(
        self, worker_group_name: str, evaluation_periods: int
    ) -> cloudwatch.Alarm:
        below_min = cloudwatch.MathExpression(
            expression="in_service - min_size",
            using_metrics={
                "in_service": _group_metric("GroupInServiceInstances", worker_group_name),
                "min_size": _group_metric("GroupMinSize", worker_group_name),
            },
            label="Workers in service above the minimum",
            period=cdk.Duration.minutes(5),
        )
        return self.add_alarm(
            "WorkersBelowMin",
            below_min,
            alarm_name=f"{worker_group_name}-below-min",
            description="Fewer Spark workers in service than the group's minimum",
            threshold=0,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _master_missing(self, master_group_name: str, evaluation_periods: int) -> cloudwatch.Alarm:
        return self.add_alarm(
            "MasterMissing",
            _group_metric("GroupInServiceInstances", master_group_name),
            alarm_name=f"{master_group_name}-missing",
            description="No Spark master in service: workers cannot register, jobs fail",
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )

    def _master_not_reporting(
        self, master_group_name: str, metrics: ClusterMetrics, evaluation_periods: int
    ) -> cloudwatch.Alarm:
        return self.add_alarm(
            "MasterNotReporting",
            metrics.metric(
                "CoresTotal",
                statistic=cloudwatch.Stats.SAMPLE_COUNT,
                period=cdk.Duration.minutes(5),
            ),
            alarm_name=f"{master_group_name}-not-reporting",
            description="The Spark master published no cluster metrics: the master or "
            "its publisher is down, and the workers no longer scale on load",
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )

    def _started_master_missing(
        self, master_group_name: str, evaluation_periods: int
    ) -> cloudwatch.Alarm:
        missing = cloudwatch.MathExpression(
            expression="in_service - desired",
            using_metrics={
                "in_service": _group_metric("GroupInServiceInstances", master_group_name),
                "desired": _group_metric("GroupDesiredCapacity", master_group_name),
            },
            label="Masters in service above the desired capacity",
            period=cdk.Duration.minutes(5),
        )
        return self.add_alarm(
            "MasterMissing",
            missing,
            alarm_name=f"{master_group_name}-missing",
            description="The Spark master was started but is not in service: workers cannot "
            "register, jobs fail",
            threshold=0,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _started_master_not_reporting(
        self, master_group_name: str, metrics: ClusterMetrics, evaluation_periods: int
    ) -> cloudwatch.Alarm:
        # 1 (fine) while no master is asked for; else the count of the master's reports, with
        # no report at all counted as 0 (FILL), so that silence alarms as it does always-on.
        reporting = cloudwatch.MathExpression(
            expression="IF(desired >= 1, FILL(reports, 0), 1)",
            using_metrics={
                "reports": metrics.metric(
                    "CoresTotal",
                    statistic=cloudwatch.Stats.SAMPLE_COUNT,
                    period=cdk.Duration.minutes(5),
                ),
                "desired": _group_metric("GroupDesiredCapacity", master_group_name),
            },
            label="Master's cluster metrics (1 while stopped)",
            period=cdk.Duration.minutes(5),
        )
        return self.add_alarm(
            "MasterNotReporting",
            reporting,
            alarm_name=f"{master_group_name}-not-reporting",
            description="The Spark master was started but published no cluster metrics: the "
            "master or its publisher is down, and the workers do not scale on load",
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _spot_interruptions(self, topic: AlarmTopic, spot_rule_name: str) -> events.Rule:
        instance = events.EventField.from_path("$.detail.instance-id")
        action = events.EventField.from_path("$.detail.instance-action")
        return events.Rule(
            self,
            "SpotInterruptions",
            rule_name=spot_rule_name,
            description="EC2 Spot interruption warnings (this account and Region) to the "
            "alarm topic",
            event_pattern=events.EventPattern(source=["aws.ec2"], detail_type=[SPOT_WARNING]),
            targets=[
                topic.event_rule_target(
                    spot_rule_name,
                    sid="AllowEventBridgeSpotWarnings",
                    message=events.RuleTargetInput.from_text(
                        f"Spot interruption warning for {instance} ({action}); Spark workers "
                        "decommission and migrate their blocks"
                    ),
                )
            ],
        )
