"""PlatformVpc: the VPC every stack places its compute in, and the endpoint security group."""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from constructs import Construct
from constructs.core.cfn import default_resource, depend_only_on
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
SSM_CORE_POLICY = "AmazonSSMManagedInstanceCore"
NAT_ROOT_DEVICE = "/dev/xvda"  # Amazon Linux 2023's root device name
NAT_ROOT_GIB = 8  # the size of Amazon Linux 2023's standard AMI snapshot: the smallest allowed
# The NAT instances' boot script: CDK's default (NatInstanceProviderV2.DEFAULT_USER_DATA_COMMANDS)
# with its one install retried, since on Amazon Linux 2023 it can race cloud-init's own dnf
# cache clean-up and fail (aws/aws-cdk#36717), and a failure stopping the boot, not ignored.
NAT_USER_DATA_COMMANDS = (
    "set -euo pipefail",
    "for attempt in $(seq 1 30); do dnf install -y iptables-services && break; sleep 10; done",
    "rpm -q iptables-services",
    "systemctl enable --now iptables",
    'echo "net.ipv4.ip_forward=1" > /etc/sysctl.d/90-nat-forwarding.conf',
    "sysctl -p /etc/sysctl.d/90-nat-forwarding.conf",
    "iface=$(ip route show default | awk '{print $5; exit}')",
    'iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE',
    "iptables -F FORWARD",  # iptables-services' default rules reject forwarded traffic
    "iptables-save > /etc/sysconfig/iptables",
)


class PlatformVpc(ec2.Vpc):
    """An `ec2.Vpc` with three subnet tiers in each AZ and secure defaults.

    Creates public subnets (NAT gateways only: nothing launched there gets a public IP),
    private subnets with egress through NAT, and isolated subnets, sized as fractions of the
    VPC's range so that any prefix from /16 to /22 fits three AZs; free S3 and DynamoDB gateway
    endpoints; and a default security group stripped of its rules.

    Being an `ec2.Vpc` itself (not a wrapper), it keeps the construct path, and so every logical
    ID, of the VPC it replaces.

    With `nat_instance_type`, each NAT is an EC2 instance (CDK's `NatProvider.instance_v2`:
    Amazon Linux 2023, iptables masquerading) instead of a NAT gateway, hardened like every
    instance here: IMDSv2 required (hop limit 1), an encrypted gp3 root, no key pair, access
    through Session Manager only (its role has AmazonSSMManagedInstanceCore), and TCP in only
    from the VPC's own range. It is the one instance with a public IP (auto-assigned on
    launch), which a NAT needs.

    :param cidr: the VPC's IPv4 range, a private block from /16 to /22.
    :param max_azs: how many AZs to span.
    :param nat_gateways: how many NATs (one is cheapest; one per AZ survives an AZ loss).
    :param nat_instance_type: None for NAT gateways; else the NAT instances' type (t4g.nano).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        max_azs: int,
        nat_gateways: int,
        nat_instance_type: str | None = None,
    ) -> None:
        prefix = int(cidr.split("/")[1])
        nat_provider = None if nat_instance_type is None else _nat_instances(nat_instance_type)
        super().__init__(
            scope,
            construct_id,
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            max_azs=max_azs,
            nat_gateways=nat_gateways,
            nat_gateway_provider=nat_provider,
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
        self.nat_instances: list[ec2.Instance] = []
        """The NAT instances (none with NAT gateways)."""
        if isinstance(nat_provider, ec2.NatInstanceProviderV2):
            nat_provider.security_group.add_ingress_rule(
                # TCP, every port: what the private subnets send out (HTTPS to AWS APIs and
                # downloads; DNS and NTP stay inside the VPC). Ports are explicit rather than
                # protocol -1, which the emulator's security groups cannot read.
                ec2.Peer.ipv4(cidr),
                ec2.Port.all_tcp(),
                "TCP to NAT from the VPC",
            )
            self.nat_instances = list(nat_provider.gateway_instances)
            for instance in self.nat_instances:
                _harden_nat_instance(instance)

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


def _nat_instances(instance_type: str) -> ec2.NatInstanceProviderV2:
    """CDK's NAT instances on Amazon Linux 2023 (its public SSM parameter: no lookup at synth),
    with a public IP; traffic in only as `PlatformVpc` then allows it, all out (as a NAT
    gateway forwards it; each workload's own security group limits what it sends)."""
    kind = ec2.InstanceType(instance_type)
    cpu = (
        ec2.AmazonLinuxCpuType.ARM_64
        if kind.architecture == ec2.InstanceArchitecture.ARM_64
        else ec2.AmazonLinuxCpuType.X86_64
    )
    user_data = ec2.UserData.for_linux()
    user_data.add_commands(*NAT_USER_DATA_COMMANDS)
    return ec2.NatProvider.instance_v2(
        instance_type=kind,
        machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=cpu),
        default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
        associate_public_ip_address=True,
        user_data=user_data,
    )


def _harden_nat_instance(instance: ec2.Instance) -> None:
    """IMDSv2, an encrypted root, Session Manager; cdk-nag's instance findings answered.

    `NatProvider.instance_v2` passes no metadata, volume or role settings to its instances, so
    they are set here, on the instance itself (not through `require_imdsv2`, whose launch
    template has a fixed name that two profiles in one account would share).
    """
    cfn = instance.node.default_child
    assert isinstance(cfn, ec2.CfnInstance)
    cfn.metadata_options = ec2.CfnInstance.MetadataOptionsProperty(
        http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
    )
    cfn.block_device_mappings = [
        ec2.CfnInstance.BlockDeviceMappingProperty(
            device_name=NAT_ROOT_DEVICE,
            ebs=ec2.CfnInstance.EbsProperty(
                volume_size=NAT_ROOT_GIB,
                volume_type="gp3",
                encrypted=True,
                delete_on_termination=True,
            ),
        )
    ]
    instance.role.add_managed_policy(
        iam.ManagedPolicy.from_aws_managed_policy_name(SSM_CORE_POLICY)
    )
    cdk.Validations.of(default_resource(instance.role)).acknowledge(
        cdk.Acknowledgment(
            id=f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{SSM_CORE_POLICY}]",
            reason="Session Manager replaces SSH on the NAT instance (no key pair, no port 22): "
            "the SSM agent needs exactly this AWS-maintained policy's ssm, ssmmessages and "
            "ec2messages actions, which AWS updates as the agent changes.",
        )
    )
    skip_checkov(
        cfn,
        {
            "CKV_AWS_88": "A NAT instance forwards the private subnets' traffic to the internet "
            "through its own public address, as a NAT gateway does through its Elastic IP; its "
            "security group admits only the VPC's range, and it has no key pair or SSH.",
        },
    )
    for finding, reason in {
        "AwsSolutions-EC28": "A NAT instance of a development profile: EC2's free five-minute "
        "metrics are enough, and detailed monitoring would cost more than the instance.",
        "AwsSolutions-EC29": "A NAT instance holds no data and is replaced by a deploy; "
        "termination protection would only block the stack's own updates and deletes.",
    }.items():
        cdk.Validations.of(cfn).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))
