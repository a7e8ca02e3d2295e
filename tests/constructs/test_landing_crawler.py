"""constructs/lake: LandingCrawler (landing_crawler.py), built in a bare stack from props alone
(no profile is parsed). The raw bucket and the lake key are imported references, so a finding
here is the crawler's (or its security configuration's)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs.lake.glue_security import GlueSecurityConfiguration
from constructs.lake.landing_crawler import LandingCrawler
from tests.constructs.bare import bare_stack, synthesized

KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555"
PREFIX = "landing/events/"


@pytest.fixture(scope="module")
def crawler() -> tuple[Template, str, str]:
    """Returns the template and the logical IDs of the crawler's role and of the security
    configuration."""
    app, stack = bare_stack()
    key = kms.Key.from_key_arn(stack, "LakeKey", KEY_ARN)
    bucket = s3.Bucket.from_bucket_attributes(
        stack, "Raw", bucket_name="lake-raw", encryption_key=key
    )
    security = GlueSecurityConfiguration(stack, "Security", name="lake-security", data_key=key)
    crawler = LandingCrawler(
        stack,
        "Crawler",
        name="lake-landing",
        bucket=bucket,
        prefix=PREFIX,
        database_name="lake_test_raw",
        table_prefix="landing_",
        schedule="cron(15 1 * * ? *)",
        security=security,
    )
    template = synthesized(app, stack)  # cdk-nag clean, or synth fails
    return (
        template,
        stack.get_logical_id(crawler.role.node.default_child),  # type: ignore[arg-type]
        stack.get_logical_id(security.configuration),
    )


def _statements(template: Template) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def _by_action(template: Template) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for statement in _statements(template):
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            found[action] = statement
    return found


def test_crawler_is_incremental_log_only_under_the_security_configuration(
    crawler: tuple[Template, str, str],
) -> None:
    template, role_id, security_id = crawler
    crawlers = template.find_resources("AWS::Glue::Crawler")
    assert len(crawlers) == 1
    (resource,) = crawlers.values()
    props = resource["Properties"]
    assert props["Name"] == "lake-landing"
    assert props["DatabaseName"] == "lake_test_raw"
    assert props["TablePrefix"] == "landing_"
    assert props["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert props["Targets"] == {"S3Targets": [{"Path": f"s3://lake-raw/{PREFIX}"}]}
    assert props["Schedule"] == {"ScheduleExpression": "cron(15 1 * * ? *)"}
    assert props["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    assert props["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    assert props["CrawlerSecurityConfiguration"] == "lake-security"
    # The configuration is referenced by name only, so DependsOn orders the two.
    assert security_id in resource["DependsOn"]


def test_role_is_glue_service_role_with_aws_crawler_policy(
    crawler: tuple[Template, str, str],
) -> None:
    template, role_id, _ = crawler
    role = template.find_resources("AWS::IAM::Role")[role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "glue.amazonaws.com"}
    (managed,) = role["ManagedPolicyArns"]
    assert "service-role/AWSGlueServiceRole" in str(managed)


def test_role_reads_only_the_landing_prefix_and_uses_the_lake_key(
    crawler: tuple[Template, str, str],
) -> None:
    template, _, _ = crawler
    statements = _by_action(template)
    assert not any(
        a.startswith("s3:") and a not in {"s3:GetObject", "s3:ListBucket"} for a in statements
    )
    get_resource = str(statements["s3:GetObject"]["Resource"])
    assert f"/{PREFIX}*" in get_resource
    assert "lake-raw" in get_resource
    assert statements["s3:ListBucket"]["Condition"] == {"StringLike": {"s3:prefix": [f"{PREFIX}*"]}}
    assert statements["kms:Decrypt"]["Resource"] == KEY_ARN
    assert statements["kms:GenerateDataKey"]["Resource"] == KEY_ARN
    assert "logs:AssociateKmsKey" in statements
