"""Environment validation: every bad setting is named, with its value and what is allowed."""

from __future__ import annotations

import pytest
from deployer_config import ConfigError, load_config
from deployer_fixtures import VALID_ENV


def _env(**overrides: str | None) -> dict[str, str]:
    env = dict(VALID_ENV)
    for name, value in overrides.items():
        if value is None:
            env.pop(name)
        else:
            env[name] = value
    return env


def test_valid_environment_is_parsed():
    config = load_config(VALID_ENV)

    assert config.subnet_ids == ("subnet-0a1b2c3d", "subnet-4e5f6a7b")
    assert config.alarm_names == ("churn-endpoint-5xx", "churn-endpoint-latency")
    assert config.initial_instance_count == 2
    assert config.target_invocations_per_instance == 70.0
    assert (config.variant_name, config.canary_percent) == ("AllTraffic", 10)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ENDPOINT_NAME": None}, "ENDPOINT_NAME is required but not set"),
        ({"ALARM_NAMES": "  "}, "ALARM_NAMES is required but not set"),
        ({"MIN_CAPACITY": "0"}, "MIN_CAPACITY='0' is invalid: expected an integer >= 1"),
        ({"MAX_CAPACITY": "four"}, "MAX_CAPACITY='four' is invalid"),
        (
            {"DATA_CAPTURE_SAMPLING_PERCENTAGE": "101"},
            "DATA_CAPTURE_SAMPLING_PERCENTAGE='101' is invalid: expected an integer from 0 to 100",
        ),
        ({"TARGET_INVOCATIONS_PER_INSTANCE": "-5"}, "expected a number > 0"),
        ({"SUBNET_IDS": "subnet-0a1b,vpc-123"}, "['vpc-123'] are not subnet IDs"),
        ({"SECURITY_GROUP_IDS": "sg-01,,sg-02"}, "empty item in comma-separated list"),
        ({"ALARM_NAMES": ",".join(f"a{i}" for i in range(11))}, "at most 10 items"),
        ({"INSTANCE_TYPE": "g5.xlarge"}, "INSTANCE_TYPE='g5.xlarge' is invalid"),
        ({"KMS_KEY_ARN": "alias/lake"}, "KMS_KEY_ARN='alias/lake' is invalid"),
        ({"DATA_CAPTURE_S3_URI": "https://lake/x"}, "DATA_CAPTURE_S3_URI='https://lake/x'"),
        ({"EXECUTION_ROLE_ARN": "role"}, "EXECUTION_ROLE_ARN='role' is invalid"),
        ({"CANARY_PERCENT": "60"}, "CANARY_PERCENT='60' is invalid: expected an integer from 1"),
        (
            {"MIN_CAPACITY": "3", "MAX_CAPACITY": "2"},
            "MIN_CAPACITY=3 is greater than MAX_CAPACITY=2",
        ),
        ({"INITIAL_INSTANCE_COUNT": "9"}, "INITIAL_INSTANCE_COUNT=9 is invalid"),
    ],
)
def test_bad_setting_is_named_with_its_value(overrides, message):
    with pytest.raises(ConfigError) as raised:
        load_config(_env(**overrides))

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as raised:
        load_config(_env(ENDPOINT_NAME=None, KMS_KEY_ARN=None, MIN_CAPACITY="x"))

    message = str(raised.value)
    for name in ("ENDPOINT_NAME", "KMS_KEY_ARN", "MIN_CAPACITY"):
        assert name in message


def test_handler_cold_start_fails_on_bad_config(load_handler, monkeypatch):
    monkeypatch.delenv("KMS_KEY_ARN")

    with pytest.raises(ConfigError, match="KMS_KEY_ARN is required but not set"):
        load_handler()
