"""S3 BucketPolicy and auto-delete, KMS Key and Logs LogGroup (moto overrides)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [
                {"Fn::GetAtt": ["Bucket", "Arn"]},
                {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]},
            ],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def _bucket_with_policy(document):
    return {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": document},
        },
    }


def test_bucket_policy_create_update_delete(cfn):
    outputs = cfn.create(_bucket_with_policy(TLS_ONLY), {"Policy": {"Ref": "Policy"}})
    bucket = cfn.physical_ids()["Bucket"]
    assert outputs["Policy"] == bucket  # Ref is the bucket name
    s3 = cfn.aws("s3")
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == {
        **TLS_ONLY,
        "Statement": [
            {
                **TLS_ONLY["Statement"][0],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }
    # The TLS-only Deny must not block requests (moto bug worked around in _patches).
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"

    deny_all = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}}
        ],
    }  # fmt: skip
    cfn.update(_bucket_with_policy(deny_all))
    assert cfn.physical_ids()["Policy"] == bucket
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="k2", Body=b"v")

    cfn.update({"Bucket": {"Type": "AWS::S3::Bucket"}})
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=bucket)


def test_auto_delete_objects_empties_bucket_on_delete(cfn):
    resources = {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"VersioningConfiguration": {"Status": "Enabled"}},
        },
        "AutoDelete": {
            "Type": "Custom::S3AutoDeleteObjects",
            "Properties": {"ServiceToken": "arn:aws:lambda:x", "BucketName": {"Ref": "Bucket"}},
        },
    }
    cfn.create(resources)
    bucket = cfn.physical_ids()["Bucket"]
    s3 = cfn.aws("s3")
    s3.put_object(Bucket=bucket, Key="a", Body=b"1")
    s3.put_object(Bucket=bucket, Key="a", Body=b"2")
    cfn.delete()
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def _key(description, rotation=True):
    return {
        "Key": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": description,
                "EnableKeyRotation": rotation,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
                "Tags": [{"Key": "project", "Value": "p"}],
            },
        }
    }


def test_kms_key_policy_is_readable_and_updates_in_place(cfn):
    outputs = cfn.create(
        _key("first"), {"Id": {"Ref": "Key"}, "Arn": {"Fn::GetAtt": ["Key", "Arn"]}}
    )
    kms = cfn.aws("kms")
    metadata = kms.describe_key(KeyId=outputs["Id"])["KeyMetadata"]
    assert metadata["Arn"] == outputs["Arn"]
    assert metadata["Description"] == "first"
    policy = json.loads(kms.get_key_policy(KeyId=outputs["Id"], PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Action"] == "kms:*"
    assert kms.get_key_rotation_status(KeyId=outputs["Id"])["KeyRotationEnabled"] is True
    assert kms.list_resource_tags(KeyId=outputs["Id"])["Tags"] == [
        {"TagKey": "project", "TagValue": "p"}
    ]

    updated = cfn.update(_key("second", rotation=False), {"Id": {"Ref": "Key"}})
    assert updated["Id"] == outputs["Id"]
    assert kms.describe_key(KeyId=outputs["Id"])["KeyMetadata"]["Description"] == "second"
    assert kms.get_key_rotation_status(KeyId=outputs["Id"])["KeyRotationEnabled"] is False

    cfn.delete()
    assert kms.describe_key(KeyId=outputs["Id"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_log_group_keeps_kms_key_and_retention(cfn):
    resources = {
        **_key("logs"),
        "Group": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
                "RetentionInDays": 30,
                "Tags": [{"Key": "a", "Value": "b"}],
            },
        },
    }
    outputs = cfn.create(
        resources, {"Name": {"Ref": "Group"}, "Arn": {"Fn::GetAtt": ["Group", "Arn"]}}
    )
    logs = cfn.aws("logs")
    group = logs.describe_log_groups(logGroupNamePrefix=outputs["Name"])["logGroups"][0]
    assert group["kmsKeyId"].startswith("arn:aws:kms:")
    assert group["retentionInDays"] == 30
    assert outputs["Arn"] == f"{group['arn'].removesuffix(':*')}:*"

    resources["Group"]["Properties"]["RetentionInDays"] = 90
    cfn.update(resources)
    assert cfn.physical_ids()["Group"] == outputs["Name"]
    group = logs.describe_log_groups(logGroupNamePrefix=outputs["Name"])["logGroups"][0]
    assert group["retentionInDays"] == 90

    cfn.delete()
    assert logs.describe_log_groups(logGroupNamePrefix=outputs["Name"])["logGroups"] == []
