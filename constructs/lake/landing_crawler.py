"""LandingCrawler: catalogues files that reach the raw zone outside the stream."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.bucket_grants import KEY_READ, OBJECT_READ, grant_objects
from constructs.core.cfn import default_resource
from constructs.core.nag import acknowledge_wildcards
from constructs.lake.glue_security import GlueSecurityConfiguration

GLUE_SERVICE_ROLE_POLICY = "service-role/AWSGlueServiceRole"


class LandingCrawler(Construct):
    """A Glue crawler over `s3://<bucket>/<prefix>` into `database_name`, tables prefixed
    `table_prefix`, crawling only folders it has not seen (a daily `dt=` folder costs one
    folder's listing, not the whole history), under the lake's security configuration."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        bucket: s3.IBucket,
        prefix: str,
        database_name: str,
        table_prefix: str,
        schedule: str | None,
        security: GlueSecurityConfiguration,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = self._role(name, prefix)
        self._grant_landing_read(bucket, prefix)
        security.grant_use(self.role)
        self.name = name
        self.crawler = glue.CfnCrawler(
            self,
            "Resource",
            name=name,
            role=self.role.role_arn,
            database_name=database_name,
            table_prefix=table_prefix,
            description=f"Catalogues s3://<raw>/{prefix} (JSON lines, gzip) as {table_prefix}*",
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(path=f"s3://{bucket.bucket_name}/{prefix}")
                ]
            ),
            schedule=glue.CfnCrawler.ScheduleProperty(schedule_expression=schedule)
            if schedule
            else None,
            # Incremental crawls only add new folders; they require a LOG-only change policy,
            # which also means a crawl never rewrites or drops a table someone queries.
            recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(
                recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY"
            ),
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior="LOG", delete_behavior="LOG"
            ),
            configuration=json.dumps(
                {
                    "Version": 1.0,
                    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
                    "CreatePartitionIndex": True,
                },
                separators=(",", ":"),
            ),
            crawler_security_configuration=security.name,
        )
        self.crawler.node.add_dependency(security.configuration)

    def _role(self, name: str, prefix: str) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"The {name} crawler: read {prefix} in the raw zone, write the catalog",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(GLUE_SERVICE_ROLE_POLICY)
            ],
        )
        cdk.Validations.of(default_resource(role)).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSGlueServiceRole]",
                reason="AWS's own crawler policy: catalog writes, its /aws-glue/ log groups and "
                "metrics. It grants no S3 access to lake buckets; the scoped statements below do.",
            )
        )
        return role

    def _grant_landing_read(self, bucket: s3.IBucket, prefix: str) -> None:
        grant_objects(
            self.role,
            bucket,
            actions=OBJECT_READ,
            objects=[f"{prefix}*"],
            list_prefixes=True,
            key_actions=KEY_READ,
        )
        landing_objects = bucket.arn_for_objects(f"{prefix}*")
        acknowledge_wildcards(
            self.role,
            [landing_objects],
            reason=f"Read-only on the objects under {prefix}, whose names (dates, run ids) "
            "are only known when files arrive.",
        )
