"""NetworkStack: subnets, NAT, endpoints, flow logs and the default security group, per profile."""

from __future__ import annotations

from collections import Counter

import pytest
from aws_cdk.assertions import Match

from tests.synthesis import Synthesized

STACK = "NetworkStack"


def subnet_tiers(synthesized: Synthesized) -> Counter[str]:
    subnets = synthesized.template(STACK).find_resources("AWS::EC2::Subnet")
    return Counter(
        tag["Value"]
        for subnet in subnets.values()
        for tag in subnet["Properties"]["Tags"]
        if tag["Key"] == "aws-cdk:subnet-name"
    )


def subnet_azs(synthesized: Synthesized) -> set[int]:
    subnets = synthesized.template(STACK).find_resources("AWS::EC2::Subnet")
    return {s["Properties"]["AvailabilityZone"]["Fn::Select"][0] for s in subnets.values()}


@pytest.mark.parametrize(("profile", "azs"), [("dev", 2), ("prod", 3)])
def test_three_tiers_in_every_az(profile: str, azs: int, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(profile)
    assert subnet_tiers(synthesized) == {"public": azs, "private": azs, "isolated": azs}
    # Environment-agnostic: AZs come from Fn::GetAZs, not from a region pinned at synth.
    assert subnet_azs(synthesized) == set(range(azs))


@pytest.mark.parametrize(("profile", "nats"), [("dev", 1), ("prod", 3)])
def test_nat_gateways_per_profile(profile: str, nats: int, request: pytest.FixtureRequest) -> None:
    request.getfixturevalue(profile).template(STACK).resource_count_is("AWS::EC2::NatGateway", nats)


def test_no_public_ips_on_launch(synthesized: Synthesized) -> None:
    subnets = synthesized.template(STACK).find_resources("AWS::EC2::Subnet")
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values())


def test_isolated_subnets_have_no_route_out(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    routes = template.find_resources("AWS::EC2::Route")
    tables_with_routes = {r["Properties"]["RouteTableId"]["Ref"] for r in routes.values()}
    isolated_tables = {
        logical_id
        for logical_id in template.find_resources("AWS::EC2::RouteTable")
        if "isolated" in logical_id
    }
    assert isolated_tables
    assert not isolated_tables & tables_with_routes


def test_gateway_endpoints_for_s3_and_dynamodb(synthesized: Synthesized) -> None:
    endpoints = synthesized.template(STACK).find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Gateway"}}
    )
    services = sorted(e["Properties"]["ServiceName"]["Fn::Join"][1][-1] for e in endpoints.values())
    assert services == [".dynamodb", ".s3"]


def test_dev_has_no_interface_endpoints(dev: Synthesized) -> None:
    dev.template(STACK).resource_count_is(
        "AWS::EC2::VPCEndpoint", 2
    )  # the two free gateway endpoints only


def test_prod_interface_endpoints(prod: Synthesized) -> None:
    template = prod.template(STACK)
    endpoints = template.find_resources(
        "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Interface"}}
    )
    services = sorted(
        "".join(
            p if isinstance(p, str) else "" for p in e["Properties"]["ServiceName"]["Fn::Join"][1]
        )
        for e in endpoints.values()
    )
    assert services == sorted(
        f"com.amazonaws.{suffix}"
        for suffix in (
            ".ecr.api", ".ecr.dkr", ".glue", ".kinesis-streams", ".logs",
            ".sagemaker.api", ".sagemaker.runtime", ".sts",
        )
    )  # fmt: skip
    assert all(e["Properties"]["PrivateDnsEnabled"] is True for e in endpoints.values())
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "SecurityGroupIngress": [
                {"CidrIp": "10.30.0.0/16", "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp"}
            ],
            "SecurityGroupEgress": [Match.object_like({"CidrIp": "255.255.255.255/32"})],
        },
    )


@pytest.mark.parametrize(
    ("profile", "days", "traffic"), [("dev", 30, "REJECT"), ("prod", 365, "ALL")]
)
def test_flow_logs_to_an_encrypted_log_group(
    profile: str, days: int, traffic: str, request: pytest.FixtureRequest
) -> None:
    template = request.getfixturevalue(profile).template(STACK)
    template.has_resource_properties(
        "AWS::EC2::FlowLog",
        {"ResourceType": "VPC", "TrafficType": traffic, "LogDestinationType": "cloud-watch-logs"},
    )
    (log_group,) = template.find_resources("AWS::Logs::LogGroup").values()
    assert log_group["Properties"]["RetentionInDays"] == days
    key_id = log_group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]
    key = template.find_resources("AWS::KMS::Key")[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    logs_statement = next(
        s
        for s in key["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchLogsForThisAccountsLogGroups"
    )
    assert "kms:EncryptionContext:aws:logs:arn" in logs_statement["Condition"]["ArnLike"]


def test_default_security_group_is_restricted(synthesized: Synthesized) -> None:
    synthesized.template(STACK).resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_stack_is_environment_agnostic_and_named_by_profile(synthesized: Synthesized) -> None:
    artifact = synthesized.manifest()["artifacts"][STACK]
    assert artifact["environment"] == "aws://unknown-account/unknown-region"
    assert artifact["properties"]["stackName"] == f"dataplatform-{synthesized.profile}-network"
    protected = artifact["properties"].get("terminationProtection", False)
    assert protected is (synthesized.profile == "prod")
