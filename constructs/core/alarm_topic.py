"""AlarmTopic: the SNS topic CloudWatch alarms notify, encrypted and TLS-only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

from constructs import Construct
from constructs.core.key import RotatingKey


class AlarmTopic(Construct):
    """An SNS topic under its own rotating KMS key, with a topic policy that denies anything
    but TLS, an email subscription per address (each address must confirm once) and an HTTPS
    subscription per endpoint.

    CloudWatch publishes alarm notifications as the `cloudwatch.amazonaws.com` service, so the
    topic policy lets that service publish and the key policy lets it use the key, both only
    for alarms in this account. EventBridge
    rules reach it through `event_rule_target`, which lets `events.amazonaws.com` publish and use
    the key only for the named rule of this account. The platform has one: AlertingStack's,
    which every other stack takes as a prop.

    :param topic_name: the topic's physical name.
    :param email_subscriptions: addresses to mail. Default: none.
    :param https_subscriptions: HTTPS endpoints to post to. Default: none.
    :param removal_policy: what happens to the key when the stack goes. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic_name: str,
        email_subscriptions: Sequence[str] = (),
        https_subscriptions: Sequence[str] = (),
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = RotatingKey(
            self,
            "Key",
            description=f"Encrypts the {topic_name} SNS topic",
            removal_policy=removal_policy,
        )
        self._allow_cloudwatch_alarms()
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=topic_name,
            master_key=self.key,
            enforce_ssl=True,
        )
        self._let_cloudwatch_alarms_publish()
        self._subscribe("Email", sns.SubscriptionProtocol.EMAIL, email_subscriptions)
        self._subscribe("Https", sns.SubscriptionProtocol.HTTPS, https_subscriptions)
        self.action = cloudwatch_actions.SnsAction(self.topic)

    def _allow_cloudwatch_alarms(self) -> None:
        """Let `cloudwatch.amazonaws.com` use the key, for alarms of this account only: it
        publishes alarm notifications as that service, not as a role of ours."""
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=self._alarms_of_this_account(),
            )
        )

    def _alarms_of_this_account(self) -> dict[str, Any]:
        """The conditions that limit `cloudwatch.amazonaws.com` to alarms of this account."""
        stack = cdk.Stack.of(self)
        return {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name="*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        }

    def _let_cloudwatch_alarms_publish(self) -> None:
        """A topic policy replaces SNS's default policy, so the CloudWatch service gets its own
        allow here; without it, every alarm action fails with "not authorized to perform
        SNS:Publish" (the key half alone is not enough)."""
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=self._alarms_of_this_account(),
            )
        )

    def _subscribe(
        self, id_prefix: str, protocol: sns.SubscriptionProtocol, endpoints: Sequence[str]
    ) -> None:
        """One subscription per endpoint; construct IDs `{id_prefix}{index}` (their logical IDs
        are deployed, so the scheme stays)."""
        for index, endpoint in enumerate(endpoints):
            sns.Subscription(
                self, f"{id_prefix}{index}", topic=self.topic, protocol=protocol, endpoint=endpoint
            )

    def event_rule_target(
        self, rule_name: str, *, sid: str, message: events.RuleTargetInput | None = None
    ) -> events.IRuleTarget:
        """A target that sends the EventBridge rule `rule_name` (of this account and Region) to
        the topic, with a topic-policy and a key-policy statement (`sid`) that let
        `events.amazonaws.com` publish and use the key for that rule only.

        `targets.SnsTopic` on the topic itself would grant `events.amazonaws.com` publish and
        the key with no condition at all, so any account's rule that knew the ARN could use
        them. The target gets an imported reference instead, on which its grant is a no-op, and
        the conditions go here. The rule's ARN is built from its name, not referenced: a
        reference would make key, topic and rule depend on each other across stacks.
        """
        stack = cdk.Stack.of(self)
        conditions = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnEquals": {
                "aws:SourceArn": stack.format_arn(
                    service="events", resource="rule", resource_name=rule_name
                )
            },
        }
        service = iam.ServicePrincipal("events.amazonaws.com")
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[service],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=conditions,
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[service],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=conditions,
            )
        )
        reference = sns.Topic.from_topic_arn(self, f"RuleTarget{sid}", self.topic.topic_arn)
        return targets.SnsTopic(reference, message=message)
