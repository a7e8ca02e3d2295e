"""The whole platform configuration: one typed object per profile, handed to every stack."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from platform_config.alerting import AlertingConfig
from platform_config.base import LogRetentionDays, Section
from platform_config.cluster import ClusterConfig
from platform_config.data_lake import DataLakeConfig
from platform_config.governance import GovernanceConfig
from platform_config.guard_controls import BY_ID
from platform_config.ml import MlConfig
from platform_config.network import NetworkConfig
from platform_config.storage import StorageConfig
from platform_config.streaming import StreamingConfig


class PlatformConfig(Section):
    profile: str = Field(description="The profile name this object was loaded from.")
    project: str = Field(pattern=r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
    stage: Literal["development", "production"]
    account: str | None = Field(default=None, pattern=r"^\d{12}$")
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    log_retention_days: LogRetentionDays
    tags: dict[str, str]
    alerting: AlertingConfig
    network: NetworkConfig
    storage: StorageConfig
    data_lake: DataLakeConfig
    streaming: StreamingConfig
    ml: MlConfig
    cluster: ClusterConfig
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)

    @property
    def is_production(self) -> bool:
        return self.stage == "production"

    @property
    def name_prefix(self) -> str:
        """Prefix for physical names, so that several profiles can share one account."""
        return f"{self.project}-{self.profile}"

    @model_validator(mode="after")
    def _production_keeps_its_data(self) -> Self:
        if self.is_production and self.storage.removal_policy != "retain":
            raise ValueError(
                "storage.removal_policy must be 'retain' when stage is 'production'; "
                "'destroy' is for development profiles only"
            )
        return self

    @model_validator(mode="after")
    def _enabled_controls_are_disabled_here(self) -> Self:
        for control in self.governance.guard.enabled_controls:
            stages = BY_ID[control].stages
            if self.stage not in stages:
                only = ", ".join(sorted(stages))
                raise ValueError(
                    f"governance.guard.enabled_controls lists {control!r}, which stage "
                    f"{self.stage} checks already; allowed: controls disabled in this stage "
                    f"({control} is disabled in {only} only)"
                )
        return self
