"""StreamingStack: Kinesis, Firehose into the raw zone, the transform Lambda, alarms and MSK.

The dev and prod profiles come from the session fixtures (MSK off in both). Each MSK mode is
synthesized once, in a module-scoped app of NetworkStack + DataLakeStack + StreamingStack built
from the dev profile with `streaming.msk` changed, and checked with cdk-nag and cfn-lint like
the real app.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint_file

from app import create_app
from constructs.core.nag import flatten_cfn_reference
from constructs.streaming.kafka_provisioned import (
    KafkaBrokers,
    ProvisionedKafkaCluster,
    server_properties,
)
from platform_config import ConfigError, PlatformConfig, parse_profile
from stacks.alerting import AlertingStack
from stacks.data_lake import DataLakeStack
from stacks.network import NetworkStack
from stacks.streaming import StreamingStack
from tests.synthesis import Synthesized, cdk_json_context

STACK = "StreamingStack"
EVENTS_PREFIX = "events/dt=!{partitionKeyFromLambda:dt}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
CLIENT_GROUP = "sg-0123456789abcdef0"


def raw_profile(name: str = "dev") -> dict[str, Any]:
    return copy.deepcopy(cdk_json_context()["profiles"][name])


def streaming_error(mutate: Any, name: str = "dev") -> str:
    raw = raw_profile(name)
    mutate(raw["streaming"])
    with pytest.raises(ConfigError) as caught:
        parse_profile(name, raw)
    message = str(caught.value)
    assert "\n" not in message
    return message


def resources(template: Template, kind: str, props: dict | None = None) -> dict[str, Any]:
    return template.find_resources(kind, {"Properties": props} if props else None)


def only(found: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    assert len(found) == 1, sorted(found)
    return next(iter(found.items()))


def delivery_stream(template: Template, stream_type: str) -> dict[str, Any]:
    _, stream = only(
        resources(
            template, "AWS::KinesisFirehose::DeliveryStream", {"DeliveryStreamType": stream_type}
        )
    )
    return stream["Properties"]


def role_statements(template: Template, role_logical_id: str) -> list[dict[str, Any]]:
    """Every statement of every policy attached to one role."""
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- MSK mode apps -----------------------------------------------------------------------------


def msk_profile(mode: str) -> PlatformConfig:
    raw = raw_profile("dev")
    msk = raw["streaming"]["msk"]
    msk.update(mode=mode, deliver_to_lake=True, client_security_group_ids=[CLIENT_GROUP])
    return parse_profile("dev", raw)


class ModeApp:
    def __init__(self, mode: str, outdir: Path) -> None:
        self.mode = mode
        self.config = msk_profile(mode)
        app = create_app(context=cdk_json_context(), outdir=str(outdir))
        cdk.Validations.of(app).add_plugins(
            AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
        )
        topic = AlertingStack(app, "AlertingStack", config=self.config).alarm_topic
        network = NetworkStack(app, "NetworkStack", config=self.config)
        lake = DataLakeStack(app, "DataLakeStack", config=self.config)
        self.stack = StreamingStack(
            app, STACK, config=self.config, network=network, lake=lake, alarm_topic=topic
        )
        app.synth()
        self.outdir = outdir
        self.template_json = json.loads((outdir / f"{STACK}.template.json").read_text())
        self.template = Template.from_json(self.template_json)


@pytest.fixture(scope="module", params=["serverless", "provisioned"])
def mode_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ModeApp:
    return ModeApp(request.param, tmp_path_factory.mktemp(f"cdk.out.msk-{request.param}"))


# -- config ------------------------------------------------------------------------------------


def test_profiles_state_every_hourly_cost() -> None:
    dev = parse_profile("dev", raw_profile("dev")).streaming
    prod = parse_profile("prod", raw_profile("prod")).streaming
    assert (dev.kinesis.capacity_mode, dev.kinesis.shard_count) == ("on_demand", None)
    assert (prod.kinesis.capacity_mode, prod.kinesis.shard_count) == ("provisioned", 4)
    assert dev.msk.mode == "none"
    # Both profiles carry broker sizing, so switching MSK on is one key and never a guess.
    assert dev.msk.provisioned is not None
    assert prod.msk.provisioned is not None
    for streaming in (dev, prod):
        assert streaming.firehose.buffer_size_mib >= 64


@pytest.mark.parametrize(
    ("mutate", "key", "says"),
    [
        (
            lambda s: s["kinesis"].update(capacity_mode="provisioned"),
            "streaming.kinesis",
            "shard_count is required when capacity_mode is 'provisioned'",
        ),
        (
            lambda s: s["kinesis"].update(shard_count=2),
            "streaming.kinesis",
            "shard_count (2) is only for capacity_mode 'provisioned'",
        ),
        (
            lambda s: s["kinesis"].update(retention_hours=12),
            "streaming.kinesis.retention_hours: got 12",
            "greater than or equal to 24",
        ),
        (
            lambda s: s["firehose"].update(buffer_size_mib=5),
            "streaming.firehose.buffer_size_mib: got 5",
            "greater than or equal to 64",
        ),
        (
            lambda s: s["transform"].update(reserved_concurrency=0),
            "streaming.transform.reserved_concurrency: got 0",
            "greater than or equal to 1",
        ),
        (
            lambda s: s["msk"].update(mode="kafka"),
            "streaming.msk.mode: got 'kafka'",
            "'none', 'serverless' or 'provisioned'",
        ),
        (
            lambda s: s["msk"].update(client_security_group_ids=["web-servers"]),
            "streaming.msk.client_security_group_ids.0: got 'web-servers'",
            "not a security group ID",
        ),
        (
            lambda s: s["msk"].update(client_security_group_ids=[CLIENT_GROUP, CLIENT_GROUP]),
            "streaming.msk",
            "lists a security group twice",
        ),
        (
            lambda s: s["msk"].update(deliver_to_lake=True),
            "streaming.msk",
            "deliver_to_lake needs an MSK cluster; mode is 'none'",
        ),
        (
            lambda s: (s["msk"].update(mode="provisioned"), s["msk"].pop("provisioned")),
            "streaming.msk",
            "provisioned (broker sizing) is required when mode is 'provisioned'",
        ),
        (
            lambda s: (
                s["msk"].update(mode="provisioned", deliver_to_lake=True),
                s["msk"]["provisioned"].update(broker_type="kafka.t3.small"),
            ),
            "streaming.msk",
            "kafka.t3.small has no multi-VPC connectivity",
        ),
        (
            lambda s: s["msk"]["provisioned"].update(broker_type="kafka.m5.huge"),
            "streaming.msk.provisioned.broker_type: got 'kafka.m5.huge'",
            "does not exist in kafka.m5",
        ),
        (
            lambda s: s["msk"]["provisioned"].update(kafka_version="2.6.2"),
            "streaming.msk.provisioned.kafka_version: got '2.6.2'",
            "needs Kafka 2.7.1 or later",
        ),
        (
            lambda s: s["msk"]["provisioned"].update(kafka_version="latest"),
            "streaming.msk.provisioned.kafka_version: got 'latest'",
            "not an Amazon MSK Kafka version",
        ),
        (
            lambda s: s["msk"]["provisioned"].update(max_volume_size_gib=100),
            "streaming.msk.provisioned",
            "must exceed volume_size_gib (100)",
        ),
        (
            lambda s: s["alarms"].update(data_freshness_seconds=300),
            "streaming",
            "data_freshness_seconds (300) must exceed firehose.buffer_interval_seconds (300)",
        ),
        (
            lambda s: s["kinesis"].update(retension_hours=24),
            "streaming.kinesis.retension_hours: unknown key",
            "retention_hours",
        ),
    ],
)
def test_bad_streaming_config_is_one_clear_line(mutate: Any, key: str, says: str) -> None:
    message = streaming_error(mutate)
    assert f"profiles.dev.{key}" in message
    assert says in message


# -- Kinesis -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "mode", "shards", "hours"),
    [("dev", "ON_DEMAND", None, 24), ("prod", "PROVISIONED", 4, 168)],
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


def assert_lands_in_the_raw_zone_as_parquet(props: dict[str, Any], config: PlatformConfig) -> None:
    streaming = config.streaming
    destination = props["ExtendedS3DestinationConfiguration"]
    assert destination["Prefix"] == EVENTS_PREFIX
    assert destination["ErrorOutputPrefix"] == ERROR_PREFIX
    assert destination["BufferingHints"] == {
        "IntervalInSeconds": streaming.firehose.buffer_interval_seconds,
        "SizeInMBs": streaming.firehose.buffer_size_mib,
    }
    assert destination["CompressionFormat"] == "UNCOMPRESSED"
    assert destination["DynamicPartitioningConfiguration"] == {
        "Enabled": True,
        "RetryOptions": {"DurationInSeconds": streaming.firehose.partitioning_retry_seconds},
    }
    conversion = destination["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert "OpenXJsonSerDe" in conversion["InputFormatConfiguration"]["Deserializer"]
    assert conversion["OutputFormatConfiguration"]["Serializer"] == {
        "ParquetSerDe": {"Compression": "SNAPPY"}
    }
    schema = conversion["SchemaConfiguration"]
    assert schema["DatabaseName"] == f"dataplatform_{config.profile}_raw"
    assert schema["TableName"] == "events"
    assert schema["Region"] == {"Ref": "AWS::Region"}
    assert schema["CatalogId"] == {"Ref": "AWS::AccountId"}
    assert schema["VersionId"] == "LATEST"
    assert schema["RoleARN"] == destination["RoleARN"]
    # The lake's key and bucket come from DataLakeStack, not from a key of this stack.
    lake_stack = f"dataplatform-{config.profile}-data-lake"
    bucket = destination["BucketARN"]["Fn::GetStackOutput"]
    assert (bucket["StackName"], "RawBucket" in bucket["OutputName"]) == (lake_stack, True)
    kms_key = destination["EncryptionConfiguration"]["KMSEncryptionConfig"]["AWSKMSKeyARN"]
    assert kms_key["Fn::GetStackOutput"]["StackName"] == lake_stack
    assert "DeliveryStreamEncryptionConfigurationInput" not in props
    (processor,) = destination["ProcessingConfiguration"]["Processors"]
    assert destination["ProcessingConfiguration"]["Enabled"] is True
    assert processor["Type"] == "Lambda"
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert parameters["LambdaArn"]["Fn::GetAtt"][1] == "Arn"
    assert parameters["LambdaArn"]["Fn::GetAtt"][0].startswith("TransformFunction")
    assert parameters["BufferSizeInMBs"] == str(streaming.firehose.processor_buffer_size_mib)
    assert parameters["BufferIntervalInSeconds"] == str(
        streaming.firehose.processor_buffer_interval_seconds
    )
    assert parameters["NumberOfRetries"] == str(streaming.firehose.processor_retries)
    logging = destination["CloudWatchLoggingOptions"]
    assert logging["Enabled"] is True
    # Ref of the log stream: its name, and Firehose waits for the stream to exist.
    assert set(logging["LogStreamName"]) == {"Ref"}


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


def firehose_role_id(template: Template, props: dict[str, Any]) -> str:
    return props["ExtendedS3DestinationConfiguration"]["RoleARN"]["Fn::GetAtt"][0]


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
    lake_key = by_sid["EncryptWithTheLakeKeyThroughS3"]
    assert lake_key["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }
    # grant_read on the stream: read actions on this stream and decrypt on its own key.
    kinesis_reads = [
        s for s in statements if any(a.startswith("kinesis:") for a in as_list(s["Action"]))
    ]
    assert all("kinesis:PutRecord" not in as_list(s["Action"]) for s in kinesis_reads)
    assert {"kinesis:GetRecords", "kinesis:GetShardIterator"} <= {
        a for s in kinesis_reads for a in as_list(s["Action"])
    }


# -- transform Lambda --------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "memory", "concurrency"), [("dev", 256, 5), ("prod", 512, 50)])
def test_transform_lambda_settings(
    profile: str, memory: int, concurrency: int, request: pytest.FixtureRequest
) -> None:
    template = request.getfixturevalue(profile).template(STACK)
    _, function = only(resources(template, "AWS::Lambda::Function"))
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.lambda_handler"
    assert props["MemorySize"] == memory
    assert props["Timeout"] == 120
    assert props["ReservedConcurrentExecutions"] == concurrency
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
    # The platform topic (AlertingStack's; tests/test_alerting.py checks every alarm's target).
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


# -- MSK modes ---------------------------------------------------------------------------------


def test_each_msk_mode_is_nag_and_lint_clean(mode_app: ModeApp) -> None:
    report = json.loads((mode_app.outdir / "validation-report.json").read_text())
    assert [p for p in report["pluginReports"] if p["conclusion"] != "success"] == []
    matches = lint_file(
        mode_app.outdir / f"{STACK}.template.json",
        config=ManualArgs(regions=["us-east-1", "eu-west-1"]),
    )
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


def test_msk_mode_acknowledgements_are_the_expected_ones(mode_app: ModeApp) -> None:
    found: dict[str, list[str]] = {}
    for logical_id, resource in mode_app.template_json["Resources"].items():
        rules = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        for rule in rules:
            found.setdefault(rule["id"].split("[")[0], []).append(logical_id)
            assert len(rule["reason"]) >= 40
    assert sorted(found) == [
        "AwsSolutions-IAM5",
        "AwsSolutions-KDF1",
        "AwsSolutions-KDS3",
        "AwsSolutions-L1",
    ]
    assert len(found["AwsSolutions-KDF1"]) == 2  # one per delivery stream
    iam5 = [
        rule["id"]
        for resource in mode_app.template_json["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        if rule["id"].startswith("AwsSolutions-IAM5")
    ]
    # The transform's X-Ray "*", two prefixes per delivery stream, and the consumer groups.
    assert len(iam5) == 1 + 2 + 2 + 1
    assert sum(":group/" in finding for finding in iam5) == 1


def test_msk_client_security_group_allows_only_configured_clients(mode_app: ModeApp) -> None:
    _, group = only(resources(mode_app.template, "AWS::EC2::SecurityGroup"))
    props = group["Properties"]
    assert props["SecurityGroupIngress"] == [
        {
            "Description": f"Kafka IAM over TLS from client group {CLIENT_GROUP}",
            "FromPort": 9098,
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": CLIENT_GROUP,
            "ToPort": 9098,
        }
    ]
    # No outbound rules: CDK's placeholder egress matches no address.
    (egress,) = props["SecurityGroupEgress"]
    assert egress["CidrIp"] == "255.255.255.255/32"


def test_msk_firehose_reads_the_topic_into_the_same_table(mode_app: ModeApp) -> None:
    template = mode_app.template
    kafka = delivery_stream(template, "MSKAsSource")
    kinesis = delivery_stream(template, "KinesisStreamAsSource")
    source = kafka["MSKSourceConfiguration"]
    assert source["TopicName"] == "events"
    assert source["AuthenticationConfiguration"]["Connectivity"] == "PRIVATE"
    assert source["MSKClusterARN"] == {"Ref": kafka_cluster_id(mode_app)}
    assert_lands_in_the_raw_zone_as_parquet(kafka, mode_app.config)
    # Same transform, same conversion, same partitioning: one table for both paths.
    same = ("Prefix", "ErrorOutputPrefix", "DataFormatConversionConfiguration", "BucketARN")
    for key in same:
        left = kafka["ExtendedS3DestinationConfiguration"][key]
        right = kinesis["ExtendedS3DestinationConfiguration"][key]
        if key == "DataFormatConversionConfiguration":
            left = {**left, "SchemaConfiguration": {**left["SchemaConfiguration"], "RoleARN": None}}
            right = {
                **right,
                "SchemaConfiguration": {**right["SchemaConfiguration"], "RoleARN": None},
            }
        assert left == right, key
    processors = [
        d["ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"] for d in (kafka, kinesis)
    ]
    assert processors[0] == processors[1]

    role_id = firehose_role_id(template, kafka)
    by_sid = {s.get("Sid"): s for s in role_statements(template, role_id)}
    assert sorted(by_sid["ConnectToTheCluster"]["Action"]) == [
        "kafka-cluster:Connect",
        "kafka:DescribeCluster",
        "kafka:DescribeClusterV2",
        "kafka:GetBootstrapBrokers",
    ]
    topic_arn = flatten_cfn_reference(by_sid["ReadTheTopic"]["Resource"])
    assert ":topic/" in topic_arn
    assert topic_arn.endswith("/events")
    assert "*" not in topic_arn
    _, cluster_policy = only(resources(template, "AWS::MSK::ClusterPolicy"))
    (statement,) = cluster_policy["Properties"]["Policy"]["Statement"]
    assert statement["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert "kafka:CreateVpcConnection" in statement["Action"]
    kafka_id = next(
        logical_id
        for logical_id, r in mode_app.template_json["Resources"].items()
        if r["Type"] == "AWS::KinesisFirehose::DeliveryStream"
        and r["Properties"]["DeliveryStreamType"] == "MSKAsSource"
    )
    policy_id = next(iter(resources(template, "AWS::MSK::ClusterPolicy")))
    assert policy_id in mode_app.template_json["Resources"][kafka_id]["DependsOn"]
    # Its own freshness and conversion alarms, by delivery stream name.
    dimensions = [
        a["Properties"].get("Dimensions", [])
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    ]
    assert [
        {"Name": "DeliveryStreamName", "Value": "dataplatform-dev-events-from-msk"}
    ] in dimensions


def kafka_cluster_id(mode_app: ModeApp) -> str:
    kind = "AWS::MSK::ServerlessCluster" if mode_app.mode == "serverless" else "AWS::MSK::Cluster"
    cluster_id, _ = only(resources(mode_app.template, kind))
    return cluster_id


def private_subnet_count(mode_app: ModeApp) -> int:
    return mode_app.config.network.max_azs


def test_serverless_cluster(mode_app: ModeApp) -> None:
    if mode_app.mode != "serverless":
        pytest.skip("serverless mode only")
    template = mode_app.template
    _, cluster = only(resources(template, "AWS::MSK::ServerlessCluster"))
    props = cluster["Properties"]
    assert props["ClusterName"] == "dataplatform-dev-events"
    assert props["ClientAuthentication"] == {"Sasl": {"Iam": {"Enabled": True}}}
    (vpc_config,) = props["VpcConfigs"]
    assert len(vpc_config["SubnetIds"]) == private_subnet_count(mode_app)
    assert "privateSubnet" in json.dumps(vpc_config["SubnetIds"])
    (group_id,) = vpc_config["SecurityGroups"]
    assert group_id["Fn::GetAtt"][0] in resources(template, "AWS::EC2::SecurityGroup")
    assert not resources(template, "AWS::MSK::Cluster")
    assert not resources(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert "KafkaClusterArn" in mode_app.template_json["Outputs"]


def test_provisioned_cluster(mode_app: ModeApp) -> None:
    if mode_app.mode != "provisioned":
        pytest.skip("provisioned mode only")
    template = mode_app.template
    sizing = mode_app.config.streaming.msk.provisioned
    assert sizing is not None
    cluster_id, cluster = only(resources(template, "AWS::MSK::Cluster"))
    props = cluster["Properties"]
    azs = private_subnet_count(mode_app)
    assert props["NumberOfBrokerNodes"] == sizing.brokers_per_az * azs
    assert props["KafkaVersion"] == sizing.kafka_version
    brokers = props["BrokerNodeGroupInfo"]
    assert brokers["InstanceType"] == sizing.broker_type
    assert len(brokers["ClientSubnets"]) == azs
    assert brokers["StorageInfo"] == {"EBSStorageInfo": {"VolumeSize": sizing.volume_size_gib}}
    # deliver_to_lake: multi-VPC connectivity for IAM, which Firehose needs.
    assert brokers["ConnectivityInfo"] == {
        "VpcConnectivity": {"ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}}}
    }
    assert props["ClientAuthentication"] == {
        "Sasl": {"Iam": {"Enabled": True}},
        "Unauthenticated": {"Enabled": False},
    }
    encryption = props["EncryptionInfo"]
    assert encryption["EncryptionInTransit"] == {"ClientBroker": "TLS", "InCluster": True}
    key_id = encryption["EncryptionAtRest"]["DataVolumeKMSKeyId"]["Fn::GetAtt"][0]
    assert resources(template, "AWS::KMS::Key")[key_id]["Properties"]["EnableKeyRotation"] is True
    assert props["EnhancedMonitoring"] == sizing.enhanced_monitoring
    logs = props["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"]
    assert logs["Enabled"] is True
    assert (
        "KmsKeyId"
        in resources(template, "AWS::Logs::LogGroup")[logs["LogGroup"]["Ref"]]["Properties"]
    )

    _, configuration = only(resources(template, "AWS::MSK::Configuration"))
    assert props["ConfigurationInfo"]["Arn"]["Fn::GetAtt"][1] == "Arn"
    properties = configuration["Properties"]["ServerProperties"]
    assert "auto.create.topics.enable=false" in properties
    assert configuration["Properties"]["KafkaVersionsList"] == [sizing.kafka_version]

    _, target = only(resources(template, "AWS::ApplicationAutoScaling::ScalableTarget"))
    assert target["Properties"]["ScalableDimension"] == "kafka:broker-storage:VolumeSize"
    assert target["Properties"]["ServiceNamespace"] == "kafka"
    assert target["Properties"]["ResourceId"] == {"Ref": cluster_id}
    assert target["Properties"]["MinCapacity"] == sizing.volume_size_gib
    assert target["Properties"]["MaxCapacity"] == sizing.max_volume_size_gib
    _, policy = only(resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy"))
    tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "KafkaBrokerStorageUtilization"
    }
    assert tracking["TargetValue"] == sizing.storage_target_utilization_percent
    assert tracking["DisableScaleIn"] is True

    disk = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "KafkaDataLogsDiskUsed"
    ]
    assert len(disk) == props["NumberOfBrokerNodes"]
    assert {a["Threshold"] for a in disk} == {
        mode_app.config.streaming.alarms.msk_disk_used_percent
    }


# -- pieces --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("brokers", "replication", "min_insync"), [(2, 2, 1), (3, 3, 2), (6, 3, 2)]
)
def test_server_properties_fit_the_broker_count(
    brokers: int, replication: int, min_insync: int
) -> None:
    settings = dict(line.split("=", 1) for line in server_properties(brokers).splitlines())
    assert settings["auto.create.topics.enable"] == "false"
    assert settings["default.replication.factor"] == str(replication)
    assert settings["min.insync.replicas"] == str(min_insync)
    assert settings["unclean.leader.election.enable"] == "false"


@pytest.fixture(scope="module")
def first_deploy_cluster() -> dict[str, Any]:
    """A provisioned cluster without Firehose: the shape of its first deploy."""
    config = msk_profile("provisioned")
    app = cdk.App()
    stack = cdk.Stack(app, "ClusterOnly")
    vpc = cdk.aws_ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    sizing = config.streaming.msk.provisioned
    assert sizing is not None
    ProvisionedKafkaCluster(
        stack,
        "Kafka",
        cluster_name="first-deploy",
        brokers=KafkaBrokers(**sizing.model_dump()),
        subnets=vpc.select_subnets(subnet_type=cdk.aws_ec2.SubnetType.PRIVATE_ISOLATED),
        security_group=cdk.aws_ec2.SecurityGroup(stack, "Sg", vpc=vpc),
        multi_vpc_iam=False,
        log_retention=cdk.aws_logs.RetentionDays.ONE_MONTH,
    )
    (cluster,) = Template.from_stack(stack).find_resources("AWS::MSK::Cluster").values()
    return cluster["Properties"]


def test_multi_vpc_connectivity_is_off_until_firehose_is_wanted(
    first_deploy_cluster: dict[str, Any],
) -> None:
    # MSK refuses VpcConnectivity on a cluster being created; it is switched on later.
    assert "ConnectivityInfo" not in first_deploy_cluster["BrokerNodeGroupInfo"]


@pytest.mark.parametrize(
    ("value", "flat"),
    [
        ("arn:${AWS::Partition}:s3:::b/*", "arn:<AWS::Partition>:s3:::b/*"),
        (
            {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/events/*"]]},
            "<Bucket.Arn>/events/*",
        ),
        ({"Fn::Join": ["", [{"Ref": "Cluster"}, "/*"]]}, "<Cluster>/*"),
        (
            {"Fn::Join": ["", [{"Fn::Select": [0, ["a"]]}, "/*"]]},
            '{"Fn::Select":[0,["a"]]}/*',
        ),
    ],
)
def test_flatten_matches_cdk_nag(value: Any, flat: str) -> None:
    assert flatten_cfn_reference(value) == flat
