"""Kinesis Data Firehose: AWS::KinesisFirehose::DeliveryStream."""

from __future__ import annotations

from moto.firehose.models import FirehoseBackend, firehose_backends

from ._base import Handler, tag_dict_to_list, tag_list_to_dict

_MAX_NAME_LENGTH = 64

# Template property -> keyword of moto's create_delivery_stream.
_DESTINATIONS = {
    "S3DestinationConfiguration": "s3_destination_configuration",
    "ExtendedS3DestinationConfiguration": "extended_s3_destination_configuration",
    "RedshiftDestinationConfiguration": "redshift_destination_configuration",
    "ElasticsearchDestinationConfiguration": "elasticsearch_destination_configuration",
    "SplunkDestinationConfiguration": "splunk_destination_configuration",
    "HttpEndpointDestinationConfiguration": "http_endpoint_destination_configuration",
    "SnowflakeDestinationConfiguration": "snowflake_destination_configuration",
    "IcebergDestinationConfiguration": "iceberg_destination_configuration",
}


class DeliveryStream(Handler):
    """Ref: the delivery stream name. GetAtt: Arn.

    A change replaces the stream under the same name (moto's UpdateDestination covers only
    part of what the template can change).
    """

    TYPE = "AWS::KinesisFirehose::DeliveryStream"
    NAME_PROPERTY = "DeliveryStreamName"
    ATTRIBUTES = frozenset({"Arn"})

    def _backend(self) -> FirehoseBackend:
        return firehose_backends[self.account_id][self.region_name]

    def create(self) -> None:
        if "DeliveryStreamName" not in self.properties:
            # Generated names follow the stack-logicalId-suffix pattern and may run long.
            self.name = self.name[:_MAX_NAME_LENGTH]
        destinations = {keyword: self.prop(key) for key, keyword in _DESTINATIONS.items()}
        if not any(destinations.values()):
            raise ValueError(f"{self.TYPE} {self.logical_id}: no destination configuration")
        arn = self._backend().create_delivery_stream(
            region=self.region_name,
            delivery_stream_name=self.name,
            delivery_stream_type=self.prop("DeliveryStreamType", "DirectPut"),
            kinesis_stream_source_configuration=self.prop("KinesisStreamSourceConfiguration"),
            delivery_stream_encryption_configuration_input=self.prop(
                "DeliveryStreamEncryptionConfigurationInput"
            ),
            tags=tag_dict_to_list(tag_list_to_dict(self.prop("Tags"))),
            **destinations,
        )
        self.physical_resource_id = self.name
        self.attributes = {"Arn": arn}

    def delete_resource(self) -> None:
        if self.physical_resource_id in self._backend().delivery_streams:
            self._backend().delete_delivery_stream(self.physical_resource_id)
