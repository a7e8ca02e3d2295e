"""EC2 Auto Scaling: AWS::AutoScaling::ScheduledAction, named as CloudFormation names it.

moto's own model creates the action under the template's *logical ID* (not the
``ScheduledActionName`` property or a generated name), gives it no physical resource ID (so
ListStackResources shows it as if skipped and ``Ref`` is None) and never deletes it. The
Spark cluster's dev profile scales its workers to zero in the evening with one; this handler
overrides moto's model.
"""

from __future__ import annotations

from moto.autoscaling.models import AutoScalingBackend, autoscaling_backends

from ._base import Handler, as_int


class ScheduledAction(Handler):
    """Ref: the scheduled action's name (generated when the template names none)."""

    TYPE = "AWS::AutoScaling::ScheduledAction"
    NAME_PROPERTY = "ScheduledActionName"

    def _backend(self) -> AutoScalingBackend:
        return autoscaling_backends[self.account_id][self.region_name]

    def _action_name(self) -> str:
        return self.prop("ScheduledActionName") or self.name

    def create(self) -> None:
        group = self.require("AutoScalingGroupName")
        if group not in self._backend().autoscaling_groups:
            raise ValueError(f"Auto Scaling group {group} does not exist")
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
            scheduled_action_name=self._action_name(),
            start_time=self.prop("StartTime"),
            end_time=self.prop("EndTime"),
            recurrence=self.prop("Recurrence"),
            timezone=self.prop("TimeZone"),
        )
        self.physical_resource_id = self._action_name()

    def update_in_place(self, previous: Handler) -> bool:
        same = (self._action_name(), self.prop("AutoScalingGroupName")) == (
            previous._action_name(),  # type: ignore[attr-defined]
            previous.prop("AutoScalingGroupName"),
        )
        if not same:
            return False
        self.create()  # PutScheduledUpdateGroupAction overwrites an action of the same name
        return True

    def delete_resource(self) -> None:
        backend = self._backend()
        if self._action_name() in backend.scheduled_actions:
            backend.delete_scheduled_action(self.prop("AutoScalingGroupName"), self._action_name())
