"""LakeWorkgroup: the Athena workgroup every lake query runs in, with its settings enforced."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs import Construct

ENGINE_VERSION = "Athena engine version 3"


class LakeWorkgroup(Construct):
    """Engine v3; results SSE-KMS encrypted in the results bucket; a per-query scan cutoff; and
    EnforceWorkGroupConfiguration, so a client cannot send results elsewhere, unencrypted, or
    lift the cutoff."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        results_bucket: s3.IBucket,
        results_key: kms.IKey,
        bytes_scanned_cutoff_per_query: int,
        delete_with_stack: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        self.workgroup = athena.CfnWorkGroup(
            self,
            "Resource",
            name=name,
            description="Queries over the data lake; results encrypted with the lake key",
            state="ENABLED",
            # Deleting a workgroup that still has saved queries fails unless this is set.
            recursive_delete_option=delete_with_stack,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version=ENGINE_VERSION
                ),
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                requester_pays_enabled=False,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff_per_query,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{results_bucket.bucket_name}/",
                    expected_bucket_owner=cdk.Aws.ACCOUNT_ID,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=results_key.key_arn
                    ),
                ),
            ),
        )
