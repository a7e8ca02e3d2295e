"""FirehoseToLake: a Firehose stream from Kinesis or MSK into the lake's raw zone as Parquet.

Every delivery stream built here lands records the same way, whatever its source, so both
paths fill one Glue table:

* the transform Lambda validates and normalises each record and returns its event date in
  `metadata.partitionKeys.dt`;
* dynamic partitioning writes good records under `<events>dt=<event date>/` (the date the event
  happened, not the date it arrived);
* record format conversion turns the JSON lines into Snappy Parquet with the Glue table's schema;
* anything that fails (the transform's ProcessingFailed records, a failed conversion, a bad
  partition key) is written unchanged under `<errors><error type>/dt=<arrival date>/`, so no
  record is lost and the error prefix can be replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from constructs import Construct
from constructs.core.bucket_grants import kms_via_s3
from constructs.core.cfn import default_policy
from constructs.core.encrypted_log_group import EncryptedLogGroup
from constructs.core.nag import acknowledge_wildcard_resources, skip_checkov
from lake_schema.layout import PARTITION_KEY

DELIVERY_LOG_STREAM = "DestinationDelivery"


@dataclass(frozen=True)
class LakeDestination:
    """Where and as what the records land: the raw zone, its key, the table and the prefixes."""

    bucket: s3.IBucket
    key: kms.IKey
    database_name: str
    table_name: str
    events_prefix: str  # e.g. "events/"
    errors_prefix: str  # e.g. "errors/"

    def __post_init__(self) -> None:
        for name in ("events_prefix", "errors_prefix"):
            value = getattr(self, name)
            if not value.endswith("/") or value.startswith("/"):
                raise ValueError(f"LakeDestination.{name} {value!r} must be like 'events/'")

    @property
    def partitioned_prefix(self) -> str:
        return f"{self.events_prefix}{PARTITION_KEY}=!{{partitionKeyFromLambda:{PARTITION_KEY}}}/"

    @property
    def error_output_prefix(self) -> str:
        # Failed records have no trusted event date, so they are filed by arrival date.
        return (
            f"{self.errors_prefix}!{{firehose:error-output-type}}/"
            f"{PARTITION_KEY}=!{{timestamp:yyyy-MM-dd}}/"
        )


@dataclass(frozen=True)
class DeliveryTuning:
    """How a delivery stream buffers, transforms and retries (each value in Firehose's units).

    The defaults are this construct's: the largest S3 buffer (fewer, larger Parquet files) and
    Firehose's own defaults for the Lambda processor and the partitioning retries.
    """

    #: MiB buffered before writing to S3; dynamic partitioning and Parquet need at least 64.
    buffer_size_mib: int = 128
    #: seconds buffered before writing to S3, whichever of size and time comes first.
    buffer_interval_seconds: int = 300
    #: MiB handed to the transform Lambda per invocation.
    processor_buffer_size_mib: int = 1
    #: seconds buffered before invoking the transform Lambda.
    processor_buffer_interval_seconds: int = 60
    #: retries of a failed transform invocation before its records go to the error prefix.
    processor_retries: int = 3
    #: seconds Firehose retries a partitioned write before the records go to the error prefix.
    partitioning_retry_seconds: int = 300


@dataclass(frozen=True)
class SourceConfiguration:
    """The source half of a delivery stream's properties."""

    stream_type: str
    kinesis: firehose.CfnDeliveryStream.KinesisStreamSourceConfigurationProperty | None = None
    msk: firehose.CfnDeliveryStream.MSKSourceConfigurationProperty | None = None


class FirehoseSource(Protocol):
    """Where a delivery stream reads from. It grants the delivery role what reading needs and
    says how the stream is configured to read, so FirehoseToLake never asks which kind it is."""

    def grant_read(self, scope: Construct, role: iam.Role) -> list[iam.Policy]:
        """Let `role` read the source; returns any policies created (in `scope`) besides the
        role's default policy, which the delivery stream must wait for too."""
        ...

    def bind(self, role: iam.IRole) -> SourceConfiguration:
        """The delivery stream's source properties, read with `role`."""
        ...


# What Firehose calls on a Kinesis data stream it reads (the Firehose developer guide's role
# policy for a Kinesis source, "Grant Firehose access to an Amazon S3 destination"). The L2's
# grant_read adds DescribeStreamSummary, ListStreams, SubscribeToShard and DescribeStreamConsumer:
# Firehose calls none of them (it polls the shards; it registers no enhanced fan-out consumer),
# and on the stream's ARN the last three match nothing (ListStreams takes no resource, the other
# two a consumer's ARN).
KINESIS_SOURCE_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:GetShardIterator",
    "kinesis:GetRecords",
    "kinesis:ListShards",
)


@dataclass(frozen=True)
class KinesisSource:
    """A Kinesis data stream, read with exactly what Firehose calls (KINESIS_SOURCE_ACTIONS) on
    this stream, and kms:Decrypt on its key if it has one: the stream and its key grant."""

    stream: kinesis.IStream

    def grant_read(self, scope: Construct, role: iam.Role) -> list[iam.Policy]:
        self.stream.grant(role, *KINESIS_SOURCE_ACTIONS)
        if self.stream.encryption_key is not None:
            self.stream.encryption_key.grant_decrypt(role)
        return []

    def bind(self, role: iam.IRole) -> SourceConfiguration:
        return SourceConfiguration(
            stream_type="KinesisStreamAsSource",
            kinesis=firehose.CfnDeliveryStream.KinesisStreamSourceConfigurationProperty(
                kinesis_stream_arn=self.stream.stream_arn, role_arn=role.role_arn
            ),
        )


@dataclass(frozen=True)
class KafkaSource:
    """One topic of an MSK cluster, reached over the cluster's private (multi-VPC) connectivity
    with IAM authentication."""

    cluster_arn: str
    topic: str

    def grant_read(self, scope: Construct, role: iam.Role) -> list[iam.Policy]:
        cluster_arn = self.cluster_arn
        # arn:...:cluster/<name>/<uuid> -> the topic and group ARNs of the same cluster.
        name_and_uuid = cdk.Fn.select(1, cdk.Fn.split(":cluster/", cluster_arn))
        arn_head = cdk.Fn.select(0, cdk.Fn.split(":cluster/", cluster_arn))
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ConnectToTheCluster",
                actions=[
                    "kafka:GetBootstrapBrokers",
                    "kafka:DescribeCluster",
                    "kafka:DescribeClusterV2",
                    "kafka-cluster:Connect",
                ],
                resources=[cluster_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadTheTopic",
                actions=[
                    "kafka-cluster:DescribeTopic",
                    "kafka-cluster:DescribeTopicDynamicConfiguration",
                    "kafka-cluster:ReadData",
                ],
                resources=[cdk.Fn.join("", [arn_head, ":topic/", name_and_uuid, "/", self.topic])],
            )
        )
        # Firehose chooses its consumer group name itself: groups of this cluster only.
        group_arns = [cdk.Fn.join("", [arn_head, ":group/", name_and_uuid, "/*"])]
        group_policy = iam.Policy(
            scope,
            "KafkaConsumerGroup",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    sid="UseItsConsumerGroup",
                    actions=["kafka-cluster:DescribeGroup"],
                    resources=group_arns,
                )
            ],
        )
        acknowledge_wildcard_resources(
            group_policy,
            group_arns,
            reason="Firehose names its own Kafka consumer group, so DescribeGroup is scoped to "
            "the groups of this one cluster; the topic and cluster actions have exact ARNs.",
        )
        return [group_policy]

    def bind(self, role: iam.IRole) -> SourceConfiguration:
        return SourceConfiguration(
            stream_type="MSKAsSource",
            msk=firehose.CfnDeliveryStream.MSKSourceConfigurationProperty(
                msk_cluster_arn=self.cluster_arn,
                topic_name=self.topic,
                authentication_configuration=firehose.CfnDeliveryStream.AuthenticationConfigurationProperty(
                    connectivity="PRIVATE", role_arn=role.role_arn
                ),
            ),
        )


class FirehoseToLake(Construct):
    """One delivery stream, its least-privilege role and its encrypted delivery log.

    There is no DeliveryStreamEncryptionConfigurationInput: Firehose accepts server-side
    encryption only for Direct PUT streams. With a Kinesis or MSK source it keeps no copy at
    rest; the records stay in the source, which is encrypted with its own key, and land in S3
    encrypted with the lake key (set on the destination below).

    :param delivery_stream_name: the stream's physical name.
    :param source: where records come from (KinesisSource or KafkaSource); it grants the role.
    :param destination: the raw zone bucket, its key, the Glue table and the prefixes.
    :param transform: the Lambda that validates records and returns their event date.
    :param tuning: buffering and retries. Default: DeliveryTuning's defaults.
    :param log_retention: how long delivery errors are kept in the delivery log group.
        Default: two years.
    :param removal_policy: what happens to the delivery log group, its stream and its key when
        they leave the stack. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        delivery_stream_name: str,
        source: FirehoseSource,
        destination: LakeDestination,
        transform: lambda_.IFunction,
        tuning: DeliveryTuning | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.TWO_YEARS,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        log_stream = self._delivery_log(log_retention, removal_policy)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com",
                # The documented confused-deputy guard for Firehose roles.
                conditions={"StringEquals": {"sts:ExternalId": cdk.Stack.of(self).account}},
            ),
            description=f"Delivers {delivery_stream_name} into the lake's raw zone",
        )
        self._policies = source.grant_read(self, self.role)
        self._grant_destination(destination)
        self._grant_catalog(destination)
        self._grant_transform_and_log(transform, log_stream)

        source_configuration = source.bind(self.role)
        self.delivery_stream = firehose.CfnDeliveryStream(
            self,
            "DeliveryStream",
            delivery_stream_name=delivery_stream_name,
            delivery_stream_type=source_configuration.stream_type,
            kinesis_stream_source_configuration=source_configuration.kinesis,
            msk_source_configuration=source_configuration.msk,
            extended_s3_destination_configuration=self._destination(
                destination, transform, tuning or DeliveryTuning(), log_stream.log_stream_name
            ),
        )
        # Firehose checks its role's permissions when the stream is created, so the policies
        # must exist first (the role itself is already a dependency through its ARN).
        self.delivery_stream.node.add_dependency(default_policy(self.role), *self._policies)
        cdk.Validations.of(self.delivery_stream).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-KDF1",
                reason="Firehose accepts server-side encryption only for Direct PUT streams; "
                "with a Kinesis or MSK source it keeps no data at rest (the source is "
                "encrypted with its own key) and S3 objects are encrypted with the lake key.",
            )
        )
        self.delivery_stream_name = delivery_stream_name

    def _delivery_log(
        self, retention: logs.RetentionDays, removal_policy: cdk.RemovalPolicy
    ) -> logs.LogStream:
        self.delivery_logs = EncryptedLogGroup(
            self, "Logs", retention=retention, removal_policy=removal_policy
        )
        return logs.LogStream(
            self,
            "DeliveryLogStream",
            log_group=self.delivery_logs.log_group,
            log_stream_name=DELIVERY_LOG_STREAM,
            removal_policy=removal_policy,
        )

    # -- permissions -------------------------------------------------------------------------

    def _grant_transform_and_log(
        self, transform: lambda_.IFunction, log_stream: logs.LogStream
    ) -> None:
        stack = cdk.Stack.of(self)
        # Not transform.grant_invoke(self.role): Firehose also calls GetFunctionConfiguration,
        # and grant_invoke writes a different statement (no Sid, an extra `<arn>:*` resource),
        # which would change the deployed policy of every delivery role.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="InvokeTheTransform",
                actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                resources=[transform.function_arn],
            )
        )
        if isinstance(transform.node.default_child, cdk.CfnResource):  # not an imported one
            skip_checkov(
                transform,
                {
                    "CKV_AWS_116": "Firehose invokes the transform synchronously and retries it "
                    "itself; records that still fail go to the lake's error prefix. A dead-letter "
                    "queue keeps only asynchronous invocations, which this function never gets."
                },
            )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteTheDeliveryLog",
                actions=["logs:PutLogEvents"],
                resources=[
                    stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name=(
                            f"{self.delivery_logs.log_group.log_group_name}"
                            f":log-stream:{log_stream.log_stream_name}"
                        ),
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )

    def _grant_destination(self, destination: LakeDestination) -> None:
        bucket_arn = destination.bucket.bucket_arn
        prefixes = (destination.events_prefix, destination.errors_prefix)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="FindTheRawBucket",
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket_arn],
            )
        )
        # A policy of its own, holding only the prefix-scoped object statement, so that its
        # unavoidable wildcards (objects under a prefix) are acknowledged on it alone.
        object_arns = [f"{bucket_arn}/{prefix}*" for prefix in prefixes]
        prefix_policy = iam.Policy(
            self,
            "LakePrefixWrite",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="WriteEventsAndErrorsPrefixesOnly",
                    actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
                    resources=object_arns,
                )
            ],
        )
        acknowledge_wildcard_resources(
            prefix_policy,
            object_arns,
            reason="Firehose names objects at delivery time (date partition, random suffix), "
            "so object access is scoped to the events/ and errors/ prefixes of the raw bucket.",
        )
        self._policies.append(prefix_policy)
        # The lake key only through S3, and only for this bucket's prefixes.
        iam.Grant.add_to_principal(
            grantee=self.role,
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resource_arns=[destination.key.key_arn],
            conditions=kms_via_s3(destination.bucket, [f"{prefix}*" for prefix in prefixes]),
        )

    def _grant_catalog(self, destination: LakeDestination) -> None:
        stack = cdk.Stack.of(self)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadTheTableSchemaForConversion",
                actions=["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                resources=[
                    stack.format_arn(service="glue", resource="catalog"),
                    stack.format_arn(
                        service="glue", resource="database", resource_name=destination.database_name
                    ),
                    stack.format_arn(
                        service="glue",
                        resource="table",
                        resource_name=f"{destination.database_name}/{destination.table_name}",
                    ),
                ],
            )
        )

    # -- delivery stream properties ----------------------------------------------------------

    def _destination(
        self,
        destination: LakeDestination,
        transform: lambda_.IFunction,
        tuning: DeliveryTuning,
        log_stream_name: str,
    ) -> firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty:
        fh = firehose.CfnDeliveryStream
        return fh.ExtendedS3DestinationConfigurationProperty(
            bucket_arn=destination.bucket.bucket_arn,
            role_arn=self.role.role_arn,
            prefix=destination.partitioned_prefix,
            error_output_prefix=destination.error_output_prefix,
            buffering_hints=fh.BufferingHintsProperty(
                size_in_m_bs=tuning.buffer_size_mib,
                interval_in_seconds=tuning.buffer_interval_seconds,
            ),
            # Parquet compresses inside the file (Snappy below); the object itself must not be.
            compression_format="UNCOMPRESSED",
            encryption_configuration=fh.EncryptionConfigurationProperty(
                kms_encryption_config=fh.KMSEncryptionConfigProperty(
                    awskms_key_arn=destination.key.key_arn
                )
            ),
            cloud_watch_logging_options=fh.CloudWatchLoggingOptionsProperty(
                enabled=True,
                log_group_name=self.delivery_logs.log_group.log_group_name,
                log_stream_name=log_stream_name,
            ),
            processing_configuration=_lambda_processing(transform, tuning),
            dynamic_partitioning_configuration=fh.DynamicPartitioningConfigurationProperty(
                enabled=True,
                retry_options=fh.RetryOptionsProperty(
                    duration_in_seconds=tuning.partitioning_retry_seconds
                ),
            ),
            data_format_conversion_configuration=self._parquet_conversion(destination),
            s3_backup_mode="Disabled",
        )

    def _parquet_conversion(
        self, destination: LakeDestination
    ) -> firehose.CfnDeliveryStream.DataFormatConversionConfigurationProperty:
        """JSON lines in, Snappy Parquet out, with the Glue table's schema."""
        stack = cdk.Stack.of(self)
        fh = firehose.CfnDeliveryStream
        return fh.DataFormatConversionConfigurationProperty(
            enabled=True,
            # OpenX reads the transform's timestamps (ISO 8601, UTC, `Z`) natively; only the
            # Hive SerDe takes a TimestampFormats list, and it is stricter about JSON.
            input_format_configuration=fh.InputFormatConfigurationProperty(
                deserializer=fh.DeserializerProperty(
                    open_x_json_ser_de=fh.OpenXJsonSerDeProperty(
                        case_insensitive=False,
                        convert_dots_in_json_keys_to_underscores=False,
                    )
                )
            ),
            output_format_configuration=fh.OutputFormatConfigurationProperty(
                serializer=fh.SerializerProperty(
                    parquet_ser_de=fh.ParquetSerDeProperty(compression="SNAPPY")
                )
            ),
            schema_configuration=fh.SchemaConfigurationProperty(
                catalog_id=stack.account,
                database_name=destination.database_name,
                table_name=destination.table_name,
                region=stack.region,
                role_arn=self.role.role_arn,
                version_id="LATEST",
            ),
        )


def _lambda_processing(
    transform: lambda_.IFunction, tuning: DeliveryTuning
) -> firehose.CfnDeliveryStream.ProcessingConfigurationProperty:
    """Every record through the transform Lambda, with the configured retries and buffering."""
    fh = firehose.CfnDeliveryStream
    return fh.ProcessingConfigurationProperty(
        enabled=True,
        processors=[
            fh.ProcessorProperty(
                type="Lambda",
                parameters=[
                    fh.ProcessorParameterProperty(parameter_name=name, parameter_value=str(value))
                    for name, value in (
                        ("LambdaArn", transform.function_arn),
                        ("NumberOfRetries", tuning.processor_retries),
                        ("BufferSizeInMBs", tuning.processor_buffer_size_mib),
                        (
                            "BufferIntervalInSeconds",
                            tuning.processor_buffer_interval_seconds,
                        ),
                    )
                ],
            )
        ],
    )
