"""LakeStorage: the lake's zone buckets, its query-results bucket and the one key they share."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.access_log_bucket import AccessLogBucket
from constructs.core.key import RotatingKey
from constructs.core.removal import removal_policy
from constructs.core.secure_bucket import SecureBucket
from platform_config.data_lake import ZoneLifecycle
from platform_config.storage import StorageConfig

_STORAGE_CLASSES: dict[str, s3.StorageClass] = {
    "STANDARD_IA": s3.StorageClass.INFREQUENT_ACCESS,
    "INTELLIGENT_TIERING": s3.StorageClass.INTELLIGENT_TIERING,
    "GLACIER_IR": s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
    "GLACIER": s3.StorageClass.GLACIER,
    "DEEP_ARCHIVE": s3.StorageClass.DEEP_ARCHIVE,
}


def transitions_of(lifecycle: ZoneLifecycle) -> list[s3.Transition]:
    """The config's transitions as CDK lifecycle transitions (config has checked S3's rules)."""
    return [
        s3.Transition(
            storage_class=_STORAGE_CLASSES[t.storage_class],
            transition_after=cdk.Duration.days(t.after_days),
        )
        for t in lifecycle.transitions
    ]


class LakeStorage(Construct):
    """Raw, curated and analytics zones plus Athena's results bucket, all SecureBuckets encrypted
    with one rotating lake key (so a consumer needs one key grant, not four), logging to one
    access-log bucket."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: StorageConfig,
        raw: ZoneLifecycle,
        curated: ZoneLifecycle,
        analytics: ZoneLifecycle,
        results_expiration_days: int,
        key_alias: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = RotatingKey(
            self,
            "LakeKey",
            description="Encrypts every zone of the data lake, Athena results and Glue output",
            alias=key_alias,
            removal_policy=removal_policy(storage),
        )
        self.access_logs = AccessLogBucket(self, "AccessLogs", storage=storage)

        def zone(zone_id: str, lifecycle: ZoneLifecycle) -> s3.IBucket:
            return SecureBucket(
                self,
                zone_id,
                storage=storage,
                access_logs=self.access_logs.bucket,
                encryption_key=self.key,
                transitions=transitions_of(lifecycle),
                expiration_days=lifecycle.expiration_days,
            ).bucket

        self.raw = zone("Raw", raw)
        self.curated = zone("Curated", curated)
        self.analytics = zone("Analytics", analytics)
        # Results are re-creatable copies of lake data: they expire, and are never tiered.
        self.athena_results = SecureBucket(
            self,
            "AthenaResults",
            storage=storage,
            access_logs=self.access_logs.bucket,
            encryption_key=self.key,
            expiration_days=results_expiration_days,
        ).bucket

    @property
    def zones(self) -> dict[str, s3.IBucket]:
        return {"raw": self.raw, "curated": self.curated, "analytics": self.analytics}
