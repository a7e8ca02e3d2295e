"""Building blocks shared by every config section: strictness and common value types."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from platform_config.instance_types import InstanceCatalogue

# The values CloudWatch Logs accepts for a log group's retention, in days, each with the name of
# its member in CDK's RetentionDays enum (jsii exposes that enum by name, not by number). The one
# copy of this fact: stacks/props.py maps config days to the enum through it.
LOG_RETENTION_DAYS: dict[int, str] = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}


class Section(BaseModel):
    """A config section: unknown keys are errors (a typo must not be ignored), no coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"not a CloudWatch Logs retention; allowed: {allowed}")
    return days


LogRetentionDays = Annotated[int, AfterValidator(_check_retention)]


def instance_type_of(catalogue: InstanceCatalogue) -> object:
    """An annotated str type that accepts only instance types from `catalogue`."""
    return Annotated[str, AfterValidator(partial(InstanceCatalogue.check, catalogue))]
