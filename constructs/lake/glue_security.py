"""GlueSecurityConfiguration: what Glue crawlers and jobs encrypt, and with which keys."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs import Construct
from constructs.core.bucket_grants import KEY_READ_WRITE
from constructs.core.encrypted_log_group import allow_cloudwatch_logs
from constructs.core.key import RotatingKey
from constructs.core.nag import acknowledge_wildcards

GLUE_LOG_GROUPS_REASON = (
    "Glue creates its log groups at run time under /aws-glue/, named after the role and the "
    "security configuration; no narrower ARN exists before the first run."
)


class GlueSecurityConfiguration(Construct):
    """S3 output with SSE-KMS and job bookmarks with client-side KMS, both under the lake key;
    CloudWatch Logs under a separate key that only CloudWatch Logs may use, because a log key's
    policy must trust the logs service and the lake key's should not.

    :param name: the security configuration's name.
    :param data_key: the lake key: encrypts S3 output and job bookmarks.
    :param removal_policy: what happens to the logs key when it leaves the stack.
        Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        data_key: kms.IKey,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.data_key = data_key
        self.logs_key = RotatingKey(
            self,
            "LogsKey",
            description="Encrypts the CloudWatch logs of the lake's Glue crawlers and jobs",
            removal_policy=removal_policy,
        )
        allow_cloudwatch_logs(self.logs_key)
        self.name = name
        self.configuration = glue.CfnSecurityConfiguration(
            self,
            "Resource",
            name=name,
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
                s3_encryptions=[
                    glue.CfnSecurityConfiguration.S3EncryptionProperty(
                        s3_encryption_mode="SSE-KMS", kms_key_arn=data_key.key_arn
                    )
                ],
                cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=self.logs_key.key_arn
                ),
                job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=data_key.key_arn
                ),
            ),
        )

    def grant_use(self, role: iam.Role) -> iam.Grant:
        """What a crawler's or job's role needs to work under this configuration."""
        grant = iam.Grant.add_to_principal(
            grantee=role, actions=list(KEY_READ_WRITE), resource_arns=[self.data_key.key_arn]
        )
        # Glue associates the logs key with the log groups it creates under /aws-glue/ on the
        # first run, whose names include the role and configuration names.
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=role,
                actions=["logs:AssociateKmsKey"],
                resource_arns=[glue_log_groups_arn(self)],
            )
        )
        acknowledge_wildcards(role, [glue_log_groups_arn(self)], GLUE_LOG_GROUPS_REASON)
        return grant


def glue_log_groups_arn(scope: Construct) -> str:
    """Every log group Glue writes to (they all live under `/aws-glue/`)."""
    return cdk.Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name="/aws-glue/*",
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
