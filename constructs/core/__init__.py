"""Shared building blocks: buckets, log groups, functions, alarm topics, cdk-nag helpers."""
