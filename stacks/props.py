"""The one place where config sections become the plain props that constructs take.

Constructs never read config (a rule of the house): they take a removal policy, a retention
and bucket lifecycle values, each with a secure default. Every stack maps its config through the
functions here, so a config key reaches a construct prop one way only.
"""

from __future__ import annotations

from typing import TypedDict

import aws_cdk as cdk
from aws_cdk import aws_logs as logs

from constructs.core.secure_bucket import BucketDefaults
from platform_config import PlatformConfig
from platform_config.base import LOG_RETENTION_DAYS
from platform_config.storage import StorageConfig


def removal_policy(storage: StorageConfig) -> cdk.RemovalPolicy:
    """RETAIN unless the profile explicitly opts in to DESTROY (config forbids it in production).

    There is deliberately no auto-delete: that needs a Lambda-backed custom resource, and a
    bucket that still holds data should stop a stack deletion rather than be emptied by it.
    """
    if storage.removal_policy == "destroy":
        return cdk.RemovalPolicy.DESTROY
    return cdk.RemovalPolicy.RETAIN


def log_retention(days: int) -> logs.RetentionDays:
    """CDK's RetentionDays member for a number of days that config has already validated."""
    # jsii exposes RetentionDays by member name, not by value, hence the name table.
    return logs.RetentionDays[LOG_RETENTION_DAYS[days]]


def bucket_defaults(storage: StorageConfig) -> BucketDefaults:
    """The storage section as bucket props: `SecureBucket(..., **bucket_defaults(storage))`."""
    return BucketDefaults(
        removal_policy=removal_policy(storage),
        minimum_tls_version=float(storage.min_tls_version),
        noncurrent_version_expiration_days=storage.noncurrent_version_expiration_days,
        abort_incomplete_multipart_upload_days=storage.abort_incomplete_multipart_upload_days,
    )


class LogProps(TypedDict):
    """The props of a construct that writes its own encrypted log group (PythonFunction,
    FirehoseToLake, ProvisionedKafkaCluster, ApprovalDeployer)."""

    log_retention: logs.RetentionDays
    removal_policy: cdk.RemovalPolicy


def log_props(config: PlatformConfig) -> LogProps:
    """The profile's log retention and removal policy: `PythonFunction(..., **log_props(c))`."""
    return LogProps(
        log_retention=log_retention(config.log_retention_days),
        removal_policy=removal_policy(config.storage),
    )
