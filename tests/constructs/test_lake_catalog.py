"""constructs/lake: LakeCatalog, ProjectedParquetTable (catalog.py) and LakeWorkgroup
(athena_workgroup.py), each built in a bare stack from props alone (no profile is parsed).

The buckets and key are imported references: they are other constructs' resources, and an
import adds nothing for cdk-nag to report, so a finding here is one of these constructs'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

import lake_schema
from constructs.core.cfn import default_resource
from constructs.lake.athena_workgroup import ENGINE_VERSION, LakeWorkgroup
from constructs.lake.catalog import (
    PARQUET_INPUT_FORMAT,
    PARQUET_SERDE,
    LakeCatalog,
    ProjectedParquetTable,
)
from lake_schema.layout import PARTITION_KEY
from tests.constructs.bare import bare_stack, synthesized

ZONES = ("raw", "curated", "analytics")
KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def catalog() -> tuple[Template, str, str]:
    """The three zone databases and one projected table in the raw one; returns the template
    and the logical IDs of the raw database and of the table."""
    app, stack = bare_stack()
    buckets = {zone: s3.Bucket.from_bucket_name(stack, zone, f"lake-{zone}") for zone in ZONES}
    catalog = LakeCatalog(
        stack,
        "Catalog",
        database_names={zone: f"lake_test_{zone}" for zone in ZONES},
        buckets=buckets,
    )
    table = ProjectedParquetTable(
        stack,
        "RawEvents",
        database=catalog.databases["raw"],
        database_name="lake_test_raw",
        schema=lake_schema.EVENTS,
        bucket=buckets["raw"],
        prefix="events/",
        start_date="2026-01-01",
        description="Events.",
    )
    template = synthesized(app, stack)  # cdk-nag clean (warnings included), or synth fails
    return (
        template,
        stack.get_logical_id(catalog.databases["raw"]),
        stack.get_logical_id(table.table),
    )


def test_one_database_per_zone_located_at_its_bucket(catalog: tuple[Template, str, str]) -> None:
    template, _, _ = catalog
    databases = template.find_resources("AWS::Glue::Database")
    inputs = {d["Properties"]["DatabaseInput"]["Name"]: d for d in databases.values()}
    assert sorted(inputs) == sorted(f"lake_test_{zone}" for zone in ZONES)
    for zone in ZONES:
        database_input = inputs[f"lake_test_{zone}"]["Properties"]["DatabaseInput"]
        assert database_input["LocationUri"] == f"s3://lake-{zone}/"


def test_table_is_parquet_projected_by_day_after_its_database(
    catalog: tuple[Template, str, str],
) -> None:
    template, database_id, table_id = catalog
    table: Mapping[str, Any] = template.find_resources("AWS::Glue::Table")[table_id]
    # The database name is a plain string, so only DependsOn orders the two.
    assert table["DependsOn"] == [database_id]
    table_input = table["Properties"]["TableInput"]
    assert table_input["Name"] == lake_schema.EVENTS.name
    assert table_input["TableType"] == "EXTERNAL_TABLE"
    parameters = table_input["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters[f"projection.{PARTITION_KEY}.type"] == "date"
    assert parameters[f"projection.{PARTITION_KEY}.range"] == "2026-01-01,NOW"
    assert parameters["storage.location.template"] == (
        f"s3://lake-raw/events/{PARTITION_KEY}=${{{PARTITION_KEY}}}/"
    )
    storage = table_input["StorageDescriptor"]
    assert storage["Location"] == "s3://lake-raw/events/"
    assert storage["InputFormat"] == PARQUET_INPUT_FORMAT
    assert storage["SerdeInfo"]["SerializationLibrary"] == PARQUET_SERDE
    assert [c["Name"] for c in storage["Columns"]] == [c.name for c in lake_schema.EVENTS.columns]
    assert [k["Name"] for k in table_input["PartitionKeys"]] == [PARTITION_KEY]


@pytest.mark.parametrize("delete_with_stack", [True, False])
def test_workgroup_enforces_encrypted_results_and_a_scan_cutoff(delete_with_stack: bool) -> None:
    app, stack = bare_stack()
    workgroup = LakeWorkgroup(
        stack,
        "Workgroup",
        name="lake",
        results_bucket=s3.Bucket.from_bucket_name(stack, "Results", "lake-results"),
        results_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN),
        bytes_scanned_cutoff_per_query=10_000_000_000,
        delete_with_stack=delete_with_stack,
    )
    assert default_resource(workgroup) is workgroup.workgroup
    template = synthesized(app, stack)  # cdk-nag clean (warnings included), or synth fails
    template.has_resource_properties(
        "AWS::Athena::WorkGroup",
        {
            "Name": "lake",
            "State": "ENABLED",
            "RecursiveDeleteOption": delete_with_stack,
            "WorkGroupConfiguration": Match.object_like(
                {
                    "EngineVersion": {"SelectedEngineVersion": ENGINE_VERSION},
                    "EnforceWorkGroupConfiguration": True,
                    "BytesScannedCutoffPerQuery": 10_000_000_000,
                    "ResultConfiguration": {
                        "OutputLocation": "s3://lake-results/",
                        "ExpectedBucketOwner": Match.any_value(),
                        "EncryptionConfiguration": {
                            "EncryptionOption": "SSE_KMS",
                            "KmsKey": KEY_ARN,
                        },
                    },
                }
            ),
        },
    )
