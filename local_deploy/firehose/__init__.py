"""Firehose's part of the stream path, played locally.

moto stores delivery streams and answers ``DescribeDeliveryStream``, but it never reads the
source stream, calls the transform or writes to S3. This package does that for a deployed
delivery stream, from its own description: read the Kinesis source, invoke the deployed
transform Lambda's code in-process, convert the Ok records to Parquet with the Glue table's
schema, and write objects and error documents under the configured prefixes.
"""


class LocalDeliveryError(Exception):
    """What is deployed cannot be delivered locally; the message says what and where."""
