"""PlatformAlarms: the one way the platform makes a CloudWatch alarm, on the alarm factory of
cdk-monitoring-constructs (the library the dashboard is built on).

Every alarm, whether a stack's own (streaming, cluster, endpoint) or one the dashboard's facade
makes, comes from that library's `AlarmFactory` with the defaults of `alarm_factory_defaults`:
actions on, and the platform topic notified on ALARM and on OK.

Two things the factory does its own way, and why each alarm here still deploys as it was:

- **Construct ID.** The factory uses the alarm's name as the alarm's construct ID, so an alarm
  made through it would get a new logical ID, and a changed logical ID makes CloudFormation
  replace the alarm. Each alarm is therefore made inside a scope that carries the alarm's own
  construct ID, under the factory name "Default", which CDK leaves out of logical IDs: the
  logical ID is the one the hand-written alarm had, by construction rather than by a pinned
  string.
- **Name.** The factory names every alarm. Where an alarm has a name (the endpoint's rollback
  alarms, whose names the deployer passes to SageMaker, and the cluster's), that exact name is
  set on the alarm; where it never had one, the name is left out again, as before: naming an
  unnamed alarm would replace it on deploy, and fix one physical name for every profile.

What the factory adds to each alarm's template: `ActionsEnabled: true` (CloudWatch's default)
and `DatapointsToAlarm`, equal to `EvaluationPeriods` unless a caller sets it (CloudWatch reads
a missing value as exactly that). Neither changes when an alarm fires or whom it tells.

One alarm is not made here, on purpose: the Spark workers' step-scaling alarm
(constructs/cluster/scaling.py). CDK's `scale_on_metric` makes it inside the scaling policy and
wires it to the policy's step actions; the factory can only make a new alarm, not adopt that
one, so it stays with its policy and only gets the platform topic added as an alarm action.
"""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from cdk_monitoring_constructs import (
    AlarmFactory,
    AlarmFactoryDefaults,
    IAlarmActionStrategy,
    MetricFactoryDefaults,
    NoopAlarmActionStrategy,
    SnsAlarmActionStrategy,
)

from constructs import Construct
from constructs.core.alarm_topic import AlarmTopic

# CDK drops construct IDs named "Default" from logical IDs (and from the hash behind them).
_HIDDEN_ID = "Default"


def alarm_action(topic: AlarmTopic | None) -> IAlarmActionStrategy:
    """Notify `topic` on ALARM and on OK, so a quiet inbox means healthy, not unknown; with no
    topic, notify nobody."""
    if topic is None:
        return NoopAlarmActionStrategy()
    return SnsAlarmActionStrategy(on_alarm_topic=topic.topic, on_ok_topic=topic.topic)


def alarm_factory_defaults(topic: AlarmTopic | None, name_prefix: str) -> AlarmFactoryDefaults:
    """The platform's alarm defaults, for `PlatformAlarms` and for the dashboard's facade."""
    return AlarmFactoryDefaults(
        actions_enabled=True, alarm_name_prefix=name_prefix, action=alarm_action(topic)
    )


class PlatformAlarms(Construct):
    """Makes alarms with the monitoring library's alarm factory, each notifying `topic` on
    ALARM and on OK, with the logical ID and the name it would have had as a plain
    `cloudwatch.Alarm(self, construct_id, alarm_name=...)` (see the module docstring).

    :param topic: where every alarm notifies. Default: nobody.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, topic: AlarmTopic | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        self._defaults = alarm_factory_defaults(topic, name_prefix=construct_id)
        self.alarms: list[cloudwatch.Alarm] = []

    def add_alarm(
        self,
        construct_id: str,
        metric: cloudwatch.Metric | cloudwatch.MathExpression,
        *,
        description: str,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        evaluation_periods: int,
        treat_missing_data: cloudwatch.TreatMissingData,
        datapoints_to_alarm: int | None = None,
        alarm_name: str | None = None,
    ) -> cloudwatch.Alarm:
        """An alarm on `metric` (its own statistic and period), firing when `comparison` with
        `threshold` holds for `datapoints_to_alarm` (default: all) of `evaluation_periods`.

        :param alarm_name: its physical name. Default: none, CloudFormation generates one.
        """
        holder = Construct(self, construct_id)
        factory = AlarmFactory(
            holder,
            global_alarm_defaults=self._defaults,
            global_metric_defaults=MetricFactoryDefaults(),
            local_alarm_name_prefix=construct_id,
        )
        made = factory.add_alarm(
            metric,
            alarm_name_override=_HIDDEN_ID,
            alarm_name_suffix=construct_id,
            alarm_description=description,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm or evaluation_periods,
            treat_missing_data=treat_missing_data,
        )
        alarm = made.alarm
        assert isinstance(alarm, cloudwatch.Alarm)  # a metric alarm, not a composite one
        resource = alarm.node.default_child
        assert isinstance(resource, cloudwatch.CfnAlarm)
        # The factory's name was only there to become the hidden construct ID.
        resource.alarm_name = alarm_name
        self.alarms.append(alarm)
        return alarm
