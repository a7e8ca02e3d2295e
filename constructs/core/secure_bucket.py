"""SecureBucket: an S3 bucket with the platform's non-negotiable defaults."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.key import RotatingKey
from constructs.core.removal import removal_policy
from platform_config.storage import StorageConfig


class SecureBucket(Construct):
    """A private, versioned, KMS-encrypted, TLS-only bucket with access logs and lifecycle rules.

    Pass `encryption_key` to share one customer-managed key across related buckets (a lake's
    zones, say), so that consumers need a single key grant; otherwise the bucket gets its own
    key with rotation. The S3 bucket key is always on: it cuts KMS request costs by orders of
    magnitude for busy buckets.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: StorageConfig,
        access_logs: s3.IBucket,
        encryption_key: kms.IKey | None = None,
        transitions: Sequence[s3.Transition] = (),
        expiration_days: int | None = None,
        bucket_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key: kms.IKey = encryption_key or RotatingKey(
            self,
            "Key",
            description=f"Encrypts the {construct_id} bucket",
            removal_policy=removal_policy(storage),
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=float(storage.min_tls_version),
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=f"{cdk.Names.unique_id(self)}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="tiering-and-cleanup",
                    transitions=list(transitions) or None,
                    expiration=cdk.Duration.days(expiration_days) if expiration_days else None,
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
