"""Config validation: every bad input stops synthesis with one line naming key, value and rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs

from platform_config import ConfigError, PlatformConfig, load_config, parse_profile
from platform_config.base import LOG_RETENTION_DAYS
from tests.config_testkit import error_for, profile
from tests.synthesis import REPO_ROOT, cdk_json_context


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_shipped_profiles_are_valid(name: str) -> None:
    config = parse_profile(name, profile(name))
    assert isinstance(config, PlatformConfig)
    assert config.profile == name
    assert config.name_prefix == f"dataplatform-{name}"


def test_dev_is_cheap_and_prod_is_sized_for_production() -> None:
    dev = parse_profile("dev", profile("dev"))
    prod = parse_profile("prod", profile("prod"))
    assert (dev.network.max_azs, dev.network.nat_gateways) == (2, 1)
    assert (prod.network.max_azs, prod.network.nat_gateways) == (3, 3)
    assert not any(on for _, on in dev.network.interface_endpoints)
    assert all(on for _, on in prod.network.interface_endpoints)
    assert prod.storage.removal_policy == "retain"


def test_unknown_profile_names_the_choices() -> None:
    app = cdk.App(context={**cdk_json_context(), "env": "nope"})
    with pytest.raises(ConfigError, match=r"at env: unknown profile 'nope'; allowed: dev, prod"):
        load_config(app)


def test_default_profile_is_dev() -> None:
    assert load_config(cdk.App(context=cdk_json_context())).profile == "dev"


def test_unknown_key_is_not_silently_ignored() -> None:
    raw = profile("dev")
    raw["network"]["vcp_cidr"] = "10.0.0.0/16"
    message = error_for(raw)
    assert "profiles.dev.network.vcp_cidr: unknown key" in message
    assert "allowed keys here:" in message
    assert "vpc_cidr" in message


def test_unknown_top_level_key() -> None:
    raw = profile("dev")
    raw["regoin"] = "eu-west-1"
    assert "profiles.dev.regoin: unknown key" in error_for(raw)


def test_wrong_type_is_not_coerced() -> None:
    raw = profile("dev")
    raw["network"]["max_azs"] = "2"
    message = error_for(raw)
    assert "profiles.dev.network.max_azs: got '2'" in message
    assert "integer" in message


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        ("10.20.0.0/33", "not an IPv4 CIDR block"),
        ("10.20.0.1/16", "not an IPv4 CIDR block"),
        ("banana", "not an IPv4 CIDR block"),
        ("10.0.0.0/8", "prefix length must be /16 to /22"),
        ("10.20.0.0/26", "prefix length must be /16 to /22"),
        ("52.20.0.0/16", "private (RFC 1918)"),
    ],
)
def test_bad_cidr(cidr: str, reason: str) -> None:
    raw = profile("dev")
    raw["network"]["vpc_cidr"] = cidr
    message = error_for(raw)
    assert f"profiles.dev.network.vpc_cidr: got {cidr!r}" in message
    assert reason in message


@pytest.mark.parametrize("azs", [0, 1, 4, 6])
def test_az_count_out_of_range(azs: int) -> None:
    raw = profile("dev")
    raw["network"]["max_azs"] = azs
    message = error_for(raw)
    assert f"profiles.dev.network.max_azs: got {azs}" in message
    assert "greater than or equal to 2" in message or "less than or equal to 3" in message


def test_more_nat_gateways_than_azs() -> None:
    raw = profile("dev")
    raw["network"]["nat_gateways"] = 3
    assert "nat_gateways (3) exceeds max_azs (2)" in error_for(raw)


def test_instance_type_that_does_not_exist_in_its_family() -> None:
    raw = profile("dev")
    raw["ml"]["training_instance_type"] = "ml.g5.huge"
    message = error_for(raw)
    assert "profiles.dev.ml.training_instance_type: got 'ml.g5.huge'" in message
    assert "does not exist in ml.g5; allowed: ml.g5.xlarge, ml.g5.2xlarge" in message


def test_cpu_instance_where_a_gpu_is_required() -> None:
    raw = profile("dev")
    raw["ml"]["training_instance_type"] = "ml.m5.xlarge"
    message = error_for(raw)
    assert "is not a SageMaker GPU instance type; allowed families: ml.g4dn, ml.g5" in message


def test_unsupported_log_retention() -> None:
    raw = profile("dev")
    raw["network"]["flow_logs"]["retention_days"] = 31
    assert "not a CloudWatch Logs retention; allowed: 1, 3, 5" in error_for(raw)


def test_every_allowed_log_retention_names_its_cdk_member() -> None:
    names = [logs.RetentionDays[name].name for name in LOG_RETENTION_DAYS.values()]
    assert names == list(LOG_RETENTION_DAYS.values())
    # Every finite retention CDK knows is allowed (INFINITE is the one CDK value left out).
    assert {member.name for member in logs.RetentionDays} - set(names) == {"INFINITE"}


def test_cross_field_error_names_only_the_fields_involved() -> None:
    raw = profile("dev")
    raw["ml"]["endpoint_min_capacity"] = 5
    raw["ml"]["endpoint_max_capacity"] = 2
    assert error_for(raw) == (
        "config error at cdk.json context profiles.dev.ml: ml.endpoint_min_capacity (5) exceeds "
        "ml.endpoint_max_capacity (2); allowed: min <= max"
    )


def test_production_cannot_destroy_its_data() -> None:
    raw = profile("prod")
    raw["storage"]["removal_policy"] = "destroy"
    assert "removal_policy must be 'retain' when stage is 'production'" in error_for(raw, "prod")


def test_missing_key() -> None:
    raw = profile("dev")
    del raw["storage"]
    assert "profiles.dev.storage: missing; this key is required" in error_for(raw)


def test_profile_that_is_not_an_object() -> None:
    assert "allowed: a JSON object" in error_for(["not", "an", "object"])  # type: ignore[arg-type]


def run_app(context: dict[str, Any], outdir: Path) -> subprocess.CompletedProcess[str]:
    """Run app.py the way the CDK CLI does: context through CDK_CONTEXT_JSON."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(outdir)}
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda ctx: ctx.update(env="nope"), "error: config error at env: unknown profile 'nope'"),
        (
            lambda ctx: ctx["profiles"]["dev"]["network"].update(vpc_cidr="10.0.0.0/40"),
            "error: config error at cdk.json context profiles.dev.network.vpc_cidr: got",
        ),
    ],
    ids=["unknown-profile", "bad-cidr"],
)
def test_app_exits_with_one_line_and_no_traceback(
    change: Any, expected: str, tmp_path: Path
) -> None:
    context = cdk_json_context()
    change(context)
    result = run_app(context, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]], f"expected one line, got: {result.stderr!r}"
    assert lines[0].startswith(expected)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


AT_DEV = "config error at cdk.json context profiles.dev."


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "email_subscriptions",
            ["oncall"],
            "alerting.email_subscriptions.0: got 'oncall'; not an email address; "
            "allowed: name@example.com",
        ),
        (
            "https_subscriptions",
            ["http://hooks.example.com/x"],
            "alerting.https_subscriptions.0: got 'http://hooks.example.com/x'; "
            "not an HTTPS endpoint; allowed: https://host.example.com[:port][/path] (no http://)",
        ),
        (
            "email_subscriptions",
            ["a@example.com", "a@example.com"],
            "alerting: email_subscriptions lists 'a@example.com' twice; "
            "allowed: each subscriber once",
        ),
    ],
)
def test_alarm_subscribers_are_checked(key: str, value: list[str], expected: str) -> None:
    raw = profile("dev")
    raw["alerting"][key] = value
    assert error_for(raw) == AT_DEV + expected


def test_alarm_subscribers_live_in_one_section() -> None:
    raw = profile("dev")
    raw["streaming"]["alarms"]["email_subscriptions"] = ["oncall@example.com"]
    assert error_for(raw).startswith(AT_DEV + "streaming.alarms.email_subscriptions: unknown key")


def test_dev_cost_settings_are_explicit_in_both_profiles() -> None:
    dev = parse_profile("dev", profile("dev"))
    prod = parse_profile("prod", profile("prod"))
    assert (dev.network.nat_provider, dev.network.nat_instance_type) == ("instance", "t4g.nano")
    assert (prod.network.nat_provider, prod.network.nat_instance_type) == ("gateway", None)
    assert (dev.streaming.kinesis.capacity_mode, dev.streaming.kinesis.shard_count) == (
        "provisioned",
        1,
    )
    assert (dev.cluster.master_always_on, dev.cluster.master_stop_cron) == (False, "0 19 * * *")
    assert (prod.cluster.master_always_on, prod.cluster.master_stop_cron) == (True, None)


def test_nat_instance_needs_its_type() -> None:
    raw = profile("dev")
    del raw["network"]["nat_instance_type"]
    assert "nat_instance_type is required when nat_provider is 'instance'" in error_for(raw)


def test_nat_gateway_takes_no_instance_type() -> None:
    raw = profile("prod")
    raw["network"]["nat_instance_type"] = "t4g.nano"
    message = error_for(raw, "prod")
    assert "nat_instance_type (t4g.nano) is only for nat_provider 'instance'" in message


def test_nat_instance_type_is_burstable_and_exists() -> None:
    raw = profile("dev")
    raw["network"]["nat_instance_type"] = "m7g.large"
    message = error_for(raw)
    assert "profiles.dev.network.nat_instance_type: got 'm7g.large'" in message
    assert "is not a NAT instance type" in message
    raw["network"]["nat_instance_type"] = "t4g.huge"
    assert "allowed: t4g.nano, t4g.micro" in error_for(raw)


def test_unknown_nat_provider() -> None:
    raw = profile("dev")
    raw["network"]["nat_provider"] = "nat"
    assert "profiles.dev.network.nat_provider: got 'nat'" in error_for(raw)


def test_an_always_on_master_takes_no_stop_schedule() -> None:
    raw = profile("prod")
    raw["cluster"]["master_stop_cron"] = "0 19 * * *"
    message = error_for(raw, "prod")
    assert "master_stop_cron ('0 19 * * *') needs master_always_on false" in message


def test_master_stop_cron_is_a_cron() -> None:
    raw = profile("dev")
    raw["cluster"]["master_stop_cron"] = "7pm"
    assert "profiles.dev.cluster.master_stop_cron: got '7pm'" in error_for(raw)
