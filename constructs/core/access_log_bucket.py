"""The bucket that receives S3 server access logs for a stack's SecureBuckets."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.cfn import default_resource
from constructs.core.nag import skip_checkov
from constructs.core.secure_bucket import (
    DEFAULT_ABORT_MULTIPART_UPLOAD_DAYS,
    DEFAULT_MINIMUM_TLS_VERSION,
    DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS,
    check_minimum_tls_version,
)


class AccessLogBucket(Construct):
    """Server access log destination: private, TLS-only, versioned, expiring, SSE-S3 encrypted.

    S3 delivers server access logs only to buckets encrypted with SSE-S3, not SSE-KMS, which is
    why this is the one bucket in the platform without a customer-managed key.

    :param expiration_days: days after which log objects expire. Default: 365.
    :param removal_policy: what happens to the bucket when it leaves the stack. Default: RETAIN.
    :param minimum_tls_version: the oldest TLS version the bucket policy accepts, 1.2 or 1.3.
        Default: 1.2.
    :param noncurrent_version_expiration_days: days a replaced or deleted version is kept.
        Default: 90.
    :param abort_incomplete_multipart_upload_days: days before an unfinished multipart upload
        is aborted. Default: 7.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        expiration_days: int = 365,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        minimum_tls_version: float = DEFAULT_MINIMUM_TLS_VERSION,
        noncurrent_version_expiration_days: int = DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS,
        abort_incomplete_multipart_upload_days: int = DEFAULT_ABORT_MULTIPART_UPLOAD_DAYS,
    ) -> None:
        super().__init__(scope, construct_id)
        check_minimum_tls_version(minimum_tls_version)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=minimum_tls_version,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=cdk.Duration.days(expiration_days),
                    noncurrent_version_expiration=cdk.Duration.days(
                        noncurrent_version_expiration_days
                    ),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(
                        abort_incomplete_multipart_upload_days
                    ),
                )
            ],
            removal_policy=removal_policy,
        )
        cdk.Validations.of(default_resource(self.bucket)).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-S1",
                reason="This bucket is the server access log destination; logging it to itself "
                "would loop.",
            )
        )
        skip_checkov(
            self.bucket,
            {
                "CKV_AWS_18": "This bucket is the server access log destination of the stack's "
                "buckets; logging it to itself would loop."
            },
        )
