"""NetworkStack: the VPC every other stack places its compute in."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2

from constructs import Construct
from constructs.core.encrypted_log_group import EncryptedLogGroup
from constructs.network.vpc import INTERFACE_ENDPOINTS, PlatformVpc, endpoint_security_group
from platform_config import PlatformConfig
from stacks.platform_stack import PlatformStack
from stacks.props import log_retention, removal_policy


class NetworkStack(PlatformStack):
    """A VPC with public, private-with-egress and isolated subnets in each AZ, NAT per profile,
    free gateway endpoints, switchable interface endpoints, and encrypted flow logs."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PlatformConfig) -> None:
        self._az_count = config.network.max_azs
        super().__init__(
            scope,
            construct_id,
            config=config,
            name_suffix="network",
            description="Data and ML platform: VPC, subnets, NAT, VPC endpoints and flow logs",
        )
        network = config.network
        self.vpc = PlatformVpc(
            self,
            "Vpc",
            cidr=network.vpc_cidr,
            max_azs=network.max_azs,
            nat_gateways=network.nat_gateways,
            nat_instance_type=network.nat_instance_type
            if network.nat_provider == "instance"
            else None,
        )
        enabled = [name for name, on in network.interface_endpoints if on]
        if enabled:
            self.vpc.add_private_interface_endpoints(
                (service for name in enabled for service in INTERFACE_ENDPOINTS[name]),
                security_group=endpoint_security_group(
                    self, "EndpointSecurityGroup", vpc=self.vpc, vpc_cidr=network.vpc_cidr
                ),
            )
        self.flow_logs = EncryptedLogGroup(
            self,
            "FlowLogs",
            retention=log_retention(network.flow_logs.retention_days),
            removal_policy=removal_policy(config.storage),
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_logs.log_group),
            traffic_type=ec2.FlowLogTrafficType[network.flow_logs.traffic_type],
        )
        cdk.CfnOutput(self, "VpcId", value=self.vpc.vpc_id)

    @property
    def availability_zones(self) -> list[str]:
        # An environment-agnostic stack gets only two AZs from CDK; select as many as the profile
        # asks for from Fn::GetAZs so that prod spans three without pinning a region at synth.
        if cdk.Token.is_unresolved(self.region):
            return [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(self._az_count)]
        return super().availability_zones
