"""Network settings: the VPC, its NAT (gateways or instances), endpoints and flow logs."""

from __future__ import annotations

import ipaddress
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from platform_config.base import LogRetentionDays, Section, instance_type_of
from platform_config.instance_types import NAT_INSTANCE

NatInstanceType = instance_type_of(NAT_INSTANCE)


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
    nat_gateways: int = Field(
        ge=1,
        le=3,
        description="How many NATs (gateways or instances, per nat_provider), each in its own "
        "AZ's public subnet: one is cheapest; one per AZ survives an AZ loss.",
    )
    nat_provider: Literal["gateway", "instance"] = Field(
        description="How the private subnets reach the internet (the cluster nodes download "
        "Spark and its jars, SageMaker jobs in the VPC reach ECR and the AWS APIs that have no "
        "endpoint here, so something must). 'gateway': managed NAT gateways, each $0.045/h "
        "(about $32.85/month) plus its Elastic IP ($3.65), highly available within its AZ and "
        "scaling to 100 Gbps: for production. 'instance': one EC2 instance per NAT "
        "(nat_instance_type, Amazon Linux 2023 with iptables masquerading, CDK's "
        "NatProvider.instance_v2) with an auto-assigned public IPv4, IMDSv2 required, an "
        "encrypted gp3 root, no key pair, Session Manager only, TCP in from the VPC only: "
        "about $7.40/month for a t4g.nano with its address and disk, at the price of a single "
        "instance (not replaced automatically if it fails; a stop or reboot cuts egress until "
        "it is back) and a burstable instance's bandwidth: for development accounts.",
    )
    # Optional because the CDK CLI drops null context values: omit it for nat_provider gateway.
    nat_instance_type: NatInstanceType | None = Field(  # type: ignore[valid-type]
        default=None,
        description="The NAT instances' type, for nat_provider 'instance' only: a burstable "
        "type (t4g.nano, Graviton, is the cheapest that forwards a dev account's downloads).",
    )
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

    @model_validator(mode="after")
    def _nat_instance_type_matches_the_provider(self) -> Self:
        if self.nat_provider == "instance" and self.nat_instance_type is None:
            raise ValueError("nat_instance_type is required when nat_provider is 'instance'")
        if self.nat_provider == "gateway" and self.nat_instance_type is not None:
            raise ValueError(
                f"nat_instance_type ({self.nat_instance_type}) is only for nat_provider "
                "'instance'; remove it for 'gateway'"
            )
        return self
