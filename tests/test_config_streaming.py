"""The `streaming` config section: every hourly cost stated in both profiles, and each kind of
bad input as one clear line."""

from __future__ import annotations

from typing import Any

import pytest

from platform_config import ConfigError, parse_profile
from tests.stacks.streaming_testkit import CLIENT_GROUP, raw_profile


def streaming_error(mutate: Any, name: str = "dev") -> str:
    raw = raw_profile(name)
    mutate(raw["streaming"])
    with pytest.raises(ConfigError) as caught:
        parse_profile(name, raw)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_profiles_state_every_hourly_cost() -> None:
    dev = parse_profile("dev", raw_profile("dev")).streaming
    prod = parse_profile("prod", raw_profile("prod")).streaming
    # dev: one provisioned shard ($0.015/h) where on-demand costs $0.04/h idle.
    assert (dev.kinesis.capacity_mode, dev.kinesis.shard_count) == ("provisioned", 1)
    assert (prod.kinesis.capacity_mode, prod.kinesis.shard_count) == ("provisioned", 4)
    assert dev.msk.mode == "none"
    # Both profiles carry broker sizing, so switching MSK on is one key and never a guess.
    assert dev.msk.provisioned is not None
    assert prod.msk.provisioned is not None
    for streaming in (dev, prod):
        assert streaming.firehose.buffer_size_mib >= 64


def test_dev_reserves_no_concurrency_and_prod_keeps_its_reservations() -> None:
    """A new account's Lambda quota of 10 refuses any reservation: dev, the profile a new user
    deploys first, reserves none; null (or no key) means none."""
    dev = parse_profile("dev", raw_profile("dev"))
    prod = parse_profile("prod", raw_profile("prod"))
    assert (dev.streaming.transform.reserved_concurrency, dev.ml.deployer_reserved_concurrency) == (
        None,
        None,
    )
    assert (
        prod.streaming.transform.reserved_concurrency,
        prod.ml.deployer_reserved_concurrency,
    ) == (
        50,
        1,
    )
    raw = raw_profile("dev")
    del raw["streaming"]["transform"]["reserved_concurrency"]
    del raw["ml"]["deployer_reserved_concurrency"]
    assert parse_profile("dev", raw).streaming.transform.reserved_concurrency is None


def test_deployer_reservation_is_checked() -> None:
    raw = raw_profile("dev")
    raw["ml"]["deployer_reserved_concurrency"] = 0
    with pytest.raises(ConfigError, match=r"ml\.deployer_reserved_concurrency: got 0"):
        parse_profile("dev", raw)


@pytest.mark.parametrize(
    ("mutate", "key", "says"),
    [
        (
            lambda s: s["kinesis"].update(capacity_mode="provisioned", shard_count=None),
            "streaming.kinesis",
            "shard_count is required when capacity_mode is 'provisioned'",
        ),
        (
            lambda s: s["kinesis"].update(capacity_mode="on_demand", shard_count=2),
            "streaming.kinesis",
            "shard_count (2) is only for capacity_mode 'provisioned'",
        ),
        (
            lambda s: s["kinesis"].update(retention_hours=12),
            "streaming.kinesis.retention_hours: got 12",
            "greater than or equal to 24",
        ),
        (
            lambda s: s["firehose"].update(buffer_size_mib=5),
            "streaming.firehose.buffer_size_mib: got 5",
            "greater than or equal to 64",
        ),
        (
            lambda s: s["transform"].update(reserved_concurrency=0),
            "streaming.transform.reserved_concurrency: got 0",
            "greater than or equal to 1",
        ),
        (
            lambda s: s["msk"].update(mode="kafka"),
            "streaming.msk.mode: got 'kafka'",
            "'none', 'serverless' or 'provisioned'",
        ),
        (
            lambda s: s["msk"].update(client_security_group_ids=["web-servers"]),
            "streaming.msk.client_security_group_ids.0: got 'web-servers'",
            "not a security group ID",
        ),
        (
            lambda s: s["msk"].update(client_security_group_ids=[CLIENT_GROUP, CLIENT_GROUP]),
            "streaming.msk",
            "lists a security group twice",
        ),
        (
            lambda s: s["msk"].update(deliver_to_lake=True),
            "streaming.msk",
            "deliver_to_lake needs an MSK cluster; mode is 'none'",
        ),
        (
            lambda s: (s["msk"].update(mode="provisioned"), s["msk"].pop("provisioned")),
            "streaming.msk",
            "provisioned (broker sizing) is required when mode is 'provisioned'",
        ),
        (
            lambda s: (
                s["msk"].update(mode="provisioned", deliver_to_lake=True),
                s["msk"]["provisioned"].update(broker_type="kafka.t3.small"),
            ),
            "streaming.msk",
            "kafka.t3.small has no multi-VPC connectivity",
        ),
        (
            lambda s: s["msk"]["provisioned"].update(broker_type="kafka.m5.huge"),
            "streaming.msk.provisioned.broker_type: got 'kafka.m5.huge'",
            "does not exist in kafka.m5",
        ),
        (
            lambda s: s["msk"]["provisioned"].update(kafka_version="2.6.2"),
            "streaming.msk.provisioned.kafka_version: got '2.6.2'",
            "needs Kafka 2.7.1 or later",
        ),
        (
            lambda s: s["msk"]["provisioned"].update(kafka_version="latest"),
            "streaming.msk.provisioned.kafka_version: got 'latest'",
            "not an Amazon MSK Kafka version",
        ),
        (
            lambda s: s["msk"]["provisioned"].update(max_volume_size_gib=100),
            "streaming.msk.provisioned",
            "must exceed volume_size_gib (100)",
        ),
        (
            lambda s: s["alarms"].update(data_freshness_seconds=300),
            "streaming",
            "data_freshness_seconds (300) must exceed firehose.buffer_interval_seconds (300)",
        ),
        (
            lambda s: s["kinesis"].update(retension_hours=24),
            "streaming.kinesis.retension_hours: unknown key",
            "retention_hours",
        ),
    ],
)
def test_bad_streaming_config_is_one_clear_line(mutate: Any, key: str, says: str) -> None:
    message = streaming_error(mutate)
    assert f"profiles.dev.{key}" in message
    assert says in message
