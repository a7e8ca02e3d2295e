"""The `cluster` config section: every bad input is one line naming key, value and rule."""

from __future__ import annotations

from typing import Any

import pytest

from platform_config import parse_profile
from platform_config.cluster import GRAVITON
from tests.config_testkit import error_for, profile


def with_cluster(change: dict[str, Any], name: str = "dev") -> dict[str, Any]:
    """The profile with `change` (dotted keys) applied to its cluster section."""
    raw = profile(name)
    for dotted, value in change.items():
        *path, last = dotted.split(".")
        target = raw["cluster"]
        for key in path:
            target = target[key]
        target[last] = value
    return raw


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_shipped_cluster_sections_are_valid(name: str) -> None:
    cluster = parse_profile(name, profile(name)).cluster
    assert cluster.enabled
    assert cluster.architecture == "arm64"
    for instance_type in [cluster.master_instance_type, *cluster.worker_instance_types]:
        GRAVITON.check(instance_type)


def test_dev_is_cheap_to_leave_and_prod_is_sized_for_work() -> None:
    dev = parse_profile("dev", profile("dev")).cluster
    prod = parse_profile("prod", profile("prod")).cluster
    assert (dev.workers.min_capacity, dev.workers.desired_capacity) == (0, 0)
    assert dev.workers.spot_percentage == 100
    assert [s.desired_capacity for s in dev.workers.schedules] == [0]
    assert prod.workers.min_capacity >= 2
    assert prod.workers.on_demand_base_capacity >= 1
    assert prod.workers.max_capacity > dev.workers.max_capacity
    assert prod.detailed_monitoring
    assert not dev.detailed_monitoring


# (change to the dev profile's cluster section, key in the message, words of the rule)
BAD_INPUT = [
    (
        {"worker_instance_types": ["m7g.large", "m6i.large"]},
        "cluster.worker_instance_types: got ['m7g.large', 'm6i.large']",
        "'m6i.large' is not a Graviton (arm64) EC2 instance type; allowed families: m6g",
    ),
    (
        {"master_instance_type": "c7i.xlarge"},
        "cluster.master_instance_type: got 'c7i.xlarge'",
        "not a Graviton (arm64)",
    ),
    (
        {"master_instance_type": "m7g.huge"},
        "cluster.master_instance_type: got 'm7g.huge'",
        "does not exist in m7g; allowed: m7g.medium",
    ),
    (
        {"worker_instance_types": ["m7g.large", "m7g.xlarge"]},
        "cluster.worker_instance_types",
        "all from one family (m7g); allowed: types from two or more families",
    ),
    (
        {"worker_instance_types": ["m7g.large"]},
        "cluster.worker_instance_types",
        "at least 2 items",
    ),
    (
        {"architecture": "x86_64"},
        "cluster.master_instance_type: got 'm7g.medium'",
        "not a x86_64 EC2 instance type",
    ),
    (
        {"workers.spot_percentage": 101},
        "cluster.workers.spot_percentage: got 101",
        "less than or equal to 100",
    ),
    (
        {"workers.min_capacity": 2, "workers.desired_capacity": 1},
        "cluster.workers.desired_capacity: got 1",
        "below min_capacity (2); allowed: min <= desired <= max",
    ),
    (
        {"workers.desired_capacity": 3, "workers.max_capacity": 2},
        "cluster.workers.max_capacity: got 2",
        "below desired_capacity (3)",
    ),
    (
        {"workers.on_demand_base_capacity": 9},
        "cluster.workers.on_demand_base_capacity: got 9",
        "above max_capacity (4)",
    ),
    (
        {"workers.lifecycle_hook_timeout_seconds": 10},
        "cluster.workers.lifecycle_hook_timeout_seconds: got 10",
        "greater than or equal to 30",
    ),
    (
        {"workers.decommission_timeout_seconds": 600},
        "cluster.workers.decommission_timeout_seconds: got 600",
        "not below lifecycle_hook_timeout_seconds (600)",
    ),
    (
        {"workers.time_zone": "Mars/Olympus"},
        "cluster.workers.time_zone: got 'Mars/Olympus'",
        "not an IANA time zone",
    ),
    (
        {"workers.schedules": [{"name": "Night", "cron": "0 19 * *", "min_capacity": 0}]},
        "cluster.workers.schedules.0.cron: got '0 19 * *'",
        "not a 5-field cron expression",
    ),
    (
        {"workers.schedules": [{"name": "Night", "cron": "0 19 * * *"}]},
        "cluster.workers.schedules.0",
        "schedule Night sets no capacity",
    ),
    (
        {"workers.schedules": [{"name": "Burst", "cron": "0 9 * * *", "desired_capacity": 9}]},
        "cluster.workers.schedules: got [",
        "Burst.desired_capacity (9) exceeds max_capacity (4)",
    ),
    ({"ports.driver": 7110}, "cluster.ports", "driver (7110) falls in the range of block_manager"),
    ({"ports.master": 22}, "cluster.ports.master: got 22", "greater than or equal to 1024"),
    (
        {"distribution.spark.version": "3.4.1"},
        "cluster.distribution.spark",
        "version 3.4.1 is not Spark 3.5.x",
    ),
    (
        {"distribution.hadoop_aws.version": "3.3.6"},
        "cluster.distribution.hadoop_aws",
        "does not match Spark 3.5's Hadoop; allowed: 3.3.4",
    ),
    (
        {"distribution.spark.sha512": "abc123"},
        "cluster.distribution.spark.sha512: got 'abc123'",
        "not a SHA-512 digest; allowed: 128 lowercase hex digits",
    ),
    (
        {"distribution.spark.url": "http://mirror.example/spark.tgz"},
        "cluster.distribution.spark.url: got 'http://mirror.example/spark.tgz'",
        "https://host/path or s3://bucket/key",
    ),
    (
        {"distribution.corretto_version": "11"},
        "cluster.distribution.corretto_version: got '11'",
        "'17'",
    ),
    ({"dns.zone_name": "Spark_Zone"}, "cluster.dns.zone_name: got 'Spark_Zone'", "DNS domain"),
    (
        {"metrics_namespace": "AWS/Spark"},
        "cluster.metrics_namespace: got 'AWS/Spark'",
        "not a custom CloudWatch namespace",
    ),
    ({"log_retention_days": 10}, "cluster.log_retention_days: got 10", "CloudWatch Logs"),
    ({"spot_share": 50}, "cluster.spot_share: unknown key", "allowed keys here:"),
]


@pytest.mark.parametrize(("change", "key", "rule"), BAD_INPUT)
def test_bad_cluster_input(change: dict[str, Any], key: str, rule: str) -> None:
    message = error_for(with_cluster(change))
    assert f"config error at cdk.json context profiles.dev.{key}" in message
    assert rule in message


def test_a_pinned_digest_is_accepted() -> None:
    raw = with_cluster({"distribution.spark.sha512": "0123456789abcdef" * 8})
    assert parse_profile("dev", raw).cluster.distribution.spark.sha512 == "0123456789abcdef" * 8


def test_staged_artifacts_in_s3_are_accepted() -> None:
    raw = with_cluster({"distribution.spark.url": "s3://my-artifacts/spark/spark-3.5.7.tgz"})
    assert parse_profile("dev", raw).cluster.distribution.spark.url.startswith("s3://")


def test_x86_64_takes_x86_types() -> None:
    raw = with_cluster(
        {
            "architecture": "x86_64",
            "master_instance_type": "m7i.large",
            "worker_instance_types": ["m7i.large", "r7i.large"],
        }
    )
    assert parse_profile("dev", raw).cluster.architecture == "x86_64"


def test_on_demand_share_is_the_rest_of_the_spot_share() -> None:
    prod = parse_profile("prod", profile("prod")).cluster
    assert prod.on_demand_percentage_above_base == 100 - prod.workers.spot_percentage
