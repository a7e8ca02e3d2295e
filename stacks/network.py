"""NetworkStack: the VPC every other stack places its compute in."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2

from constructs import Construct
from constructs.core.encrypted_log_group import EncryptedLogGroup
from platform_config import PlatformConfig
from stacks.platform_stack import PlatformStack

_INTERFACE_ENDPOINTS: dict[str, tuple[ec2.InterfaceVpcEndpointAwsService, ...]] = {
    "sagemaker_api": (ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,),
    "sagemaker_runtime": (ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,),
    "sts": (ec2.InterfaceVpcEndpointAwsService.STS,),
    "kinesis": (ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,),
    "glue": (ec2.InterfaceVpcEndpointAwsService.GLUE,),
    "logs": (ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,),
    "ecr": (ec2.InterfaceVpcEndpointAwsService.ECR, ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER),
}


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
        prefix = int(network.vpc_cidr.split("/")[1])
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(network.vpc_cidr),
            max_azs=network.max_azs,
            nat_gateways=network.nat_gateways,
            # Sized as fractions of the VPC so any allowed prefix (/16 to /22) fits three AZs.
            subnet_configuration=[
                # Public subnets hold only NAT gateways: nothing launched there gets a public IP.
                ec2.SubnetConfiguration(
                    name="public",
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=prefix + 5,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name="private",
                    subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                    cidr_mask=prefix + 3,
                ),
                ec2.SubnetConfiguration(
                    name="isolated",
                    subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                    cidr_mask=prefix + 5,
                ),
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
                ),
            },
            restrict_default_security_group=True,
        )
        self._drop_redundant_provider_dependency()
        self._add_interface_endpoints(config)
        self.flow_logs = EncryptedLogGroup(
            self,
            "FlowLogs",
            retention_days=network.flow_logs.retention_days,
            storage=config.storage,
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

    def _drop_redundant_provider_dependency(self) -> None:
        # restrict_default_security_group needs CloudFormation to revoke the default group's
        # rules, which only a custom resource can do. CDK's provider function both GetAtts its role
        # and DependsOn it; cfn-lint (W3005) rightly flags the DependsOn as redundant.
        provider = self.node.find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
        handler = provider.node.find_child("Handler")
        assert isinstance(handler, cdk.CfnResource)
        handler.add_deletion_override("DependsOn")

    def _add_interface_endpoints(self, config: PlatformConfig) -> None:
        enabled = [name for name, on in config.network.interface_endpoints if on]
        if not enabled:
            return
        # One security group for every endpoint: HTTPS in from the VPC's own range (a literal,
        # so reviewers and cdk-nag can read it), nothing out.
        endpoint_sg = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Interface VPC endpoints: HTTPS from inside the VPC only",
            allow_all_outbound=False,
        )
        endpoint_sg.add_ingress_rule(
            ec2.Peer.ipv4(config.network.vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC"
        )
        for name in enabled:
            for service in _INTERFACE_ENDPOINTS[name]:
                endpoint_id = "".join(part.title() for part in service.short_name.split("."))
                self.vpc.add_interface_endpoint(
                    f"{endpoint_id}Endpoint",
                    service=service,
                    private_dns_enabled=True,
                    open=False,
                    security_groups=[endpoint_sg],
                    subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                )
