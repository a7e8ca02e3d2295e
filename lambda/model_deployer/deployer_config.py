"""Deployer settings read from the environment the CDK sets, validated once at cold start.

Every problem is collected and reported in one ConfigError whose message names each variable,
its value and what is allowed, so a bad deploy fails at Lambda init with one readable line
instead of a KeyError halfway through a deployment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# SageMaker resource names (endpoint, model package group) share this pattern and a 63-char limit.
_SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[\w-]+$")
_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]+$")
_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]+$")

# Limits from the SageMaker and Application Auto Scaling APIs, checked here so a bad value fails at
# cold start rather than in the middle of a deployment.
_MAX_SUBNETS = 16
_MAX_SECURITY_GROUPS = 5
_MAX_ROLLBACK_ALARMS = 10


class ConfigError(ValueError):
    """One or more environment variables are missing or invalid."""


@dataclass(frozen=True)
class DeployerConfig:
    model_package_group_name: str
    endpoint_name: str
    execution_role_arn: str
    instance_type: str
    initial_instance_count: int
    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: float
    kms_key_arn: str
    data_capture_s3_uri: str
    data_capture_sampling_percentage: int
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    alarm_names: tuple[str, ...]
    variant_name: str = "AllTraffic"
    canary_percent: int = 10
    canary_wait_seconds: int = 600
    termination_wait_seconds: int = 600
    max_deployment_seconds: int = 3600
    scale_in_cooldown_seconds: int = 600
    scale_out_cooldown_seconds: int = 300


class _Reader:
    """Reads variables one by one, remembering every problem instead of stopping at the first."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self.errors: list[str] = []

    def _raw(self, name: str, default: str | None) -> str | None:
        value = self._environ.get(name)
        if value is None or value.strip() == "":
            if default is None:
                self.errors.append(f"{name} is required but not set")
            return default
        return value.strip()

    def _check(self, name: str, raw: str, parse: Callable[[str], T], allowed: str) -> T | None:
        try:
            return parse(raw)
        except ValueError:
            self.errors.append(f"{name}={raw!r} is invalid: expected {allowed}")
            return None

    def text(self, name: str, pattern: re.Pattern[str], allowed: str) -> str:
        raw = self._raw(name, None)
        if raw is None:
            return ""
        if not pattern.match(raw):
            self.errors.append(f"{name}={raw!r} is invalid: expected {allowed}")
        return raw

    def integer(
        self, name: str, low: int, high: int | None = None, default: int | None = None
    ) -> int:
        raw = self._raw(name, None if default is None else str(default))
        if raw is None:
            return low
        allowed = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
        value = self._check(name, raw, int, allowed)
        if value is None:
            return low
        if value < low or (high is not None and value > high):
            self.errors.append(f"{name}={raw!r} is invalid: expected {allowed}")
        return value

    def positive_number(self, name: str) -> float:
        raw = self._raw(name, None)
        if raw is None:
            return 1.0
        value = self._check(name, raw, float, "a number > 0")
        if value is None:
            return 1.0
        if not value > 0:
            self.errors.append(f"{name}={raw!r} is invalid: expected a number > 0")
        return value

    def id_list(
        self, name: str, pattern: re.Pattern[str] | None, max_items: int, allowed: str
    ) -> tuple[str, ...]:
        raw = self._raw(name, None)
        if raw is None:
            return ()
        items = tuple(item.strip() for item in raw.split(","))
        if any(item == "" for item in items):
            self.errors.append(f"{name}={raw!r} is invalid: empty item in comma-separated list")
        elif len(items) > max_items:
            self.errors.append(f"{name}={raw!r} is invalid: at most {max_items} items allowed")
        elif pattern is not None:
            bad = [item for item in items if not pattern.match(item)]
            if bad:
                self.errors.append(f"{name}={raw!r} is invalid: {bad} are not {allowed}")
        return items


def load_config(environ: Mapping[str, str]) -> DeployerConfig:
    """Build the deployer settings from environment variables, or raise ConfigError listing all
    problems (each naming the variable, its value and what is allowed)."""
    read = _Reader(environ)
    sagemaker_name = "1-63 letters, digits or hyphens, starting and ending with a letter or digit"
    config = DeployerConfig(
        model_package_group_name=read.text(
            "MODEL_PACKAGE_GROUP_NAME", _SAGEMAKER_NAME, sagemaker_name
        ),
        endpoint_name=read.text("ENDPOINT_NAME", _SAGEMAKER_NAME, sagemaker_name),
        execution_role_arn=read.text(
            "EXECUTION_ROLE_ARN",
            _ROLE_ARN,
            "an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
        ),
        instance_type=read.text(
            "INSTANCE_TYPE",
            _INSTANCE_TYPE,
            "a SageMaker instance type such as ml.g5.xlarge",
        ),
        initial_instance_count=read.integer("INITIAL_INSTANCE_COUNT", 1),
        # Instance-based real-time variants cannot scale to zero, hence the minimum of 1.
        min_capacity=read.integer("MIN_CAPACITY", 1),
        max_capacity=read.integer("MAX_CAPACITY", 1),
        target_invocations_per_instance=read.positive_number("TARGET_INVOCATIONS_PER_INSTANCE"),
        kms_key_arn=read.text(
            "KMS_KEY_ARN",
            _KMS_KEY_ARN,
            "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)",
        ),
        data_capture_s3_uri=read.text(
            "DATA_CAPTURE_S3_URI", _S3_URI, "an S3 URI such as s3://bucket/prefix"
        ),
        data_capture_sampling_percentage=read.integer("DATA_CAPTURE_SAMPLING_PERCENTAGE", 0, 100),
        subnet_ids=read.id_list("SUBNET_IDS", _SUBNET_ID, _MAX_SUBNETS, "subnet IDs (subnet-...)"),
        security_group_ids=read.id_list(
            "SECURITY_GROUP_IDS",
            _SECURITY_GROUP_ID,
            _MAX_SECURITY_GROUPS,
            "security group IDs",
        ),
        alarm_names=read.id_list("ALARM_NAMES", None, _MAX_ROLLBACK_ALARMS, "alarm names"),
        variant_name=_optional_variant_name(read, environ),
        # The API allows a canary of at most 50% of the fleet.
        canary_percent=read.integer("CANARY_PERCENT", 1, 50, default=10),
        canary_wait_seconds=read.integer("CANARY_WAIT_SECONDS", 0, 3600, default=600),
        termination_wait_seconds=read.integer("TERMINATION_WAIT_SECONDS", 0, 3600, default=600),
        max_deployment_seconds=read.integer("MAX_DEPLOYMENT_SECONDS", 600, 14400, default=3600),
        scale_in_cooldown_seconds=read.integer("SCALE_IN_COOLDOWN_SECONDS", 0, default=600),
        scale_out_cooldown_seconds=read.integer("SCALE_OUT_COOLDOWN_SECONDS", 0, default=300),
    )
    _check_capacity(read, config)
    if read.errors:
        raise ConfigError("model deployer configuration is invalid: " + "; ".join(read.errors))
    return config


def _optional_variant_name(read: _Reader, environ: Mapping[str, str]) -> str:
    if not environ.get("VARIANT_NAME", "").strip():
        return "AllTraffic"
    return read.text("VARIANT_NAME", _SAGEMAKER_NAME, "1-63 letters, digits or hyphens")


def _check_capacity(read: _Reader, config: DeployerConfig) -> None:
    if config.min_capacity > config.max_capacity:
        read.errors.append(
            f"MIN_CAPACITY={config.min_capacity} is greater than MAX_CAPACITY={config.max_capacity}"
        )
    elif not config.min_capacity <= config.initial_instance_count <= config.max_capacity:
        read.errors.append(
            f"INITIAL_INSTANCE_COUNT={config.initial_instance_count} is invalid: expected a value"
            f" from MIN_CAPACITY={config.min_capacity} to MAX_CAPACITY={config.max_capacity}"
        )
