"""StreamingStack: the KMS-encrypted stream, Firehose's Parquet and partitioning setup, the
transform Lambda's settings, and the alarms on the SNS topic."""

from __future__ import annotations

from typing import Any

from local_deploy.smoke import Check, SmokeContext, expect

STACK_ID = "StreamingStack"

EVENTS_PREFIX = "events/dt=!{partitionKeyFromLambda:dt}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
EXPECTED_ALARM_METRICS = frozenset(
    {
        "GetRecords.IteratorAgeMilliseconds",
        "WriteProvisionedThroughputExceeded",
        "DeliveryToS3.DataFreshness",
        "FailedConversion.Records",
        "Errors",
        "Throttles",
    }
)


def _output(ctx: SmokeContext, key: str) -> str:
    value = ctx.outputs.get(key)
    expect(bool(value), f"output {key} is missing or empty in {ctx.stack_name}")
    assert value is not None
    return value


def stream_is_encrypted_with_kms(ctx: SmokeContext) -> str:
    name = _output(ctx, "StreamName")
    summary = ctx.client("kinesis").describe_stream_summary(StreamName=name)
    stream = summary["StreamDescriptionSummary"]
    expect(
        stream["EncryptionType"] == "KMS",
        f"stream {name} encryption is {stream['EncryptionType']}, expected KMS",
    )
    key_id = stream.get("KeyId")
    expect(bool(key_id), f"stream {name} names no KMS key")
    kinesis = ctx.config.streaming.kinesis
    expect(
        stream["RetentionPeriodHours"] == kinesis.retention_hours,
        f"stream {name} retains {stream['RetentionPeriodHours']} h, "
        f"expected {kinesis.retention_hours}",
    )
    return f"stream {name}: KMS ({key_id}), {kinesis.retention_hours} h retention"


def _delivery(ctx: SmokeContext) -> tuple[str, dict[str, Any], dict[str, Any]]:
    name = _output(ctx, "DeliveryStreamName")
    description = ctx.client("firehose").describe_delivery_stream(DeliveryStreamName=name)[
        "DeliveryStreamDescription"
    ]
    destinations = description.get("Destinations", [])
    expect(len(destinations) == 1, f"{name} has {len(destinations)} destinations, expected 1")
    s3 = destinations[0].get("ExtendedS3DestinationDescription")
    expect(s3 is not None, f"{name} has no extended S3 destination")
    assert s3 is not None
    return name, description, s3


def firehose_converts_to_parquet(ctx: SmokeContext) -> str:
    name, description, s3 = _delivery(ctx)
    expect(
        description.get("DeliveryStreamType") == "KinesisStreamAsSource",
        f"{name} source type is {description.get('DeliveryStreamType')}",
    )
    conversion = s3.get("DataFormatConversionConfiguration") or {}
    expect(conversion.get("Enabled") is True, f"{name}: record format conversion is off")
    serializer = conversion.get("OutputFormatConfiguration", {}).get("Serializer", {})
    expect("ParquetSerDe" in serializer, f"{name}: output serializer is {serializer}, not Parquet")
    schema = conversion.get("SchemaConfiguration", {})
    expect(
        schema.get("TableName") == "events" and bool(schema.get("DatabaseName")),
        f"{name}: schema configuration {schema} does not name the events table",
    )
    return f"{name}: Parquet from {schema['DatabaseName']}.{schema['TableName']}"


def firehose_partitions_by_event_date(ctx: SmokeContext) -> str:
    name, _, s3 = _delivery(ctx)
    partitioning = s3.get("DynamicPartitioningConfiguration") or {}
    expect(partitioning.get("Enabled") is True, f"{name}: dynamic partitioning is off")
    expect(s3.get("Prefix") == EVENTS_PREFIX, f"{name}: prefix {s3.get('Prefix')!r}")
    expect(
        s3.get("ErrorOutputPrefix") == ERROR_PREFIX,
        f"{name}: error prefix {s3.get('ErrorOutputPrefix')!r}",
    )
    buffering = s3.get("BufferingHints", {})
    expected = ctx.config.streaming.firehose.buffer_size_mib
    expect(
        buffering.get("SizeInMBs") == expected,
        f"{name}: buffer {buffering.get('SizeInMBs')} MiB, expected {expected}",
    )
    processors = (s3.get("ProcessingConfiguration") or {}).get("Processors", [])
    lambdas = [p for p in processors if p.get("Type") == "Lambda"]
    expect(len(lambdas) == 1, f"{name}: {len(lambdas)} Lambda processors, expected 1")
    return f"{name}: {EVENTS_PREFIX} by the transform's dt, failures to {ERROR_PREFIX}"


def transform_lambda_settings(ctx: SmokeContext) -> str:
    name = _output(ctx, "TransformFunctionName")
    awslambda = ctx.client("lambda")
    function = awslambda.get_function_configuration(FunctionName=name)
    transform = ctx.config.streaming.transform
    wanted = {
        "Runtime": "python3.13",
        "Architectures": ["arm64"],
        "MemorySize": transform.memory_mib,
        "Timeout": transform.timeout_seconds,
    }
    for key, value in wanted.items():
        expect(function.get(key) == value, f"{name}: {key} is {function.get(key)!r}, not {value!r}")
    concurrency = awslambda.get_function_concurrency(FunctionName=name)
    reserved = concurrency.get("ReservedConcurrentExecutions")
    expect(
        reserved == transform.reserved_concurrency,
        f"{name}: reserved concurrency {reserved}, expected {transform.reserved_concurrency}",
    )
    return f"{name}: python3.13 arm64, {transform.memory_mib} MB, reserved {reserved}"


def alarms_notify_the_topic(ctx: SmokeContext) -> str:
    topic_arn = _output(ctx, "AlarmTopicArn")
    attributes = ctx.client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    expect(bool(attributes.get("KmsMasterKeyId")), f"topic {topic_arn} is not KMS-encrypted")
    pages = ctx.client("cloudwatch").get_paginator("describe_alarms").paginate()
    ours = [
        alarm
        for page in pages
        for alarm in page["MetricAlarms"]
        if topic_arn in alarm.get("AlarmActions", [])
    ]
    # The platform topic also carries other stacks' alarms, some on metric math (no MetricName).
    metrics = {alarm.get("MetricName") for alarm in ours}
    missing = EXPECTED_ALARM_METRICS - metrics
    expect(not missing, f"no alarm on {sorted(missing)} notifies {topic_arn}")
    return f"{len(ours)} alarms notify {topic_arn}"


CHECKS: list[Check] = [
    stream_is_encrypted_with_kms,
    firehose_converts_to_parquet,
    firehose_partitions_by_event_date,
    transform_lambda_settings,
    alarms_notify_the_topic,
]
