"""PlatformVpc: the VPC every stack places its compute in, and the endpoint security group."""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2

from constructs import Construct
from constructs.core.cfn import depend_only_on
from constructs.core.nag import skip_checkov

# The cdk.json switch names of the interface endpoints, and the services each one turns on.
INTERFACE_ENDPOINTS: dict[str, tuple[ec2.InterfaceVpcEndpointAwsService, ...]] = {
    "sagemaker_api": (ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,),
    "sagemaker_runtime": (ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,),
    "sts": (ec2.InterfaceVpcEndpointAwsService.STS,),
    "kinesis": (ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,),
    "glue": (ec2.InterfaceVpcEndpointAwsService.GLUE,),
    "logs": (ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,),
    "ecr": (ec2.InterfaceVpcEndpointAwsService.ECR, ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER),
}

_RESTRICT_DEFAULT_SG_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"


class PlatformVpc(ec2.Vpc):
    """An `ec2.Vpc` with three subnet tiers in each AZ and secure defaults.

    Creates public subnets (NAT gateways only: nothing launched there gets a public IP),
    private subnets with egress through NAT, and isolated subnets, sized as fractions of the
    VPC's range so that any prefix from /16 to /22 fits three AZs; free S3 and DynamoDB gateway
    endpoints; and a default security group stripped of its rules.

    Being an `ec2.Vpc` itself (not a wrapper), it keeps the construct path, and so every logical
    ID, of the VPC it replaces.

    :param cidr: the VPC's IPv4 range, a private block from /16 to /22.
    :param max_azs: how many AZs to span.
    :param nat_gateways: how many NAT gateways (one is cheapest; one per AZ survives an AZ loss).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        max_azs: int,
        nat_gateways: int,
    ) -> None:
        prefix = int(cidr.split("/")[1])
        super().__init__(
            scope,
            construct_id,
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            max_azs=max_azs,
            nat_gateways=nat_gateways,
            subnet_configuration=[
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

    def _drop_redundant_provider_dependency(self) -> None:
        # restrict_default_security_group needs CloudFormation to revoke the default group's
        # rules, which only a custom resource can do. CDK's provider function (one per stack)
        # both GetAtts its role and DependsOn it; cfn-lint (W3005) rightly flags the DependsOn.
        provider = cdk.Stack.of(self).node.find_child(_RESTRICT_DEFAULT_SG_PROVIDER)
        handler = provider.node.find_child("Handler")
        assert isinstance(handler, cdk.CfnResource)
        depend_only_on(handler)
        skip_checkov(
            handler,
            {
                "CKV_AWS_116": "CDK's provider for restrict_default_security_group: CloudFormation "
                "invokes it synchronously and reads its response, so there is no asynchronous "
                "event a dead-letter queue could keep.",
                "CKV_AWS_117": "CDK's provider calls only the EC2 API (revoke the default group's "
                "rules), once per deploy; it reaches nothing inside the VPC it configures.",
                "CKV_AWS_115": "CDK's provider runs once per deploy of this stack; a reserved "
                "concurrency would only take capacity from the account's pool.",
            },
        )

    def add_private_interface_endpoints(
        self,
        services: Iterable[ec2.InterfaceVpcEndpointAwsService],
        *,
        security_group: ec2.ISecurityGroup,
    ) -> None:
        """An interface endpoint per service in the private subnets, with private DNS, reachable
        only through `security_group` (`open=False`: no rule of the VPC's range is added)."""
        for service in services:
            endpoint_id = "".join(part.title() for part in service.short_name.split("."))
            self.add_interface_endpoint(
                f"{endpoint_id}Endpoint",
                service=service,
                private_dns_enabled=True,
                open=False,
                security_groups=[security_group],
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            )


def endpoint_security_group(
    scope: Construct, construct_id: str, *, vpc: ec2.IVpc, vpc_cidr: str
) -> ec2.SecurityGroup:
    """One security group for every interface endpoint: HTTPS in from the VPC's own range (a
    literal CIDR, so reviewers and cdk-nag can read it), nothing out."""
    group = ec2.SecurityGroup(
        scope,
        construct_id,
        vpc=vpc,
        description="Interface VPC endpoints: HTTPS from inside the VPC only",
        allow_all_outbound=False,
    )
    group.add_ingress_rule(ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC")
    return group
