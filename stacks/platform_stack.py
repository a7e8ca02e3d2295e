"""The base every platform stack shares: naming, environment, tags and protection by profile."""

from __future__ import annotations

import aws_cdk as cdk

from constructs import Construct
from platform_config import PlatformConfig


class PlatformStack(cdk.Stack):
    """A stack named `<project>-<profile>-<suffix>`, environment-agnostic unless the profile pins
    an account and region, and protected from deletion in production."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        name_suffix: str,
        description: str,
    ) -> None:
        pinned = config.account is not None and config.region is not None
        super().__init__(
            scope,
            construct_id,
            stack_name=f"{config.name_prefix}-{name_suffix}",
            description=description,
            env=cdk.Environment(account=config.account, region=config.region) if pinned else None,
            termination_protection=config.is_production,
            analytics_reporting=False,
        )
        self.config = config
        for key, value in config.tags.items():
            cdk.Tags.of(self).add(key, value)
