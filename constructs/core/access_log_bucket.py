"""The bucket that receives S3 server access logs for a stack's SecureBuckets."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.cfn import default_resource
from constructs.core.nag import skip_checkov
from constructs.core.removal import removal_policy
from platform_config.storage import StorageConfig


class AccessLogBucket(Construct):
    """Server access log destination: private, TLS-only, expiring, SSE-S3 encrypted.

    S3 delivers server access logs only to buckets encrypted with SSE-S3, not SSE-KMS, which is
    why this is the one bucket in the platform without a customer-managed key.
    """

    def __init__(self, scope: Construct, construct_id: str, *, storage: StorageConfig) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=float(storage.min_tls_version),
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=cdk.Duration.days(storage.access_logs_expiration_days),
                    noncurrent_version_expiration=cdk.Duration.days(
                        storage.noncurrent_version_expiration_days
                    ),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(
                        storage.abort_incomplete_multipart_upload_days
                    ),
                )
            ],
            removal_policy=removal_policy(storage),
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
