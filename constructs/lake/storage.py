"""LakeStorage: the lake's zone buckets, its query-results bucket and the one key they share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.access_log_bucket import AccessLogBucket
from constructs.core.key import RotatingKey
from constructs.core.secure_bucket import (
    DEFAULT_ABORT_MULTIPART_UPLOAD_DAYS,
    DEFAULT_MINIMUM_TLS_VERSION,
    DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS,
    BucketDefaults,
    SecureBucket,
)


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
    access-log bucket.

    Consumers in other stacks take a zone as an `s3.IBucket` and get access through
    `constructs.core.bucket_grants.grant_objects`, which grants on the objects under given
    prefixes and on the lake key together: one way to grant, whoever holds the bucket.

    :param results_expiration_days: days after which Athena query results expire.
    :param key_alias: the lake key's alias.
    :param raw: how the raw zone's objects age. Default: kept in S3 Standard forever.
    :param curated: how the curated zone's objects age. Default: as `raw`.
    :param analytics: how the analytics zone's objects age. Default: as `raw`.
    :param access_logs_expiration_days: days after which server access logs expire.
        Default: 365.
    :param removal_policy: what happens to every bucket and the lake key when they leave the
        stack. Default: RETAIN.
    :param minimum_tls_version: the oldest TLS version every bucket accepts, 1.2 or 1.3.
        Default: 1.2.
    :param noncurrent_version_expiration_days: days a replaced or deleted object version is
        kept, in every bucket. Default: 90.
    :param abort_incomplete_multipart_upload_days: days before an unfinished multipart upload
        is aborted, in every bucket. Default: 7.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        results_expiration_days: int,
        key_alias: str,
        raw: ZoneAging | None = None,
        curated: ZoneAging | None = None,
        analytics: ZoneAging | None = None,
        access_logs_expiration_days: int = 365,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        minimum_tls_version: float = DEFAULT_MINIMUM_TLS_VERSION,
        noncurrent_version_expiration_days: int = DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS,
        abort_incomplete_multipart_upload_days: int = DEFAULT_ABORT_MULTIPART_UPLOAD_DAYS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = RotatingKey(
            self,
            "LakeKey",
            description="Encrypts every zone of the data lake, Athena results and Glue output",
            alias=key_alias,
            removal_policy=removal_policy,
        )
        # One set of bucket defaults for the access-log bucket and every zone.
        shared = BucketDefaults(
            removal_policy=removal_policy,
            minimum_tls_version=minimum_tls_version,
            noncurrent_version_expiration_days=noncurrent_version_expiration_days,
            abort_incomplete_multipart_upload_days=abort_incomplete_multipart_upload_days,
        )
        self.access_logs = AccessLogBucket(
            self, "AccessLogs", expiration_days=access_logs_expiration_days, **shared
        )

        def zone(zone_id: str, aging: ZoneAging | None) -> s3.IBucket:
            aging = aging or ZoneAging()
            return SecureBucket(
                self,
                zone_id,
                access_logs=self.access_logs.bucket,
                encryption_key=self.key,
                transitions=list(aging.transitions),
                expiration_days=aging.expiration_days,
                **shared,
            ).bucket

        self.raw = zone("Raw", raw)
        self.curated = zone("Curated", curated)
        self.analytics = zone("Analytics", analytics)
        # Results are re-creatable copies of lake data: they expire, and are never tiered.
        self.athena_results = SecureBucket(
            self,
            "AthenaResults",
            access_logs=self.access_logs.bucket,
            encryption_key=self.key,
            expiration_days=results_expiration_days,
            **shared,
        ).bucket

    @property
    def zones(self) -> dict[str, s3.IBucket]:
        return {"raw": self.raw, "curated": self.curated, "analytics": self.analytics}
