"""Building blocks shared by every config section: strictness and common value types."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from platform_config.instance_types import InstanceCatalogue

# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip


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
