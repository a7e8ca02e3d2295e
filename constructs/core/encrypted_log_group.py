"""EncryptedLogGroup: a CloudWatch Logs group with a set retention and a customer-managed key."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from constructs import Construct
from constructs.core.key import RotatingKey
from constructs.core.removal import removal_policy
from platform_config.base import LOG_RETENTION_DAYS
from platform_config.storage import StorageConfig


class EncryptedLogGroup(Construct):
    """A log group encrypted with its own rotating KMS key, usable only by CloudWatch Logs for
    log groups of this account and region (the key policy pins the encryption context)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retention_days: int,
        storage: StorageConfig,
        log_group_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = RotatingKey(
            self,
            "Key",
            description=f"Encrypts the {construct_id} log group",
            removal_policy=removal_policy(storage),
        )
        allow_cloudwatch_logs(self.key)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=log_group_name,
            encryption_key=self.key,
            retention=logs.RetentionDays[LOG_RETENTION_DAYS[retention_days]],
            removal_policy=removal_policy(storage),
        )


def allow_cloudwatch_logs(key: kms.Key) -> None:
    """Let CloudWatch Logs use `key`, only for log groups of the key's own account and region."""
    stack = cdk.Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsForThisAccountsLogGroups",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
