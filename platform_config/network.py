"""Network settings: the VPC, its NAT gateways, endpoints and flow logs."""

from __future__ import annotations

import ipaddress
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from platform_config.base import LogRetentionDays, Section


class InterfaceEndpoints(Section):
    """One switch per interface endpoint; each is billed per AZ-hour, so each is a choice."""

    sagemaker_api: bool
    sagemaker_runtime: bool
    sts: bool
    kinesis: bool
    glue: bool
    logs: bool
    ecr: bool = Field(description="ECR API and Docker registry endpoints together.")


class FlowLogs(Section):
    retention_days: LogRetentionDays
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"]


class NetworkConfig(Section):
    vpc_cidr: str
    max_azs: int = Field(ge=2, le=3)
    nat_gateways: int = Field(ge=1, le=3)
    interface_endpoints: InterfaceEndpoints
    flow_logs: FlowLogs

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr_is_a_private_block(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as error:
            raise ValueError(f"not an IPv4 CIDR block ({error}); e.g. 10.20.0.0/16") from None
        if not 16 <= network.prefixlen <= 22:
            raise ValueError("prefix length must be /16 to /22 to fit three subnet tiers per AZ")
        if not network.is_private:
            raise ValueError("must be a private (RFC 1918) range such as 10.0.0.0/16")
        return value

    @model_validator(mode="after")
    def _nat_gateways_fit_azs(self) -> Self:
        if self.nat_gateways > self.max_azs:
            raise ValueError(
                f"nat_gateways ({self.nat_gateways}) exceeds max_azs ({self.max_azs}); "
                "allowed: 1 (cheap, one AZ's NAT) up to one per AZ"
            )
        return self
