"""EC2 Auto Scaling: AWS::AutoScaling::ScheduledAction, named as CloudFormation names it.

moto's own model creates the action under the template's *logical ID* (not the
``ScheduledActionName`` property or a generated name), gives it no physical resource ID (so
ListStackResources shows it as if skipped and ``Ref`` is None) and never deletes it. The
Spark cluster's dev profile scales its workers to zero in the evening with one; this handler
overrides moto's model.
"""

from __future__ import annotations

from ._base import as_int
from .autoscaling import GroupSetting


class ScheduledAction(GroupSetting):
    """Ref: the scheduled action's name (generated when the template names none)."""

    TYPE = "AWS::AutoScaling::ScheduledAction"
    NAME_PROPERTY = "ScheduledActionName"

    def create(self) -> None:
        group = self.existing_group()
        sizes = [self.prop(k) for k in ("MinSize", "MaxSize", "DesiredCapacity")]
        if all(size is None for size in sizes):
            raise ValueError("set at least one of MinSize, MaxSize and DesiredCapacity")
        if not (self.prop("Recurrence") or self.prop("StartTime")):
            raise ValueError("set Recurrence or StartTime")
        self._backend().put_scheduled_update_group_action(
            name=group,
            desired_capacity=as_int(self.prop("DesiredCapacity")),
            max_size=as_int(self.prop("MaxSize")),
            min_size=as_int(self.prop("MinSize")),
            scheduled_action_name=self.setting_name(),
            start_time=self.prop("StartTime"),
            end_time=self.prop("EndTime"),
            recurrence=self.prop("Recurrence"),
            timezone=self.prop("TimeZone"),
        )
        self.physical_resource_id = self.setting_name()

    def delete_resource(self) -> None:
        backend = self._backend()
        if self.setting_name() in backend.scheduled_actions:
            backend.delete_scheduled_action(self.prop("AutoScalingGroupName"), self.setting_name())
