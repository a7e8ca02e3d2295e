"""EC2 Auto Scaling: AWS::AutoScaling::ScalingPolicy, and the base of the handlers of a
group's named settings (lifecycle hooks, scheduled actions)."""

from __future__ import annotations

from moto.autoscaling.models import AutoScalingBackend, autoscaling_backends

from ._base import Handler, as_int


def backend(handler: Handler) -> AutoScalingBackend:
    """The Auto Scaling backend of the handler's account and region."""
    return autoscaling_backends[handler.account_id][handler.region_name]


class GroupSetting(Handler):
    """A named setting of one Auto Scaling group: a lifecycle hook, a scheduled action.

    Its name is the template's ``NAME_PROPERTY`` or, as CloudFormation does, a generated one.
    Its Put API overwrites a setting of the same name, so an update that keeps the name and
    the group is done in place.
    """

    def _backend(self) -> AutoScalingBackend:
        return backend(self)

    def setting_name(self) -> str:
        return str(self.prop(self.NAME_PROPERTY) or self.name)

    def existing_group(self) -> str:
        """The template's AutoScalingGroupName, which must name a group that exists."""
        group = str(self.require("AutoScalingGroupName"))
        if group not in self._backend().autoscaling_groups:
            raise ValueError(f"Auto Scaling group {group} does not exist")
        return group

    def update_in_place(self, previous: Handler) -> bool:
        if not isinstance(previous, GroupSetting):
            return False
        same_key = (self.setting_name(), self.prop("AutoScalingGroupName")) == (
            previous.setting_name(),
            previous.prop("AutoScalingGroupName"),
        )
        if not same_key:
            return False
        self.create()  # the Put call overwrites the setting of the same name
        return True


class ScalingPolicy(Handler):
    """Ref and GetAtt Arn: the policy ARN. GetAtt PolicyName: the generated name."""

    TYPE = "AWS::AutoScaling::ScalingPolicy"
    ATTRIBUTES = frozenset({"Arn", "PolicyName"})

    def _backend(self) -> AutoScalingBackend:
        return backend(self)

    def _put(self, name: str) -> None:
        policy = self._backend().put_scaling_policy(
            name=name,
            policy_type=self.prop("PolicyType", "SimpleScaling"),
            metric_aggregation_type=self.prop("MetricAggregationType"),
            adjustment_type=self.prop("AdjustmentType"),
            as_name=self.require("AutoScalingGroupName"),
            min_adjustment_magnitude=self.prop("MinAdjustmentMagnitude"),
            scaling_adjustment=as_int(self.prop("ScalingAdjustment")),
            cooldown=as_int(self.prop("Cooldown")),
            target_tracking_config=self.prop("TargetTrackingConfiguration"),
            step_adjustments=self.prop("StepAdjustments"),
            estimated_instance_warmup=self.prop("EstimatedInstanceWarmup"),
            predictive_scaling_configuration=self.prop("PredictiveScalingConfiguration"),
        )
        self.physical_resource_id = policy.arn
        self.attributes = {"Arn": policy.arn, "PolicyName": policy.name}

    def create(self) -> None:
        self._put(self.name)

    def update_in_place(self, previous: Handler) -> bool:
        if self.prop("AutoScalingGroupName") != previous.prop("AutoScalingGroupName"):
            return False
        self._put(previous.attributes["PolicyName"])  # PutScalingPolicy overwrites by name
        return True

    def delete_resource(self) -> None:
        self._backend().delete_policy(self.attributes["PolicyName"])
