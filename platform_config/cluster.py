"""Self-managed Spark cluster settings: instance types, capacity, Spot share, schedules, the
termination hook, pinned ports, and the pinned Spark distribution and S3A jars.

Everything billed by the hour is here: the master (one instance, always on or started when
used), the workers' minimum and desired capacity, and the On-Demand share of the workers.
`enabled: false` leaves the ClusterStack out of the app.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from typing import Annotated, Literal, Self
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from platform_config.base import LogRetentionDays, Section
from platform_config.instance_types import InstanceCatalogue

_GRAVITON_SIZES = (
    "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
)  # fmt: skip
_X86_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")

# AWS Graviton (arm64) families that suit Spark: general purpose, compute and memory optimised,
# with and without local NVMe (the "d" variants). Burstable t4g is left out on purpose: a Spark
# executor at full CPU exhausts its credits in minutes.
GRAVITON = InstanceCatalogue(
    role="Graviton (arm64) EC2 instance type",
    families=dict.fromkeys(
        (
            "m6g", "m6gd", "m7g", "m7gd", "m8g",
            "c6g", "c6gd", "c6gn", "c7g", "c7gd", "c8g",
            "r6g", "r6gd", "r7g", "r7gd", "r8g",
        ),
        _GRAVITON_SIZES,
    ),
)  # fmt: skip

X86_64 = InstanceCatalogue(
    role="x86_64 EC2 instance type",
    families=dict.fromkeys(
        ("m6i", "m6a", "m7i", "m7a", "c6i", "c6a", "c7i", "c7a", "r6i", "r6a", "r7i", "r7a"),
        _X86_SIZES,
    ),
)

CATALOGUES = {"arm64": GRAVITON, "x86_64": X86_64}

_SHA512 = re.compile(r"^[0-9a-f]{128}$")
_URL = re.compile(
    r"^(https://[A-Za-z0-9.-]+(:\d+)?|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/[^\s'\"\\$`]+$"
)
# Five cron fields as EC2 Auto Scaling's Recurrence takes them (minute hour day month weekday).
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,?LW#-]+$")
_DOMAIN = re.compile(r"^(?=.{3,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_NAMESPACE = re.compile(r"^(?!AWS/)[A-Za-z0-9/_.#:-]{1,255}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _check_sha512(value: str) -> str:
    if not _SHA512.match(value):
        raise ValueError("not a SHA-512 digest; allowed: 128 lowercase hex digits")
    return value


def _check_url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError(
            "not a download URL; allowed: https://host/path or s3://bucket/key, without quotes, "
            "spaces, backslashes, $ or backticks"
        )
    return value


def _check_cron(value: str) -> str:
    fields = value.split(" ")
    if len(fields) != 5 or not all(_CRON_FIELD.match(field) for field in fields):
        raise ValueError(
            "not a 5-field cron expression (minute hour day-of-month month day-of-week), "
            "e.g. '0 19 * * *'"
        )
    return value


def _check_time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError("not an IANA time zone; e.g. UTC, Europe/Paris, America/New_York")
    return value


Sha512 = Annotated[str, AfterValidator(_check_sha512)]
DownloadUrl = Annotated[str, AfterValidator(_check_url)]
Cron = Annotated[str, AfterValidator(_check_cron)]
TimeZone = Annotated[str, AfterValidator(_check_time_zone)]
Port = Annotated[int, Field(ge=1024, le=65535)]


class Download(Section):
    """One pinned artifact: where to fetch it and the SHA-512 it must have.

    No `sha512` means "not pinned yet": the stack still synthesizes, but the instances refuse
    to install the artifact (boot fails closed) until the digest is set.
    """

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    url: DownloadUrl
    # Optional because the CDK CLI drops null context values: omit it until it is known.
    sha512: Sha512 | None = None


class SparkDistribution(Section):
    """Spark 3.5.x, as Glue 5.0 and the local tests run it, and the S3A jars for its Hadoop."""

    spark: Download
    hadoop_aws: Download
    aws_sdk_bundle: Download
    corretto_version: Literal["17"] = Field(description="Amazon Corretto major version.")

    @field_validator("spark")
    @classmethod
    def _spark_is_3_5(cls, value: Download) -> Download:
        if not value.version.startswith("3.5."):
            raise ValueError(
                f"version {value.version} is not Spark 3.5.x; allowed: 3.5.x (Glue 5.0's Spark)"
            )
        return value

    @field_validator("hadoop_aws")
    @classmethod
    def _hadoop_aws_matches_spark(cls, value: Download) -> Download:
        if value.version != "3.3.4":
            raise ValueError(
                f"version {value.version} does not match Spark 3.5's Hadoop; allowed: 3.3.4"
            )
        return value


class PortsConfig(Section):
    """Spark's listening ports, pinned so that the security groups can name them. Driver and
    block-manager ports are ranges: `port .. port + max_retries` (one per executor or driver
    on a node)."""

    master: Port
    master_ui: Port
    worker: Port
    worker_ui: Port
    block_manager: Port
    driver: Port
    history_ui: Port
    driver_ui: Port
    max_retries: int = Field(ge=0, le=64)

    def ranges(self) -> dict[str, tuple[int, int]]:
        """Each port as an inclusive (first, last) range, by key."""
        single = ("master", "master_ui", "worker", "worker_ui", "history_ui")
        ranges = {name: (getattr(self, name), getattr(self, name)) for name in single}
        for name in ("block_manager", "driver", "driver_ui"):
            ranges[name] = (getattr(self, name), getattr(self, name) + self.max_retries)
        return ranges

    @model_validator(mode="after")
    def _ranges_do_not_overlap(self) -> Self:
        spans = sorted((low, high, name) for name, (low, high) in self.ranges().items())
        for (_, high, name), (low, _, other) in itertools.pairwise(spans):
            if low <= high:
                raise ValueError(
                    f"{other} ({low}) falls in the range of {name} (up to {high}, with "
                    f"max_retries {self.max_retries}); allowed: ports whose ranges do not overlap"
                )
        if self.driver + self.max_retries > 65535 or self.block_manager + self.max_retries > 65535:
            raise ValueError("driver and block_manager plus max_retries must stay below 65536")
        return self


class ScheduleConfig(Section):
    """A scheduled action on the worker group (e.g. scale to zero every evening)."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,63}$")
    cron: Cron
    min_capacity: int | None = Field(default=None, ge=0)
    desired_capacity: int | None = Field(default=None, ge=0)
    max_capacity: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _sets_something(self) -> Self:
        values = (self.min_capacity, self.desired_capacity, self.max_capacity)
        if all(value is None for value in values):
            raise ValueError(
                f"schedule {self.name} sets no capacity; allowed: one or more of "
                "min_capacity, desired_capacity, max_capacity"
            )
        return self


class WorkersConfig(Section):
    """The worker group's capacity, Spot share and drain timeout."""

    min_capacity: int = Field(ge=0, le=500)
    desired_capacity: int = Field(ge=0, le=500)
    max_capacity: int = Field(ge=1, le=500)
    on_demand_base_capacity: int = Field(
        ge=0, le=500, description="Workers that are always On-Demand, before any Spot."
    )
    spot_percentage: int = Field(
        ge=0, le=100, description="Share of the workers above the On-Demand base that are Spot."
    )
    lifecycle_hook_timeout_seconds: int = Field(
        ge=30,
        le=7200,
        description="How long a terminating worker may drain before it is terminated anyway.",
    )
    decommission_timeout_seconds: int = Field(
        ge=30, le=7200, description="Spark forces a draining executor out after this long."
    )
    schedules: list[ScheduleConfig]
    time_zone: TimeZone

    @field_validator("desired_capacity")
    @classmethod
    def _desired_at_least_min(cls, value: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min_capacity")
        if minimum is not None and value < minimum:
            raise ValueError(f"below min_capacity ({minimum}); allowed: min <= desired <= max")
        return value

    @field_validator("max_capacity")
    @classmethod
    def _max_at_least_desired(cls, value: int, info: ValidationInfo) -> int:
        for key in ("min_capacity", "desired_capacity"):
            other = info.data.get(key)
            if other is not None and value < other:
                raise ValueError(f"below {key} ({other}); allowed: min <= desired <= max")
        return value

    @field_validator("on_demand_base_capacity")
    @classmethod
    def _base_fits(cls, value: int, info: ValidationInfo) -> int:
        maximum = info.data.get("max_capacity")
        if maximum is not None and value > maximum:
            raise ValueError(f"above max_capacity ({maximum}); allowed: 0 to max_capacity")
        return value

    @field_validator("decommission_timeout_seconds")
    @classmethod
    def _drain_fits_in_the_hook(cls, value: int, info: ValidationInfo) -> int:
        hook = info.data.get("lifecycle_hook_timeout_seconds")
        if hook is not None and value >= hook:
            raise ValueError(
                f"not below lifecycle_hook_timeout_seconds ({hook}); executors must be forced "
                "out before the instance is"
            )
        return value

    @field_validator("schedules")
    @classmethod
    def _schedules_fit(
        cls, value: list[ScheduleConfig], info: ValidationInfo
    ) -> list[ScheduleConfig]:
        names = [schedule.name for schedule in value]
        if len(set(names)) != len(names):
            raise ValueError(f"a name is used twice in {names}")
        maximum = info.data.get("max_capacity")
        for schedule in value:
            for key in ("min_capacity", "desired_capacity", "max_capacity"):
                capacity = getattr(schedule, key)
                if maximum is not None and capacity is not None and capacity > maximum:
                    raise ValueError(
                        f"{schedule.name}.{key} ({capacity}) exceeds max_capacity ({maximum})"
                    )
        return value


class VolumesConfig(Section):
    """gp3 volumes of each node, encrypted with the cluster's key."""

    root_gib: int = Field(ge=8, le=1024)
    data_gib: int = Field(ge=20, le=16384, description="Spark's work, shuffle and spill space.")


class ScalingConfig(Section):
    """Scaling on the cluster's own load, as the master publishes it."""

    target_cores_used_percent: int = Field(ge=10, le=95)
    workers_per_waiting_app: int = Field(
        ge=1, le=50, description="Workers added when applications wait for cores."
    )
    instance_warmup_seconds: int = Field(ge=60, le=1800)


class ClusterAlarmsConfig(Section):
    # Who is notified: the platform alarm topic's subscriptions (alerting).
    evaluation_periods: int = Field(ge=1, le=24)


class DnsConfig(Section):
    """The Route 53 private hosted zone on the VPC, and the master's record in it."""

    zone_name: str = Field(description="e.g. spark.dataplatform-dev.internal")
    master_record: str = Field(description="The label the master upserts, e.g. master")
    record_ttl_seconds: int = Field(ge=10, le=3600)

    @field_validator("zone_name")
    @classmethod
    def _is_a_domain(cls, value: str) -> str:
        if not _DOMAIN.match(value):
            raise ValueError("not a lowercase DNS domain; e.g. spark.dataplatform.internal")
        return value

    @field_validator("master_record")
    @classmethod
    def _is_a_label(cls, value: str) -> str:
        if not _LABEL.match(value):
            raise ValueError("not a lowercase DNS label; e.g. master")
        return value


class ClusterConfig(Section):
    enabled: bool
    architecture: Literal["arm64", "x86_64"]
    master_instance_type: str = Field(description="Always On-Demand: one instance.")
    master_always_on: bool = Field(
        description="true: the master group is exactly one instance (min = desired = max = "
        "1), so the cluster accepts jobs at any hour and EC2 Auto Scaling replaces a failed "
        "master: for production. false: the group is min 0, desired 0, max 1, so an idle "
        "cluster costs nothing for its master (an m7g.medium with its disks is about "
        "$35/month, the largest idle item of a dev account): `make cluster-start ENV=<profile>` "
        "starts it (a few minutes' boot) and `make cluster-stop` stops it and the workers, as "
        "does master_stop_cron; the master alarms then watch for an instance missing or silent "
        "only while one is asked for. A deploy sets the group back to 0. For development."
    )
    # Optional because the CDK CLI drops null context values: omit it for none.
    master_stop_cron: Cron | None = Field(
        default=None,
        description="With master_always_on false: a scheduled action (5-field cron, in "
        "workers.time_zone) that sets the master group's desired capacity to 0, so a master "
        "started and forgotten runs for hours, not the month. Not allowed with master_always_on "
        "true, whose minimum of 1 a schedule cannot go below.",
    )
    worker_instance_types: list[str] = Field(
        min_length=2,
        max_length=20,
        description="Several types, from several families, so Spot has pools to choose from.",
    )
    detailed_monitoring: bool
    volumes: VolumesConfig
    workers: WorkersConfig
    scaling: ScalingConfig
    ports: PortsConfig
    distribution: SparkDistribution
    dns: DnsConfig
    alarms: ClusterAlarmsConfig
    log_retention_days: LogRetentionDays
    metrics_namespace: str = Field(description="CloudWatch namespace the master publishes to.")
    name: str = Field(description="The cluster's name: the metrics' Cluster dimension.")

    @field_validator("master_instance_type")
    @classmethod
    def _master_fits_the_architecture(cls, value: str, info: ValidationInfo) -> str:
        architecture = info.data.get("architecture")
        if architecture is not None:
            CATALOGUES[architecture].check(value)
        return value

    @model_validator(mode="after")
    def _master_stop_needs_a_master_that_can_stop(self) -> Self:
        if self.master_always_on and self.master_stop_cron is not None:
            raise ValueError(
                f"master_stop_cron ({self.master_stop_cron!r}) needs master_always_on false; "
                "an always-on master's group cannot go below 1"
            )
        return self

    @field_validator("worker_instance_types")
    @classmethod
    def _workers_fit_the_architecture(cls, value: list[str], info: ValidationInfo) -> list[str]:
        architecture = info.data.get("architecture")
        if architecture is not None:
            for instance_type in value:
                CATALOGUES[architecture].check(instance_type)
        if len(set(value)) != len(value):
            raise ValueError("lists an instance type twice")
        families = {instance_type.split(".")[0] for instance_type in value}
        if len(families) < 2:
            raise ValueError(
                f"all from one family ({', '.join(sorted(families))}); allowed: types from two "
                "or more families, so that Spot can fall back to another pool"
            )
        return value

    @field_validator("metrics_namespace")
    @classmethod
    def _custom_namespace(cls, value: str) -> str:
        if not _NAMESPACE.match(value):
            raise ValueError("not a custom CloudWatch namespace (not AWS/...); e.g. Platform/Spark")
        return value

    @field_validator("name")
    @classmethod
    def _short_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("allowed: lowercase letters, digits and '-', up to 63, e.g. spark")
        return value

    @property
    def on_demand_percentage_above_base(self) -> int:
        return 100 - self.workers.spot_percentage
