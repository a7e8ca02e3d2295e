"""LakeStorage: the lake's zone buckets, its query-results bucket and the one key they share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.access_log_bucket import AccessLogBucket
from constructs.core.key import RotatingKey
from constructs.core.removal import removal_policy
from constructs.core.secure_bucket import SecureBucket
from platform_config.storage import StorageConfig


@dataclass(frozen=True)
class ZoneAging:
    """How one zone's current objects age (noncurrent versions follow the bucket defaults).

    :param transitions: storage-class transitions, in order. Default: none, objects stay in
        S3 Standard.
    :param expiration_days: days after which objects expire. Default: none, kept forever.
    """

    transitions: Sequence[s3.Transition] = ()
    expiration_days: int | None = None


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
        raw: ZoneAging | None = None,
        curated: ZoneAging | None = None,
        analytics: ZoneAging | None = None,
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

        def zone(zone_id: str, aging: ZoneAging | None) -> s3.IBucket:
            aging = aging or ZoneAging()
            return SecureBucket(
                self,
                zone_id,
                storage=storage,
                access_logs=self.access_logs.bucket,
                encryption_key=self.key,
                transitions=list(aging.transitions),
                expiration_days=aging.expiration_days,
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
