"""Data lake settings: zone lifecycles, the catalog, the crawler, the ETL job, Athena and
Lake Formation.

Nothing here is billed per hour: S3 is billed per GB stored, Glue per run, Athena per TB
scanned and Lake Formation not at all. The settings still live in config because they decide
what a mistake costs (the per-query scan cutoff) and how long data is kept.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, field_validator, model_validator

from platform_config.base import Section

# S3's lifecycle waterfall: an object only ever moves down this list.
STORAGE_CLASS_ORDER = (
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
StorageClass = Literal[
    "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
]
# S3 refuses a transition to Standard-IA before day 30, and the next transition after it before
# another 30 days (CloudFormation fails the whole stack late in a deploy if either is broken).
STANDARD_IA_MIN_DAYS = 30

SCHEDULE_OFF = "off"
NEVER = "never"
_CRON = re.compile(r"^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_IAM_PRINCIPAL_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$"
)
# Athena refuses a per-query cutoff below 10 MB.
MIN_BYTES_SCANNED_CUTOFF = 10_000_000


def _parse_schedule(value: object) -> object:
    if value == SCHEDULE_OFF:
        return None
    if not isinstance(value, str) or (match := _CRON.match(value)) is None:
        raise ValueError(
            f"not a Glue schedule; allowed: {SCHEDULE_OFF!r} or cron(Minutes Hours Day-of-month "
            "Month Day-of-week Year), e.g. cron(15 1 * * ? *)"
        )
    day_of_month, day_of_week = match.group(3), match.group(5)
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError(
            "exactly one of day-of-month and day-of-week must be '?', e.g. cron(15 1 * * ? *)"
        )
    return value


def _parse_expiration(value: object) -> object:
    return None if value == NEVER else value


# A Glue cron expression, or "off" (start it by hand). CDK drops null values from context, so
# "off" and "never" stand for None in cdk.json.
Schedule = Annotated[str | None, BeforeValidator(_parse_schedule)]
ExpirationDays = Annotated[
    Annotated[int, Field(ge=1, le=36_500)] | None, BeforeValidator(_parse_expiration)
]


class Transition(Section):
    storage_class: StorageClass
    after_days: int = Field(ge=0, le=36_500)


class ZoneLifecycle(Section):
    """How one zone's current object versions age (noncurrent versions follow `storage`)."""

    transitions: list[Transition]
    expiration_days: ExpirationDays = Field(description='Days to keep objects, or "never".')

    @model_validator(mode="after")
    def _transitions_follow_s3_rules(self) -> Self:
        previous: Transition | None = None
        for transition in self.transitions:
            if (
                transition.storage_class == "STANDARD_IA"
                and transition.after_days < STANDARD_IA_MIN_DAYS
            ):
                raise ValueError(
                    f"STANDARD_IA after {transition.after_days} days: S3 allows it from day "
                    f"{STANDARD_IA_MIN_DAYS}"
                )
            if previous is not None:
                rank = STORAGE_CLASS_ORDER.index
                if rank(transition.storage_class) <= rank(previous.storage_class):
                    raise ValueError(
                        f"{transition.storage_class} after {previous.storage_class}: transitions "
                        f"must go down S3's order {', '.join(STORAGE_CLASS_ORDER)}"
                    )
                gap = STANDARD_IA_MIN_DAYS if previous.storage_class == "STANDARD_IA" else 1
                if transition.after_days < previous.after_days + gap:
                    raise ValueError(
                        f"{transition.storage_class} at day {transition.after_days} must come at "
                        f"least {gap} day(s) after {previous.storage_class} at day "
                        f"{previous.after_days}"
                    )
            previous = transition
        if (
            self.expiration_days is not None
            and previous is not None
            and self.expiration_days <= previous.after_days
        ):
            raise ValueError(
                f"expiration_days ({self.expiration_days}) must be later than the last "
                f"transition ({previous.storage_class} at day {previous.after_days})"
            )
        return self


class LakeZones(Section):
    raw: ZoneLifecycle
    curated: ZoneLifecycle
    analytics: ZoneLifecycle


class CrawlerConfig(Section):
    """The crawler for files that arrive outside the stream (landing/events/)."""

    schedule: Schedule


class EtlJobConfig(Section):
    """The Glue 5.0 job that curates raw events. Billed per DPU-second while it runs."""

    schedule: Schedule
    worker_type: Literal["G.1X", "G.2X", "G.4X", "G.8X"]
    number_of_workers: int = Field(ge=2, le=299)
    execution_class: Literal["STANDARD", "FLEX"] = Field(
        description="FLEX runs on spare capacity at a lower price; for jobs that can wait."
    )
    timeout_minutes: int = Field(ge=1, le=2880)
    max_retries: int = Field(ge=0, le=10)
    max_clock_skew_hours: int = Field(ge=1, le=168)


class AthenaConfig(Section):
    bytes_scanned_cutoff_per_query: int = Field(ge=MIN_BYTES_SCANNED_CUTOFF)
    results_expiration_days: int = Field(ge=1, le=3650)
    late_arrival_hours: int = Field(ge=1, le=720)
    training_window_days: int = Field(ge=1, le=3650)


class LakeFormationConfig(Section):
    enabled: bool
    admins: list[str] = Field(description="IAM role or user ARNs made data lake administrators.")

    @field_validator("admins")
    @classmethod
    def _admins_are_iam_principal_arns(cls, admins: list[str]) -> list[str]:
        for arn in admins:
            if arn.startswith("arn:aws:sts::"):
                raise ValueError(
                    f"{arn!r} is an STS session ARN; allowed: the IAM role ARN behind it, "
                    "arn:aws:iam::123456789012:role/NAME"
                )
            if not _IAM_PRINCIPAL_ARN.match(arn):
                raise ValueError(
                    f"{arn!r} is not an IAM role or user ARN; allowed: "
                    "arn:aws:iam::123456789012:role/NAME or arn:aws:iam::123456789012:user/NAME"
                )
        if len(set(admins)) != len(admins):
            raise ValueError("lists the same ARN more than once")
        return admins

    @model_validator(mode="after")
    def _admins_match_the_switch(self) -> Self:
        if self.enabled and not self.admins:
            raise ValueError(
                "admins is empty while enabled is true; allowed: at least one IAM role or user "
                "ARN that administers the lake"
            )
        if not self.enabled and self.admins:
            raise ValueError("admins has no effect while enabled is false; remove it or enable")
        return self


class DataLakeConfig(Section):
    database_prefix: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="Glue database names are <prefix>_<profile>_<zone>, e.g. dataplatform_dev_raw.",
    )
    events_start_date: str = Field(
        description="First dt (yyyy-MM-dd) that partition projection offers to queries."
    )
    zones: LakeZones
    crawler: CrawlerConfig
    etl_job: EtlJobConfig
    athena: AthenaConfig
    lake_formation: LakeFormationConfig

    @field_validator("events_start_date")
    @classmethod
    def _start_date_is_a_date(cls, value: str) -> str:
        try:
            if not _ISO_DATE.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            raise ValueError("not a date; allowed: yyyy-MM-dd, e.g. 2026-01-01") from None
        return value
