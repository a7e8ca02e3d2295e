"""Application Auto Scaling: ScalableTarget and ScalingPolicy."""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling.models import (
    ApplicationAutoscalingBackend,
    applicationautoscaling_backends,
)

from ._base import Handler, as_int

# Service-linked role that Application Auto Scaling uses when the template names no RoleARN.
_SERVICE_LINKED_ROLES = {
    "sagemaker": "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
    "dynamodb": "aws-service-role/dynamodb.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
    "ecs": "aws-service-role/ecs.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_ECSService",
}

_GENERIC_LINKED_ROLE = "AWSServiceRoleForApplicationAutoScaling"

_POLICY_CONFIGURATIONS = {
    "StepScaling": "StepScalingPolicyConfiguration",
    "TargetTrackingScaling": "TargetTrackingScalingPolicyConfiguration",
    "PredictiveScaling": "PredictiveScalingPolicyConfiguration",
}


def _backend(handler: Handler) -> ApplicationAutoscalingBackend:
    return applicationautoscaling_backends[handler.account_id][handler.region_name]


def scalable_target_id(resource_id: str, dimension: str, namespace: str) -> str:
    """What CloudFormation's Ref returns for a scalable target."""
    return f"{resource_id}|{dimension}|{namespace}"


class ScalableTarget(Handler):
    """Ref and GetAtt Id: ``ResourceId|ScalableDimension|ServiceNamespace``."""

    TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"
    ATTRIBUTES = frozenset({"Id"})

    def _key(self) -> tuple[str, str, str]:
        return (
            self.require("ServiceNamespace"),
            self.require("ResourceId"),
            self.require("ScalableDimension"),
        )

    def _register(self) -> None:
        namespace, resource_id, dimension = self._key()
        linked_role = _SERVICE_LINKED_ROLES.get(
            namespace, "AWSServiceRoleForApplicationAutoScaling"
        )
        role = self.prop("RoleARN") or self.arn("iam", f"role/{linked_role}", region=False)
        _backend(self).register_scalable_target(
            namespace=namespace,
            r_id=resource_id,
            dimension=dimension,
            min_capacity=as_int(self.require("MinCapacity")),
            max_capacity=as_int(self.require("MaxCapacity")),
            role_arn=role,
            suspended_state=self.prop("SuspendedState"),
        )
        for action in self.prop("ScheduledActions", []):
            _backend(self).put_scheduled_action(
                service_namespace=namespace,
                schedule=action["Schedule"],
                timezone=action.get("Timezone"),
                scheduled_action_name=action["ScheduledActionName"],
                resource_id=resource_id,
                scalable_dimension=dimension,
                start_time=action.get("StartTime"),
                end_time=action.get("EndTime"),
                scalable_target_action=action.get("ScalableTargetAction"),
            )
        self.physical_resource_id = scalable_target_id(resource_id, dimension, namespace)
        self.attributes = {"Id": self.physical_resource_id}

    def create(self) -> None:
        self._register()

    def update_in_place(self, previous: Handler) -> bool:
        if self._key() != previous._key():  # type: ignore[attr-defined]
            return False
        for action in previous.prop("ScheduledActions", []):
            self._delete_scheduled_action(action)
        self._register()  # RegisterScalableTarget updates an existing target
        return True

    def _delete_scheduled_action(self, action: dict[str, Any]) -> None:
        namespace, resource_id, dimension = self._key()
        _backend(self).delete_scheduled_action(
            namespace, action["ScheduledActionName"], resource_id, dimension
        )

    def delete_resource(self) -> None:
        namespace, resource_id, dimension = self._key()
        for action in self.prop("ScheduledActions", []):
            self._delete_scheduled_action(action)
        if resource_id in _backend(self).targets.get(dimension, {}):
            _backend(self).deregister_scalable_target(namespace, resource_id, dimension)


class ScalingPolicy(Handler):
    """Ref and GetAtt Arn: the policy ARN."""

    TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"
    ATTRIBUTES = frozenset({"Arn"})

    def _target(self) -> tuple[str, str, str]:
        """(namespace, resource ID, dimension), from ScalingTargetId or the three properties."""
        if self.prop("ScalingTargetId"):
            resource_id, dimension, namespace = self.prop("ScalingTargetId").split("|")
            return namespace, resource_id, dimension
        return (
            self.require("ServiceNamespace"),
            self.require("ResourceId"),
            self.require("ScalableDimension"),
        )

    def _put(self) -> None:
        namespace, resource_id, dimension = self._target()
        policy_type = self.require("PolicyType")
        body = self.prop(_POLICY_CONFIGURATIONS.get(policy_type, ""), {})
        policy = _backend(self).put_scaling_policy(
            policy_name=self.require("PolicyName"),
            service_namespace=namespace,
            resource_id=resource_id,
            scalable_dimension=dimension,
            policy_body=body,
            policy_type=policy_type,
        )
        self.physical_resource_id = policy.policy_arn
        self.attributes = {"Arn": policy.policy_arn}

    def create(self) -> None:
        self._put()

    def update_in_place(self, previous: Handler) -> bool:
        if (self.prop("PolicyName"), self._target()) != (
            previous.prop("PolicyName"),
            previous._target(),  # type: ignore[attr-defined]
        ):
            return False
        self._put()  # PutScalingPolicy replaces a policy of the same name
        return True

    def delete_resource(self) -> None:
        namespace, resource_id, dimension = self._target()
        backend = _backend(self)
        if any(p.policy_arn == self.physical_resource_id for p in backend.policies.values()):
            backend.delete_scaling_policy(
                self.prop("PolicyName"), namespace, resource_id, dimension
            )
