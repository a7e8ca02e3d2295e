"""EC2 Auto Scaling: AWS::AutoScaling::ScalingPolicy."""

from __future__ import annotations

from moto.autoscaling.models import AutoScalingBackend, autoscaling_backends

from ._base import Handler, as_int


class ScalingPolicy(Handler):
    """Ref and GetAtt Arn: the policy ARN. GetAtt PolicyName: the generated name."""

    TYPE = "AWS::AutoScaling::ScalingPolicy"
    ATTRIBUTES = frozenset({"Arn", "PolicyName"})

    def _backend(self) -> AutoScalingBackend:
        return autoscaling_backends[self.account_id][self.region_name]

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
