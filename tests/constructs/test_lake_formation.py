"""constructs/lake: the LakeFormation* constructs (lake_formation.py), each built in a bare stack
from props alone (no profile is parsed). Buckets and the lake key are imported references."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs.lake.lake_formation import (
    TABLE_READ,
    TABLE_WRITE,
    LakeFormationDatabaseGrant,
    LakeFormationDataLocationGrant,
    LakeFormationSetup,
    LakeFormationTableGrant,
)
from tests.constructs.bare import bare_stack, synthesized

KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
ADMIN = "arn:aws:iam::111111111111:role/lake-admin"
PRINCIPAL = "arn:aws:iam::111111111111:role/consumer"
ZONES = ("raw", "curated")


def _grants(template: Any) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for r in template.find_resources("AWS::LakeFormation::PrincipalPermissions").values()
    ]


def test_setup_appends_admins_and_registers_each_zone_with_its_own_role() -> None:
    app, stack = bare_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    buckets = {zone: s3.Bucket.from_bucket_name(stack, zone, f"lake-{zone}") for zone in ZONES}
    setup = LakeFormationSetup(stack, "LakeFormation", admins=[ADMIN], locations=buckets, key=key)
    template = synthesized(app, stack)  # cdk-nag clean, or synth fails
    settings_id = stack.get_logical_id(setup.settings)
    role_id = stack.get_logical_id(setup.registration_role.node.default_child)  # type: ignore[arg-type]

    (settings,) = template.find_resources("AWS::LakeFormation::DataLakeSettings").values()
    assert settings["Properties"]["MutationType"] == "APPEND"
    admins = settings["Properties"]["Admins"]
    assert admins[0] == {"DataLakePrincipalIdentifier": ADMIN}
    # The default synthesizer's CloudFormation execution role is appended as an admin.
    assert len(admins) == 2
    assert "cfn-exec-role" in str(admins[1])

    resources = template.find_resources("AWS::LakeFormation::Resource")
    assert len(resources) == len(ZONES)
    arns = set()
    for resource in resources.values():
        assert resource["Properties"]["UseServiceLinkedRole"] is False
        assert resource["Properties"]["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
        assert resource["DependsOn"] == [settings_id]
        arns.add(str(resource["Properties"]["ResourceArn"]))
    assert all(any(f"lake-{zone}" in arn for arn in arns) for zone in ZONES)

    role = template.find_resources("AWS::IAM::Role")[role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lakeformation.amazonaws.com"}
    statements = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    kms_statements = [s for s in statements if "kms:Decrypt" in s["Action"]]
    assert kms_statements
    assert all(s["Resource"] == KEY_ARN for s in kms_statements)
    object_statements = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert sorted(object_statements[0]["Action"]) == [
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:PutObject",
    ]


def test_table_grant_is_describe_on_database_and_permissions_on_the_table() -> None:
    app, stack = bare_stack()
    LakeFormationTableGrant(
        stack,
        "Grant",
        principal_arn=PRINCIPAL,
        database_name="lake_test_curated",
        table_name="events",
        permissions=TABLE_WRITE,
    )
    template = synthesized(app, stack)
    grants = _grants(template)
    assert len(grants) == 2
    database = next(g for g in grants if "Database" in g["Resource"])
    table = next(g for g in grants if "Table" in g["Resource"])
    assert database["Permissions"] == ["DESCRIBE"]
    assert database["Resource"]["Database"]["Name"] == "lake_test_curated"
    assert table["Permissions"] == list(TABLE_WRITE)
    assert table["Resource"]["Table"]["DatabaseName"] == "lake_test_curated"
    assert table["Resource"]["Table"]["Name"] == "events"
    for grant in grants:
        assert grant["Principal"] == {"DataLakePrincipalIdentifier": PRINCIPAL}
        assert grant["PermissionsWithGrantOption"] == []


def test_table_grant_defaults_to_read() -> None:
    app, stack = bare_stack()
    LakeFormationTableGrant(
        stack, "Grant", principal_arn=PRINCIPAL, database_name="db", table_name="events"
    )
    table = next(g for g in _grants(synthesized(app, stack)) if "Table" in g["Resource"])
    assert table["Permissions"] == list(TABLE_READ)


@pytest.mark.parametrize("permissions", [(), ("SELECT", "CREATE_TABLE")])
def test_table_grant_rejects_unknown_or_no_permissions(permissions: tuple[str, ...]) -> None:
    _, stack = bare_stack()
    with pytest.raises(ValueError, match="table permissions"):
        LakeFormationTableGrant(
            stack,
            "Grant",
            principal_arn=PRINCIPAL,
            database_name="db",
            table_name="events",
            permissions=permissions,
        )


def test_database_and_data_location_grants() -> None:
    app, stack = bare_stack()
    LakeFormationDatabaseGrant(
        stack,
        "Database",
        principal_arn=PRINCIPAL,
        database_name="lake_test_raw",
        permissions=("CREATE_TABLE", "DESCRIBE"),
    )
    LakeFormationDataLocationGrant(
        stack,
        "Location",
        principal_arn=PRINCIPAL,
        bucket=s3.Bucket.from_bucket_name(stack, "Raw", "lake-raw"),
    )
    grants = _grants(synthesized(app, stack))
    assert len(grants) == 2
    database = next(g for g in grants if "Database" in g["Resource"])
    location = next(g for g in grants if "DataLocation" in g["Resource"])
    assert database["Permissions"] == ["CREATE_TABLE", "DESCRIBE"]
    assert database["Resource"]["Database"]["Name"] == "lake_test_raw"
    assert location["Permissions"] == ["DATA_LOCATION_ACCESS"]
    assert "lake-raw" in str(location["Resource"]["DataLocation"]["ResourceArn"])


def test_database_grant_rejects_table_permissions() -> None:
    _, stack = bare_stack()
    with pytest.raises(ValueError, match="database permissions"):
        LakeFormationDatabaseGrant(
            stack, "Database", principal_arn=PRINCIPAL, database_name="db", permissions=["SELECT"]
        )
