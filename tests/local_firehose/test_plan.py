from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from local_deploy.firehose.plan import DeliveryConfigurationError, DeliveryPlan

LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:transform"
DESCRIPTION: dict[str, Any] = {
    "DeliveryStreamName": "events-from-kinesis",
    "DeliveryStreamARN": "arn:aws:firehose:us-east-1:123456789012:deliverystream/events",
    "Source": {
        "KinesisStreamSourceDescription": {
            "KinesisStreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/events"
        }
    },
    "Destinations": [
        {
            "ExtendedS3DestinationDescription": {
                "BucketARN": "arn:aws:s3:::raw-bucket",
                "Prefix": "events/dt=!{partitionKeyFromLambda:dt}/",
                "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
                "EncryptionConfiguration": {"KMSEncryptionConfig": {"AWSKMSKeyARN": "key-arn"}},
                "ProcessingConfiguration": {
                    "Enabled": True,
                    "Processors": [
                        {
                            "Type": "Lambda",
                            "Parameters": [
                                {"ParameterName": "LambdaArn", "ParameterValue": LAMBDA_ARN}
                            ],
                        }
                    ],
                },
                "DataFormatConversionConfiguration": {
                    "Enabled": True,
                    "SchemaConfiguration": {"DatabaseName": "raw", "TableName": "events"},
                },
            }
        }
    ],
}


def s3_of(description: dict[str, Any]) -> dict[str, Any]:
    return description["Destinations"][0]["ExtendedS3DestinationDescription"]


def test_a_description_becomes_a_plan() -> None:
    plan = DeliveryPlan.from_description(DESCRIPTION)
    assert plan.source_stream_name == "events"
    assert plan.bucket == "raw-bucket"
    assert plan.lambda_arn == LAMBDA_ARN
    assert plan.kms_key_arn == "key-arn"
    assert (plan.database, plan.table) == ("raw", "events")


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda d: d.pop("Source"), "source is not a Kinesis stream"),
        (lambda d: d["Destinations"][0].clear(), "no extended S3 destination"),
        (lambda d: s3_of(d).pop("ProcessingConfiguration"), "0 Lambda processors, expected 1"),
        (
            lambda d: s3_of(d)["DataFormatConversionConfiguration"].update(Enabled=False),
            "record format conversion is off",
        ),
        (lambda d: s3_of(d).pop("ErrorOutputPrefix"), "no error output prefix"),
    ],
)
def test_what_cannot_be_delivered_locally_is_named(
    break_it: Callable[[dict[str, Any]], object], message: str
) -> None:
    description = copy.deepcopy(DESCRIPTION)
    break_it(description)
    with pytest.raises(DeliveryConfigurationError, match=f"events-from-kinesis: {message}"):
        DeliveryPlan.from_description(description)
