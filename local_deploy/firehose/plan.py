"""A deployed delivery stream, as its DescribeDeliveryStream answer describes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_deploy.firehose import LocalDeliveryError


class DeliveryConfigurationError(LocalDeliveryError, ValueError):
    """A delivery stream this local delivery cannot play (not Kinesis to S3 with a Lambda)."""


@dataclass(frozen=True)
class DeliveryPlan:
    """What a deployed delivery stream says it does, from DescribeDeliveryStream."""

    name: str
    arn: str
    source_stream_name: str
    bucket: str
    prefix: str
    error_prefix: str
    kms_key_arn: str | None
    lambda_arn: str
    database: str
    table: str
    #: The roles Firehose reads the source and writes the destination as ("": not given).
    source_role_arn: str = ""
    role_arn: str = ""

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> DeliveryPlan:
        name = description["DeliveryStreamName"]

        def require(value: object, what: str) -> Any:  # noqa: ANN401 - shapes from boto3
            if not value:
                raise DeliveryConfigurationError(f"delivery stream {name}: {what}")
            return value

        source = (description.get("Source") or {}).get("KinesisStreamSourceDescription") or {}
        stream_arn = require(source.get("KinesisStreamARN"), "source is not a Kinesis stream")
        destinations = description.get("Destinations") or [{}]
        s3 = require(
            destinations[0].get("ExtendedS3DestinationDescription"), "no extended S3 destination"
        )
        processors = (s3.get("ProcessingConfiguration") or {}).get("Processors") or []
        lambda_arns = [
            parameter["ParameterValue"]
            for processor in processors
            if processor.get("Type") == "Lambda"
            for parameter in processor.get("Parameters", [])
            if parameter.get("ParameterName") == "LambdaArn"
        ]
        require(len(lambda_arns) == 1, f"{len(lambda_arns)} Lambda processors, expected 1")
        conversion = s3.get("DataFormatConversionConfiguration") or {}
        require(conversion.get("Enabled"), "record format conversion is off")
        schema = conversion.get("SchemaConfiguration") or {}
        kms = (s3.get("EncryptionConfiguration") or {}).get("KMSEncryptionConfig") or {}
        return cls(
            name=name,
            arn=description["DeliveryStreamARN"],
            source_stream_name=stream_arn.rpartition("/")[2],
            bucket=require(s3.get("BucketARN"), "no bucket").rpartition(":")[2],
            prefix=require(s3.get("Prefix"), "no prefix"),
            error_prefix=require(s3.get("ErrorOutputPrefix"), "no error output prefix"),
            kms_key_arn=kms.get("AWSKMSKeyARN"),
            lambda_arn=lambda_arns[0],
            database=require(schema.get("DatabaseName"), "no Glue database"),
            table=require(schema.get("TableName"), "no Glue table"),
            source_role_arn=source.get("RoleARN", ""),
            role_arn=s3.get("RoleARN", ""),
        )
