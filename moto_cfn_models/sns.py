"""SNS: AWS::SNS::Subscription and AWS::SNS::TopicPolicy."""

from __future__ import annotations

import json

from moto.sns.models import SNSBackend, sns_backends

from ._base import Handler

# Subscription properties that are subscription attributes in the SNS API.
_ATTRIBUTE_PROPERTIES = (
    "DeliveryPolicy",
    "FilterPolicyScope",  # before FilterPolicy: moto validates the policy against the scope
    "FilterPolicy",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)


def _backend(handler: Handler, arn: str | None = None) -> SNSBackend:
    region = arn.split(":")[3] if arn else handler.region_name
    return sns_backends[handler.account_id][region]


def _as_attribute(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


class Subscription(Handler):
    """Ref: the subscription ARN. GetAtt: Arn."""

    TYPE = "AWS::SNS::Subscription"
    ATTRIBUTES = frozenset({"Arn"})

    def _set_attributes(self) -> None:
        backend = _backend(self, self.physical_resource_id)
        for key in _ATTRIBUTE_PROPERTIES:
            if self.prop(key) is not None:
                backend.set_subscription_attributes(
                    self.physical_resource_id, key, _as_attribute(self.prop(key))
                )

    def create(self) -> None:
        topic_arn = self.require("TopicArn")
        subscription = _backend(self, topic_arn).subscribe(
            topic_arn, self.prop("Endpoint"), self.require("Protocol")
        )
        self.physical_resource_id = subscription.arn
        self.attributes = {"Arn": subscription.arn}
        self._set_attributes()

    def update_in_place(self, previous: Handler) -> bool:
        for replacement_property in ("TopicArn", "Endpoint", "Protocol", "Region"):
            if self.prop(replacement_property) != previous.prop(replacement_property):
                return False
        self.physical_resource_id = previous.physical_resource_id
        self.attributes = dict(previous.attributes)
        self._set_attributes()
        return True

    def delete_resource(self) -> None:
        _backend(self, self.physical_resource_id).unsubscribe(self.physical_resource_id)


class TopicPolicy(Handler):
    """Ref: a generated ID. GetAtt: Id."""

    TYPE = "AWS::SNS::TopicPolicy"
    ATTRIBUTES = frozenset({"Id"})

    def create(self) -> None:
        document = json.dumps(self.require("PolicyDocument"))
        for topic_arn in self.require("Topics"):
            _backend(self, topic_arn).set_topic_attribute(topic_arn, "policy", document)
        self.attributes = {"Id": self.physical_resource_id}

    def update_in_place(self, previous: Handler) -> bool:
        return self.recreate_over(previous)

    def delete_resource(self) -> None:
        # Deleting the policy gives each topic back its default policy, as SNS does.
        for topic_arn in self.require("Topics"):
            backend = _backend(self, topic_arn)
            topic = backend.topics.get(topic_arn)
            if topic is not None:
                topic._policy_json = topic._create_default_topic_policy(
                    backend.region_name, topic.account_id, topic.name
                )
