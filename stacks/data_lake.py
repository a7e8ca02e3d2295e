"""DataLakeStack: S3 zones, the Glue Data Catalog, the landing crawler, the curation job, the
Athena workgroup with its saved queries, and (by config) Lake Formation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

import lake_schema
from constructs import Construct
from constructs.lake.athena_workgroup import LakeWorkgroup
from constructs.lake.catalog import LakeCatalog, ProjectedParquetTable
from constructs.lake.glue_etl_job import BucketAccess, GlueEtlJob, JobCode, JobRuns
from constructs.lake.glue_security import GlueSecurityConfiguration
from constructs.lake.lake_formation import (
    TABLE_READ,
    TABLE_WRITE,
    LakeFormationSetup,
    LakeFormationTableGrant,
    grant_landing_and_curation,
)
from constructs.lake.landing_crawler import LandingCrawler
from constructs.lake.named_queries import LakeNamedQueries
from constructs.lake.storage import LakeStorage, ZoneAging
from lake_schema.layout import LAKE_LAYOUT, LakeLayout
from platform_config import PlatformConfig
from platform_config.data_lake import ZoneLifecycle
from stacks.platform_stack import PlatformStack
from stacks.props import bucket_defaults, removal_policy

__all__ = ["LAKE_LAYOUT", "TABLE_READ", "TABLE_WRITE", "DataLakeStack", "LakeLayout"]

REPO_ROOT = Path(__file__).resolve().parent.parent
ETL_DIR = REPO_ROOT / "etl"
LANDING_TABLE_PREFIX = "landing_"
ZONES = ("raw", "curated", "analytics")


_STORAGE_CLASSES: dict[str, s3.StorageClass] = {
    "STANDARD_IA": s3.StorageClass.INFREQUENT_ACCESS,
    "INTELLIGENT_TIERING": s3.StorageClass.INTELLIGENT_TIERING,
    "GLACIER_IR": s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
    "GLACIER": s3.StorageClass.GLACIER,
    "DEEP_ARCHIVE": s3.StorageClass.DEEP_ARCHIVE,
}


def _aging(lifecycle: ZoneLifecycle) -> ZoneAging:
    """A zone's lifecycle from config as LakeStorage's props (config has checked S3's rules)."""
    transitions = [
        s3.Transition(
            storage_class=_STORAGE_CLASSES[t.storage_class],
            transition_after=cdk.Duration.days(t.after_days),
        )
        for t in lifecycle.transitions
    ]
    return ZoneAging(transitions=transitions, expiration_days=lifecycle.expiration_days)


class DataLakeStack(PlatformStack):
    """The lake every other stack reads from or writes to. Its attributes are the interface:
    buckets and key as CDK objects, catalog and workgroup names as plain strings, prefixes in
    `layout`."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PlatformConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            config=config,
            name_suffix="data-lake",
            description="Data and ML platform: S3 lake zones, Glue catalog, crawler and ETL, "
            "Athena workgroup, Lake Formation",
        )
        lake = config.data_lake
        self.layout: LakeLayout = LAKE_LAYOUT
        self.events_table_name: str = lake_schema.EVENTS.name
        storage = self._add_storage()
        catalog = self._catalog(storage.zones)
        security = GlueSecurityConfiguration(
            self,
            "GlueSecurity",
            name=f"{config.name_prefix}-lake",
            data_key=self.lake_key,
            removal_policy=removal_policy(config.storage),
        )
        self._add_crawler(security, catalog)
        self._add_etl_job(security)
        self._add_athena()
        self.lake_formation: LakeFormationSetup | None = None
        if lake.lake_formation.enabled:
            self._add_lake_formation(storage.zones, catalog)
        self._outputs()

    def _add_storage(self) -> LakeStorage:
        config, lake = self.config, self.config.data_lake
        storage = LakeStorage(
            self,
            "Storage",
            raw=_aging(lake.zones.raw),
            curated=_aging(lake.zones.curated),
            analytics=_aging(lake.zones.analytics),
            results_expiration_days=lake.athena.results_expiration_days,
            key_alias=f"alias/{config.name_prefix}-lake",
            access_logs_expiration_days=config.storage.access_logs_expiration_days,
            **bucket_defaults(config.storage),
        )
        self.lake_key: kms.IKey = storage.key
        self.raw_bucket: s3.IBucket = storage.raw
        self.curated_bucket: s3.IBucket = storage.curated
        self.analytics_bucket: s3.IBucket = storage.analytics
        self.athena_results_bucket: s3.IBucket = storage.athena_results
        return storage

    def _catalog(self, zones: Mapping[str, s3.IBucket]) -> LakeCatalog:
        lake, schema = self.config.data_lake, lake_schema.EVENTS
        profile = self.config.profile.replace("-", "_")
        database_names = {zone: f"{lake.database_prefix}_{profile}_{zone}" for zone in ZONES}
        self.raw_database_name: str = database_names["raw"]
        self.curated_database_name: str = database_names["curated"]
        self.analytics_database_name: str = database_names["analytics"]
        catalog = LakeCatalog(self, "Catalog", database_names=database_names, buckets=zones)
        self.raw_events_table = ProjectedParquetTable(
            self,
            "RawEvents",
            database=catalog.databases["raw"],
            database_name=self.raw_database_name,
            schema=schema,
            bucket=self.raw_bucket,
            prefix=self.layout.events,
            start_date=lake.events_start_date,
            description=f"{schema.description} As delivered by Firehose (Parquet).",
        )
        self.curated_events_table = ProjectedParquetTable(
            self,
            "CuratedEvents",
            database=catalog.databases["curated"],
            database_name=self.curated_database_name,
            schema=schema,
            bucket=self.curated_bucket,
            prefix=self.layout.events,
            start_date=lake.events_start_date,
            description=f"{schema.description} Validated and deduplicated by the ETL job.",
        )
        return catalog

    def _add_crawler(self, security: GlueSecurityConfiguration, catalog: LakeCatalog) -> None:
        schema = lake_schema.EVENTS
        self.crawler = LandingCrawler(
            self,
            "LandingCrawler",
            name=f"{self.config.name_prefix}-landing-{schema.name}",
            bucket=self.raw_bucket,
            prefix=self.layout.landing_events,
            database_name=self.raw_database_name,
            table_prefix=LANDING_TABLE_PREFIX,
            schedule=self.config.data_lake.crawler.schedule,
            security=security,
        )
        self.crawler.crawler.node.add_dependency(catalog.databases["raw"])

    def _add_etl_job(self, security: GlueSecurityConfiguration) -> None:
        schema, settings = lake_schema.EVENTS, self.config.data_lake.etl_job
        self.etl_job = GlueEtlJob(
            self,
            "EtlJob",
            name=f"{self.config.name_prefix}-{schema.name}-curation",
            description=f"Validates, deduplicates and partitions raw {schema.name} into curated",
            code=JobCode(
                script=ETL_DIR / "glue_job.py",
                python_modules=[ETL_DIR / "events_transform.py"],
                file_arguments={"--schema_file": schema.source_path},
            ),
            runs=JobRuns(
                worker_type=settings.worker_type,
                number_of_workers=settings.number_of_workers,
                execution_class=settings.execution_class,
                timeout_minutes=settings.timeout_minutes,
                max_retries=settings.max_retries,
                schedule=settings.schedule,
            ),
            security=security,
            data_access=[
                BucketAccess(self.raw_bucket, [self.layout.events, self.layout.landing_events]),
                BucketAccess(
                    self.curated_bucket,
                    [self.layout.events, self.layout.quarantine_events],
                    write=True,
                ),
            ],
            catalog_tables={
                self.raw_database_name: [schema.name],
                self.curated_database_name: [schema.name],
            },
            # The script's own arguments; see the top of etl/glue_job.py.
            arguments={
                "--raw_bucket": self.raw_bucket.bucket_name,
                "--curated_bucket": self.curated_bucket.bucket_name,
                "--table": schema.name,
                "--max_clock_skew_hours": str(settings.max_clock_skew_hours),
            },
        )

    def _add_athena(self) -> None:
        athena = self.config.data_lake.athena
        workgroup = LakeWorkgroup(
            self,
            "Workgroup",
            name=f"{self.config.name_prefix}-lake",
            results_bucket=self.athena_results_bucket,
            results_key=self.lake_key,
            bytes_scanned_cutoff_per_query=athena.bytes_scanned_cutoff_per_query,
            delete_with_stack=self.config.storage.removal_policy == "destroy",
        )
        self.athena_workgroup_name: str = workgroup.name
        LakeNamedQueries(
            self,
            "Queries",
            workgroup=workgroup.workgroup,
            schema=lake_schema.EVENTS,
            raw_database=self.raw_database_name,
            curated_database=self.curated_database_name,
            analytics_bucket=self.analytics_bucket.bucket_name,
            late_arrival_hours=athena.late_arrival_hours,
            training_window_days=athena.training_window_days,
        )

    def _add_lake_formation(self, zones: Mapping[str, s3.IBucket], catalog: LakeCatalog) -> None:
        self.lake_formation = LakeFormationSetup(
            self,
            "LakeFormation",
            admins=self.config.data_lake.lake_formation.admins,
            locations=zones,
            key=self.lake_key,
        )
        grant_landing_and_curation(
            self,
            crawler_role=self.crawler.role,
            job_role=self.etl_job.role,
            raw_bucket=self.raw_bucket,
            raw_database_name=self.raw_database_name,
            curated_database_name=self.curated_database_name,
            table_name=self.events_table_name,
            after=(self.lake_formation, catalog, self.raw_events_table, self.curated_events_table),
        )

    def _outputs(self) -> None:
        for output_id, value in {
            "RawBucketName": self.raw_bucket.bucket_name,
            "CuratedBucketName": self.curated_bucket.bucket_name,
            "AnalyticsBucketName": self.analytics_bucket.bucket_name,
            "AthenaResultsBucketName": self.athena_results_bucket.bucket_name,
            "LakeKeyArn": self.lake_key.key_arn,
            "AthenaWorkgroupName": self.athena_workgroup_name,
            "EtlJobName": self.etl_job.name,
            "LandingCrawlerName": self.crawler.name,
        }.items():
            cdk.CfnOutput(self, output_id, value=value)

    def grant_lake_formation_table(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role: iam.IRole,
        database_name: str,
        table_name: str,
        permissions: Sequence[str] = TABLE_READ,
    ) -> LakeFormationTableGrant | None:
        """Grant `role` Lake Formation `permissions` on one lake table, created in `scope`.

        Call it from the consumer's stack with a scope in that stack (the ML stack for its
        training role, say): the grant then lives beside the role and only names the lake's
        database and table, so no reference points back from the lake to the consumer. Returns
        None when Lake Formation is off for the profile; IAM grants are needed either way.
        """
        known = {
            self.raw_database_name,
            self.curated_database_name,
            self.analytics_database_name,
        }
        if database_name not in known:
            raise ValueError(
                f"grant_lake_formation_table: {database_name!r} is not a lake database; "
                f"allowed: {', '.join(sorted(known))}"
            )
        if self.lake_formation is None:
            return None
        grant = LakeFormationTableGrant(
            scope,
            construct_id,
            principal_arn=role.role_arn,
            database_name=database_name,
            table_name=table_name,
            permissions=permissions,
        )
        consumer = cdk.Stack.of(scope)
        if consumer is self:
            grant.node.add_dependency(self.lake_formation)
        else:
            # Across stacks a stack dependency orders the deploy (a node dependency would not).
            consumer.add_dependency(self, "Lake Formation admins and locations come first")
        return grant
