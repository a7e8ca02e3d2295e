"""Command-line tools for the events pipeline: sample data for the lake and a Kinesis producer."""
