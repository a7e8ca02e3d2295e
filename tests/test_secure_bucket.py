"""SecureBucket and AccessLogBucket: the defaults every bucket of the platform inherits, with
each profile's storage section mapped to their props as the stacks map it (stacks/props.py)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from constructs.core.access_log_bucket import AccessLogBucket
from constructs.core.secure_bucket import SecureBucket
from platform_config import parse_profile
from stacks.props import bucket_defaults
from tests.synthesis import cdk_json_context


def bucket_stack(profile_name: str) -> Template:
    config = parse_profile(profile_name, cdk_json_context()["profiles"][profile_name])
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "BucketTest")
    defaults = bucket_defaults(config.storage)
    logs = AccessLogBucket(
        stack,
        "AccessLogs",
        expiration_days=config.storage.access_logs_expiration_days,
        **defaults,
    )
    SecureBucket(
        stack,
        "Data",
        access_logs=logs.bucket,
        transitions=[
            s3.Transition(
                storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                transition_after=cdk.Duration.days(30),
            )
        ],
        expiration_days=400,
        **defaults,
    )
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def dev_buckets() -> Template:
    return bucket_stack("dev")


@pytest.fixture(scope="module")
def prod_buckets() -> Template:
    return bucket_stack("prod")


def data_bucket(template: Template) -> dict:
    buckets = template.find_resources(
        "AWS::S3::Bucket", {"Properties": {"LoggingConfiguration": Match.any_value()}}
    )
    assert len(buckets) == 1
    return next(iter(buckets.values()))


def test_customer_managed_key_with_rotation_and_bucket_key(dev_buckets: Template) -> None:
    dev_buckets.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    encryption = data_bucket(dev_buckets)["Properties"]["BucketEncryption"]
    rule = encryption["ServerSideEncryptionConfiguration"][0]
    assert rule["BucketKeyEnabled"] is True
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_ref = rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"]
    assert key_ref[1] == "Arn"
    assert key_ref[0] in dev_buckets.find_resources("AWS::KMS::Key")


def test_versioned_and_fully_private(dev_buckets: Template) -> None:
    props = data_bucket(dev_buckets)["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_policy_denies_plain_http_and_old_tls(dev_buckets: Template) -> None:
    policies = dev_buckets.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        denies = [s for s in statements if s["Effect"] == "Deny"]
        conditions = [s["Condition"] for s in denies]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
        assert all(s["Principal"] == {"AWS": "*"} and s["Action"] == "s3:*" for s in denies)


def test_server_access_logs_go_to_the_log_bucket(dev_buckets: Template) -> None:
    logging = data_bucket(dev_buckets)["Properties"]["LoggingConfiguration"]
    log_bucket_id = logging["DestinationBucketName"]["Ref"]
    log_bucket = dev_buckets.find_resources("AWS::S3::Bucket")[log_bucket_id]
    # S3 can only deliver access logs to an SSE-S3 bucket.
    sse = log_bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert logging["LogFilePrefix"].endswith("/")


def test_lifecycle_transitions_expiry_and_cleanup(dev_buckets: Template) -> None:
    (rule,) = data_bucket(dev_buckets)["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]
    assert rule["ExpirationInDays"] == 400
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


def test_dev_opted_in_to_destroy_without_auto_delete(dev_buckets: Template) -> None:
    assert data_bucket(dev_buckets)["DeletionPolicy"] == "Delete"
    assert not dev_buckets.find_resources("Custom::S3AutoDeleteObjects")
    assert not dev_buckets.find_resources("AWS::Lambda::Function")


def test_prod_retains_buckets_and_keys(prod_buckets: Template) -> None:
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in prod_buckets.find_resources(resource_type).values():
            assert resource["DeletionPolicy"] == "Retain"
            assert resource["UpdateReplacePolicy"] == "Retain"


def test_shared_key_is_used_instead_of_a_new_one() -> None:
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "SharedKey")
    logs = AccessLogBucket(stack, "AccessLogs")
    first = SecureBucket(stack, "First", access_logs=logs.bucket)
    SecureBucket(stack, "Second", access_logs=logs.bucket, encryption_key=first.key)
    Template.from_stack(stack).resource_count_is("AWS::KMS::Key", 1)
