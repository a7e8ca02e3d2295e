"""constructs/lake: LakeNamedQueries (named_queries.py), built in a bare stack from props alone
(no profile is parsed), on a LakeWorkgroup whose bucket and key are imported references."""

from __future__ import annotations

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

import lake_schema
from constructs.lake.athena_workgroup import LakeWorkgroup
from constructs.lake.named_queries import LakeNamedQueries
from tests.constructs.bare import bare_stack, synthesized

KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def queries() -> tuple[Template, str]:
    """The three saved queries; returns the template and the workgroup's logical ID."""
    app, stack = bare_stack()
    workgroup = LakeWorkgroup(
        stack,
        "Workgroup",
        name="lake",
        results_bucket=s3.Bucket.from_bucket_name(stack, "Results", "lake-results"),
        results_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN),
        bytes_scanned_cutoff_per_query=10_000_000_000,
        delete_with_stack=False,
    )
    LakeNamedQueries(
        stack,
        "Queries",
        workgroup=workgroup.workgroup,
        schema=lake_schema.EVENTS,
        raw_database="lake_test_raw",
        curated_database="lake_test_curated",
        analytics_bucket="lake-analytics",
        late_arrival_hours=6,
        training_window_days=14,
    )
    template = synthesized(app, stack)  # cdk-nag clean, or synth fails
    return template, stack.get_logical_id(workgroup.workgroup)


def test_three_queries_in_the_lake_workgroup(queries: tuple[Template, str]) -> None:
    template, workgroup_id = queries
    named = template.find_resources("AWS::Athena::NamedQuery")
    assert len(named) == 3
    for query in named.values():
        assert query["Properties"]["WorkGroup"] == {"Ref": workgroup_id}


def test_each_query_targets_its_database(queries: tuple[Template, str]) -> None:
    template, _ = queries
    table = lake_schema.EVENTS.name
    by_name = {
        q["Properties"]["Name"]: q["Properties"]
        for q in template.find_resources("AWS::Athena::NamedQuery").values()
    }
    assert by_name[f"{table}-per-day"]["Database"] == "lake_test_curated"
    assert by_name[f"{table}-late-arrivals"]["Database"] == "lake_test_raw"
    assert "6 h" in by_name[f"{table}-late-arrivals"]["Description"]
    export = by_name[f"{table}-training-export"]
    assert export["Database"] == "lake_test_curated"
    assert "lake-analytics" in export["QueryString"]
    assert "lake_test_curated" in export["QueryString"]
