"""AlertingStack: the platform's one alarm topic, which every other stack's alarms notify."""

from __future__ import annotations

import aws_cdk as cdk

from constructs import Construct
from constructs.core.alarm_topic import AlarmTopic
from platform_config import PlatformConfig
from stacks.platform_stack import PlatformStack
from stacks.props import removal_policy


class AlertingStack(PlatformStack):
    """The platform alarm topic (SNS under a rotating KMS key, TLS-only) and its subscriptions
    from config's `alerting` section. It depends on no other stack, so every stack, low or high,
    takes `alarm_topic` as a prop without a dependency cycle."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PlatformConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            config=config,
            name_suffix="alerting",
            description="Data and ML platform: the alarm topic every stack's alarms notify",
        )
        alerting = config.alerting
        self.alarm_topic = AlarmTopic(
            self,
            "AlarmTopic",
            topic_name=f"{config.name_prefix}-platform-alarms",
            email_subscriptions=alerting.email_subscriptions,
            https_subscriptions=alerting.https_subscriptions,
            removal_policy=removal_policy(config.storage),
        )
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic.topic_arn)
