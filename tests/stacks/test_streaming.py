"""StreamingStack in the shipped profiles (MSK off in both): the Kinesis stream, Firehose into
the raw zone, the transform Lambda, the alarms and the outputs, on the session's templates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from constructs.core.nag import flatten_cfn_reference
from constructs.streaming.firehose_to_lake import KINESIS_SOURCE_ACTIONS
from platform_config import PlatformConfig, parse_profile
from tests.stacks.streaming_testkit import (
    STACK,
    as_list,
    assert_lands_in_the_raw_zone_as_parquet,
    delivery_stream,
    firehose_role_id,
    only,
    raw_profile,
    resources,
    role_statements,
)
from tests.synthesis import Synthesized

# -- Kinesis -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "mode", "shards", "hours"),
    [("dev", "PROVISIONED", 1, 24), ("prod", "PROVISIONED", 4, 168)],
)
def test_stream_capacity_retention_and_own_key(
    profile: str, mode: str, shards: int | None, hours: int, request: pytest.FixtureRequest
) -> None:
    template = request.getfixturevalue(profile).template(STACK)
    _, stream = only(resources(template, "AWS::Kinesis::Stream"))
    props = stream["Properties"]
    assert props["Name"] == f"dataplatform-{profile}-events"
    assert props["StreamModeDetails"] == {"StreamMode": mode}
    assert props.get("ShardCount") == shards
    assert props["RetentionPeriodHours"] == hours
    assert props["StreamEncryption"]["EncryptionType"] == "KMS"
    key_id = props["StreamEncryption"]["KeyId"]["Fn::GetAtt"][0]
    key = resources(template, "AWS::KMS::Key")[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    assert "Kinesis data stream" in key["Description"]


# -- Firehose ----------------------------------------------------------------------------------


@pytest.fixture(params=["dev", "prod"])
def profile_and_config(request: pytest.FixtureRequest) -> tuple[Synthesized, PlatformConfig]:
    synthesized = request.getfixturevalue(request.param)
    return synthesized, parse_profile(request.param, raw_profile(request.param))


def test_kinesis_firehose_converts_partitions_and_keeps_failures(
    profile_and_config: tuple[Synthesized, PlatformConfig],
) -> None:
    synthesized, config = profile_and_config
    template = synthesized.template(STACK)
    props = delivery_stream(template, "KinesisStreamAsSource")
    assert props["DeliveryStreamName"] == f"dataplatform-{config.profile}-events-from-kinesis"
    source = props["KinesisStreamSourceConfiguration"]
    (stream_id,) = resources(template, "AWS::Kinesis::Stream")
    assert source["KinesisStreamARN"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert_lands_in_the_raw_zone_as_parquet(props, config)
    # MSK is off in both shipped profiles: nothing of it is created.
    assert not any(kind.startswith("AWS::MSK::") for kind in resource_types(template))
    assert not resources(template, "AWS::EC2::SecurityGroup")


def resource_types(template: Template) -> set[str]:
    return {r["Type"] for r in template.to_json()["Resources"].values()}


def test_delivery_log_group_is_encrypted_and_has_its_stream(dev: Synthesized) -> None:
    template = dev.template(STACK)
    props = delivery_stream(template, "KinesisStreamAsSource")
    logging = props["ExtendedS3DestinationConfiguration"]["CloudWatchLoggingOptions"]
    group_id = logging["LogGroupName"]["Ref"]
    group = resources(template, "AWS::Logs::LogGroup")[group_id]["Properties"]
    assert group["RetentionInDays"] == 30
    assert "KmsKeyId" in group
    template.has_resource_properties(
        "AWS::Logs::LogStream",
        {"LogGroupName": {"Ref": group_id}, "LogStreamName": "DestinationDelivery"},
    )


def test_firehose_role_is_least_privilege(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    role_id = firehose_role_id(template, delivery_stream(template, "KinesisStreamAsSource"))
    trust = resources(template, "AWS::IAM::Role")[role_id]["Properties"]["AssumeRolePolicyDocument"]
    (assume,) = trust["Statement"]
    assert assume["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert assume["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}}
    assert not resources(template, "AWS::IAM::Role")[role_id]["Properties"].get("ManagedPolicyArns")

    statements = role_statements(template, role_id)
    by_sid = {s.get("Sid"): s for s in statements}
    actions = [a for s in statements for a in as_list(s["Action"])]
    assert not [a for a in actions if a.endswith(":*") or a == "*"], actions
    # The only wildcard resources are objects under the two prefixes, acknowledged on their
    # own policy; no statement has Resource "*".
    wildcard_resources = [
        flatten_cfn_reference(r)
        for s in statements
        for r in as_list(s["Resource"])
        if "*" in flatten_cfn_reference(r)
    ]
    assert sorted(r.rsplit("/", 2)[-2] for r in wildcard_resources) == ["errors", "events"]
    assert "*" not in [r for s in statements for r in as_list(s["Resource"])]

    objects = by_sid["WriteEventsAndErrorsPrefixesOnly"]
    assert sorted(objects["Action"]) == ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    glue = by_sid["ReadTheTableSchemaForConversion"]
    assert sorted(glue["Action"]) == [
        "glue:GetTable",
        "glue:GetTableVersion",
        "glue:GetTableVersions",
    ]
    glue_resources = sorted(flatten_cfn_reference(r).split(":")[-1] for r in glue["Resource"])
    profile = synthesized.profile
    assert glue_resources == [
        "catalog",
        f"database/dataplatform_{profile}_raw",
        f"table/dataplatform_{profile}_raw/events",
    ]
    invoke = by_sid["InvokeTheTransform"]
    assert invoke["Resource"]["Fn::GetAtt"][0].startswith("TransformFunction")
    logs = by_sid["WriteTheDeliveryLog"]
    assert logs["Action"] == "logs:PutLogEvents"
    (group_id,) = [k for k in resources(template, "AWS::Logs::LogGroup") if "KinesisToLake" in k]
    (stream_id,) = resources(template, "AWS::Logs::LogStream")
    assert flatten_cfn_reference(logs["Resource"]).endswith(
        f":log-group:<{group_id}>:log-stream:<{stream_id}>"
    )
    # The lake-key grant has no Sid: found by its action.
    (lake_key,) = [s for s in statements if "kms:GenerateDataKey" in as_list(s["Action"])]
    assert lake_key["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }
    # The stream grants exactly what Firehose calls on it (its key grants decrypt).
    kinesis_reads = [
        s for s in statements if any(a.startswith("kinesis:") for a in as_list(s["Action"]))
    ]
    assert {a for s in kinesis_reads for a in as_list(s["Action"])} == set(KINESIS_SOURCE_ACTIONS)


# -- transform Lambda --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "memory", "concurrency"), [("dev", 256, None), ("prod", 512, 50)]
)
def test_transform_lambda_settings(
    profile: str, memory: int, concurrency: int | None, request: pytest.FixtureRequest
) -> None:
    template = request.getfixturevalue(profile).template(STACK)
    _, function = only(resources(template, "AWS::Lambda::Function"))
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.lambda_handler"
    assert props["MemorySize"] == memory
    assert props["Timeout"] == 120
    # dev reserves nothing: an account whose concurrency quota is 10 refuses any reservation.
    assert props.get("ReservedConcurrentExecutions") == concurrency
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert "KmsKeyId" in resources(template, "AWS::Logs::LogGroup")[group_id]["Properties"]
    assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "firehose_transform"


def test_transform_bundle_carries_the_schema(dev: Synthesized) -> None:
    template = dev.template(STACK)
    _, function = only(resources(template, "AWS::Lambda::Function"))
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    bundle = dev.outdir / f"asset.{asset_hash}"
    assert (bundle / "handler.py").is_file()
    schema = json.loads((bundle / "events.json").read_text(encoding="utf-8"))
    assert schema["name"] == "events"


# -- alarms ------------------------------------------------------------------------------------


def alarm_metrics(template: Template) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    }


def test_alarms_watch_every_stage_and_notify_the_topic(
    profile_and_config: tuple[Synthesized, PlatformConfig],
) -> None:
    synthesized, config = profile_and_config
    template = synthesized.template(STACK)
    alarms = config.streaming.alarms
    metrics = alarm_metrics(template)
    assert set(metrics) == {
        "GetRecords.IteratorAgeMilliseconds",
        "WriteProvisionedThroughputExceeded",
        "DeliveryToS3.DataFreshness",
        "FailedConversion.Records",
        "Errors",
        "Throttles",
    }
    assert metrics["GetRecords.IteratorAgeMilliseconds"]["Threshold"] == alarms.iterator_age_ms
    assert metrics["DeliveryToS3.DataFreshness"]["Threshold"] == alarms.data_freshness_seconds
    assert metrics["DeliveryToS3.DataFreshness"]["Namespace"] == "AWS/Firehose"
    assert metrics["FailedConversion.Records"]["Dimensions"] == [
        {
            "Name": "DeliveryStreamName",
            "Value": f"dataplatform-{config.profile}-events-from-kinesis",
        }
    ]
    # The platform topic (AlertingStack's; tests/stacks/test_alerting.py checks every alarm's
    # target).
    assert not resources(template, "AWS::SNS::Topic")
    for alarm in metrics.values():
        (action,) = alarm["AlarmActions"]
        assert action["Fn::GetStackOutput"]["StackName"].endswith("-alerting")
        assert alarm["OKActions"] == alarm["AlarmActions"]
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["Period"] == alarms.period_seconds
        assert alarm["EvaluationPeriods"] == alarms.evaluation_periods


def test_outputs_name_what_users_need(dev: Synthesized) -> None:
    outputs = dev.template_json(STACK)["Outputs"]
    assert {"StreamName", "DeliveryStreamName", "TransformFunctionName", "AlarmTopicArn"} <= set(
        outputs
    )
    assert "KafkaClusterArn" not in outputs


@pytest.mark.parametrize(
    ("profile", "meaning"),
    [("dev", "with no concurrency reserved"), ("prod", "hit its reserved concurrency")],
)
def test_throttle_alarm_says_what_a_throttle_means(
    profile: str, meaning: str, request: pytest.FixtureRequest
) -> None:
    """With nothing reserved, a throttle is the account's pool running out, not a cap."""
    template = request.getfixturevalue(profile).template(STACK)
    (throttles,) = [
        alarm["Properties"]
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "Throttles"
    ]
    assert meaning in throttles["AlarmDescription"]
