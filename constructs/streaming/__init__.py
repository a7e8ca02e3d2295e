"""Streaming constructs: the Kinesis stream, Firehose into the lake, MSK and their alarms."""
