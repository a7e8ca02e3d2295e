"""constructs/network: PlatformVpc and the endpoint security group, built from props."""

from __future__ import annotations

import json

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template

from constructs.core.cfn import default_resource
from constructs.network.vpc import PlatformVpc, endpoint_security_group
from tests.constructs.bare import bare_stack, synthesized

CIDR = "10.40.0.0/20"


@pytest.fixture(scope="module")
def vpc_template() -> Template:
    app, stack = bare_stack()
    vpc = PlatformVpc(stack, "Vpc", cidr=CIDR, max_azs=2, nat_gateways=1)
    vpc.add_flow_log(
        "FlowLog",
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(logs.LogGroup(stack, "Logs")),
    )
    vpc.add_private_interface_endpoints(
        [ec2.InterfaceVpcEndpointAwsService.STS],
        security_group=endpoint_security_group(stack, "EndpointSg", vpc=vpc, vpc_cidr=CIDR),
    )
    handler = stack.node.find_child("Custom::VpcRestrictDefaultSGCustomResourceProvider")
    assert "Handler" in [child.node.id for child in handler.node.children]
    assert default_resource(vpc).node.id == "Resource"
    return synthesized(app, stack)


def test_three_tiers_in_each_az_without_public_ips(vpc_template: Template) -> None:
    subnets = vpc_template.find_resources("AWS::EC2::Subnet")
    assert len(subnets) == 6
    assert all(not s["Properties"]["MapPublicIpOnLaunch"] for s in subnets.values())
    vpc_template.resource_count_is("AWS::EC2::NatGateway", 1)
    vpc_template.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": CIDR})


def test_free_gateway_endpoints_and_a_private_interface_endpoint(vpc_template: Template) -> None:
    endpoints = vpc_template.find_resources("AWS::EC2::VPCEndpoint")
    types = sorted(e["Properties"].get("VpcEndpointType", "Gateway") for e in endpoints.values())
    assert types == ["Gateway", "Gateway", "Interface"]
    vpc_template.has_resource_properties(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface", "PrivateDnsEnabled": True}
    )


def test_endpoint_security_group_takes_https_from_the_vpc_only(vpc_template: Template) -> None:
    vpc_template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupDescription": "Interface VPC endpoints: HTTPS from inside the VPC only",
            "SecurityGroupIngress": [
                Match.object_like({"CidrIp": CIDR, "FromPort": 443, "ToPort": 443})
            ],
        },
    )


def test_default_security_group_provider_has_no_redundant_depends_on(
    vpc_template: Template,
) -> None:
    handlers = vpc_template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "__entrypoint__.handler"}}
    )
    assert handlers
    assert all("DependsOn" not in handler for handler in handlers.values())


def test_nat_instances_one_per_az_with_the_ami_of_their_architecture() -> None:
    app, stack = bare_stack()
    vpc = PlatformVpc(
        stack, "Vpc", cidr=CIDR, max_azs=2, nat_gateways=2, nat_instance_type="t3.nano"
    )
    assert len(vpc.nat_instances) == 2
    vpc.add_flow_log(
        "FlowLog",
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(logs.LogGroup(stack, "Logs")),
    )
    template = synthesized(app, stack)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::EIP", 0)
    instances = template.find_resources("AWS::EC2::Instance")
    assert len(instances) == 2
    parameters = template.to_json()["Parameters"]
    for instance in instances.values():
        props = instance["Properties"]
        assert props["InstanceType"] == "t3.nano"
        assert props["MetadataOptions"]["HttpTokens"] == "required"
        assert props["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
        image = parameters[props["ImageId"]["Ref"]]["Default"]
        assert image == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64"
    # Each private subnet routes through the NAT instance of its own AZ.
    routes = template.find_resources(
        "AWS::EC2::Route", {"Properties": {"InstanceId": Match.any_value()}}
    )
    assert len({json.dumps(r["Properties"]["InstanceId"]) for r in routes.values()}) == 2
