"""Glue, Athena and Lake Formation handlers."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.athena.models import athena_backends

ROLE = "arn:aws:iam::123456789012:role/glue"


def _catalog(description="raw zone", columns=("id",)):
    return {
        "Db": {
            "Type": "AWS::Glue::Database",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseInput": {"Name": "lake_raw", "Description": description},
            },
        },
        "Events": {
            "Type": "AWS::Glue::Table",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseName": {"Ref": "Db"},
                "TableInput": {
                    "Name": "events",
                    "TableType": "EXTERNAL_TABLE",
                    "StorageDescriptor": {
                        "Columns": [{"Name": c, "Type": "string"} for c in columns],
                        "Location": "s3://raw/events/",
                    },
                },
            },
        },
        "SecurityConfig": {
            "Type": "AWS::Glue::SecurityConfiguration",
            "Properties": {
                "Name": "lake-sec",
                "EncryptionConfiguration": {
                    "S3Encryptions": [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": "arn:k"}]
                },
            },
        },
        "Crawler": {
            "Type": "AWS::Glue::Crawler",
            "Properties": {
                "Role": ROLE,
                "DatabaseName": {"Ref": "Db"},
                "Targets": {"S3Targets": [{"Path": "s3://raw/events/"}]},
                "Schedule": {"ScheduleExpression": "cron(0 1 * * ? *)"},
                "CrawlerSecurityConfiguration": {"Ref": "SecurityConfig"},
            },
        },
        "Job": {
            "Type": "AWS::Glue::Job",
            "Properties": {
                "Role": ROLE,
                "Command": {"Name": "glueetl", "ScriptLocation": "s3://code/job.py"},
                "GlueVersion": "4.0",
                "WorkerType": "G.1X",
                "NumberOfWorkers": 2,
                "SecurityConfiguration": {"Ref": "SecurityConfig"},
            },
        },
    }


REFS = {name: {"Ref": name} for name in ("Db", "Events", "SecurityConfig", "Crawler", "Job")}


def test_glue_catalog_create_update_delete(cfn):
    outputs = cfn.create(_catalog(), REFS)
    assert outputs["Db"] == "lake_raw"
    assert outputs["Events"] == "events"
    assert outputs["SecurityConfig"] == "lake-sec"
    glue = cfn.aws("glue")
    assert [t["Name"] for t in glue.get_tables(DatabaseName="lake_raw")["TableList"]] == ["events"]
    crawler = glue.get_crawler(Name=outputs["Crawler"])["Crawler"]
    assert crawler["DatabaseName"] == "lake_raw"
    assert crawler["CrawlerSecurityConfiguration"] == "lake-sec"
    job = glue.get_job(JobName=outputs["Job"])["Job"]
    assert job["SecurityConfiguration"] == "lake-sec"
    assert job["NumberOfWorkers"] == 2
    assert glue.get_security_configuration(Name="lake-sec")["SecurityConfiguration"]

    updated = _catalog(description="raw zone v2", columns=("id", "kind"))
    updated["Job"]["Properties"]["NumberOfWorkers"] = 4
    after = cfn.update(updated, REFS)
    assert after == outputs  # in place, or replaced under the same names
    assert glue.get_database(Name="lake_raw")["Database"]["Description"] == "raw zone v2"
    columns = glue.get_table(DatabaseName="lake_raw", Name="events")["Table"]["StorageDescriptor"]
    assert [c["Name"] for c in columns["Columns"]] == ["id", "kind"]
    assert glue.get_job(JobName=outputs["Job"])["Job"]["NumberOfWorkers"] == 4

    cfn.delete()
    assert glue.get_databases()["DatabaseList"] == []
    assert glue.get_crawlers()["Crawlers"] == []
    assert glue.get_jobs()["Jobs"] == []
    with pytest.raises(ClientError):
        glue.get_security_configuration(Name="lake-sec")


def _athena(bytes_scanned):
    return {
        "WorkGroup": {
            "Type": "AWS::Athena::WorkGroup",
            "Properties": {
                "Name": "analysts",
                "Description": "lake queries",
                "WorkGroupConfiguration": {
                    "EnforceWorkGroupConfiguration": True,
                    "BytesScannedCutoffPerQuery": bytes_scanned,
                    "ResultConfiguration": {"OutputLocation": "s3://results/"},
                },
            },
        },
        "Query": {
            "Type": "AWS::Athena::NamedQuery",
            "Properties": {
                "Database": "lake_raw",
                "QueryString": "SELECT 1",
                "Name": "smoke",
                "WorkGroup": {"Ref": "WorkGroup"},
            },
        },
    }


def test_athena_work_group_and_named_query(cfn):
    outputs = cfn.create(
        _athena(10_000_000),
        {
            "WorkGroup": {"Ref": "WorkGroup"},
            "Engine": {
                "Fn::GetAtt": [
                    "WorkGroup",
                    "WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion",
                ]
            },
            "Query": {"Ref": "Query"},
            "QueryId": {"Fn::GetAtt": ["Query", "NamedQueryId"]},
        },
    )
    assert outputs["WorkGroup"] == "analysts"
    assert outputs["Engine"]
    assert outputs["Query"] == outputs["QueryId"]
    athena = cfn.aws("athena")
    group = athena.get_work_group(WorkGroup="analysts")["WorkGroup"]
    assert group["Configuration"]["BytesScannedCutoffPerQuery"] == 10_000_000
    assert athena.get_named_query(NamedQueryId=outputs["Query"])["NamedQuery"]["Name"] == "smoke"

    cfn.update(_athena(20_000_000))
    group = athena.get_work_group(WorkGroup="analysts")["WorkGroup"]
    assert group["Configuration"]["BytesScannedCutoffPerQuery"] == 20_000_000

    cfn.delete()
    assert "analysts" not in [g["Name"] for g in athena.list_work_groups()["WorkGroups"]]
    # moto's GetNamedQuery crashes on an unknown ID instead of answering an error; ask the
    # backend directly.
    assert outputs["Query"] not in athena_backends["123456789012"]["us-east-1"].named_queries


def _lake(permissions):
    return {
        "Settings": {
            "Type": "AWS::LakeFormation::DataLakeSettings",
            "Properties": {"Admins": [{"DataLakePrincipalIdentifier": ROLE}]},
        },
        "Location": {
            "Type": "AWS::LakeFormation::Resource",
            "Properties": {"ResourceArn": "arn:aws:s3:::raw", "UseServiceLinkedRole": True},
        },
        "Grant": {
            "Type": "AWS::LakeFormation::Permissions",
            "Properties": {
                "DataLakePrincipal": {"DataLakePrincipalIdentifier": ROLE},
                "Resource": {"DatabaseResource": {"Name": "lake_raw"}},
                "Permissions": permissions,
            },
        },
        "TableGrant": {
            "Type": "AWS::LakeFormation::PrincipalPermissions",
            "Properties": {
                "Principal": {"DataLakePrincipalIdentifier": ROLE},
                "Resource": {
                    "Table": {
                        "CatalogId": "123456789012",
                        "DatabaseName": "lake_raw",
                        "Name": "events",
                    }
                },
                "Permissions": ["SELECT"],
                "PermissionsWithGrantOption": [],
            },
        },
    }


def test_lake_formation_settings_location_and_grants(cfn):
    outputs = cfn.create(
        _lake(["DESCRIBE"]),
        {"Principal": {"Fn::GetAtt": ["TableGrant", "PrincipalIdentifier"]}},
    )
    assert outputs["Principal"] == ROLE
    lakeformation = cfn.aws("lakeformation")
    settings = lakeformation.get_data_lake_settings()["DataLakeSettings"]
    assert settings["DataLakeAdmins"] == [{"DataLakePrincipalIdentifier": ROLE}]
    resources = lakeformation.list_resources()["ResourceInfoList"]
    assert [r["ResourceArn"] for r in resources] == ["arn:aws:s3:::raw"]

    def granted():
        found = lakeformation.list_permissions()["PrincipalResourcePermissions"]
        return sorted(p for entry in found for p in entry["Permissions"])

    assert granted() == ["DESCRIBE", "SELECT"]
    cfn.update(_lake(["DESCRIBE", "ALTER"]))
    assert granted() == ["ALTER", "DESCRIBE", "SELECT"]

    cfn.delete()
    assert granted() == []
    assert lakeformation.list_resources()["ResourceInfoList"] == []
    assert lakeformation.get_data_lake_settings()["DataLakeSettings"]["DataLakeAdmins"] == []
