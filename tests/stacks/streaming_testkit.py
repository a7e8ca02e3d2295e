"""What the StreamingStack tests share: the stack's prefixes, template helpers, and the MSK mode
apps (NetworkStack + DataLakeStack + StreamingStack built from the dev profile with
`streaming.msk` changed; tests/ops/test_ops_checkov.py scans them too)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from app import create_app
from platform_config import PlatformConfig, parse_profile
from stacks.alerting import AlertingStack
from stacks.data_lake import DataLakeStack
from stacks.network import NetworkStack
from stacks.streaming import StreamingStack
from tests.synthesis import build_once, cdk_json_context

STACK = "StreamingStack"
EVENTS_PREFIX = "events/dt=!{partitionKeyFromLambda:dt}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
CLIENT_GROUP = "sg-0123456789abcdef0"


def raw_profile(name: str = "dev") -> dict[str, Any]:
    return copy.deepcopy(cdk_json_context()["profiles"][name])


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


def firehose_role_id(template: Template, props: dict[str, Any]) -> str:
    return props["ExtendedS3DestinationConfiguration"]["RoleARN"]["Fn::GetAtt"][0]


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


def msk_profile(mode: str) -> PlatformConfig:
    raw = raw_profile("dev")
    msk = raw["streaming"]["msk"]
    msk.update(mode=mode, deliver_to_lake=True, client_security_group_ids=[CLIENT_GROUP])
    return parse_profile("dev", raw)


MSK_MODES = ("serverless", "provisioned")


class ModeApp:
    """The Alerting, Network, DataLake and Streaming stacks of the dev profile with MSK on in
    `mode`, synthesized into `shared_dir` once per test session (tests/synthesis.py:
    build_once): the MSK tests and checkov read the same files."""

    def __init__(self, mode: str, shared_dir: Path) -> None:
        self.mode = mode
        self.config = msk_profile(mode)
        self.outdir = shared_dir / f"cdk.out.msk-{mode}"
        build_once(self.outdir, self._synthesize)
        self.template_json = json.loads((self.outdir / f"{STACK}.template.json").read_text())
        self.template = Template.from_json(self.template_json)

    def _synthesize(self, outdir: Path) -> None:
        app = create_app(context=cdk_json_context(), outdir=str(outdir))
        cdk.Validations.of(app).add_plugins(
            AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
        )
        topic = AlertingStack(app, "AlertingStack", config=self.config).alarm_topic
        network = NetworkStack(app, "NetworkStack", config=self.config)
        lake = DataLakeStack(app, "DataLakeStack", config=self.config)
        StreamingStack(
            app, STACK, config=self.config, network=network, lake=lake, alarm_topic=topic
        )
        app.synth()
