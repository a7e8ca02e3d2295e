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


@pytest.mark.parametrize(("profile", "gateways", "instances"), [("dev", 0, 1), ("prod", 3, 0)])
def test_nat_per_profile(
    profile: str, gateways: int, instances: int, request: pytest.FixtureRequest
) -> None:
    template = request.getfixturevalue(profile).template(STACK)
    template.resource_count_is("AWS::EC2::NatGateway", gateways)
    template.resource_count_is("AWS::EC2::EIP", gateways)
    template.resource_count_is("AWS::EC2::Instance", instances)


def test_dev_nat_instance_is_hardened_and_routes_the_private_subnets(dev: Synthesized) -> None:
    template = dev.template(STACK)
    (logical_id, instance), *_ = template.find_resources("AWS::EC2::Instance").items()
    props = instance["Properties"]
    assert props["InstanceType"] == "t4g.nano"
    assert props["SourceDestCheck"] is False
    assert props["MetadataOptions"] == {
        "HttpEndpoint": "enabled",
        "HttpPutResponseHopLimit": 1,
        "HttpTokens": "required",
    }
    assert props["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {
                "DeleteOnTermination": True,
                "Encrypted": True,
                "VolumeSize": 8,
                "VolumeType": "gp3",
            },
        }
    ]
    assert "KeyName" not in props
    (interface,) = props["NetworkInterfaces"]
    assert interface["AssociatePublicIpAddress"] is True  # a NAT's one public address
    assert "publicSubnet" in interface["SubnetId"]["Ref"]
    # Amazon Linux 2023 arm64 from its public SSM parameter: no lookup at synth.
    image = template.to_json()["Parameters"][props["ImageId"]["Ref"]]
    assert image["Default"] == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64"
    user_data = props["UserData"]["Fn::Base64"]
    assert "ip route show default" in user_data
    assert "MASQUERADE" in user_data
    assert "for attempt in" in user_data  # the install is retried (aws/aws-cdk#36717)
    # Session Manager, not SSH: the role has the SSM core policy and nothing else.
    role_id = template.find_resources("AWS::IAM::InstanceProfile")[
        props["IamInstanceProfile"]["Ref"]
    ]["Properties"]["Roles"][0]["Ref"]
    role = template.find_resources("AWS::IAM::Role")[role_id]["Properties"]
    assert [arn["Fn::Join"][1][-1] for arn in role["ManagedPolicyArns"]] == [
        ":iam::aws:policy/AmazonSSMManagedInstanceCore"
    ]
    policies = template.find_resources("AWS::IAM::Policy").values()
    assert not [p for p in policies if {"Ref": role_id} in p["Properties"]["Roles"]]
    # Traffic in from the VPC's own range only.
    (group_id,) = [g["Fn::GetAtt"][0] for g in interface["GroupSet"]]
    group = template.find_resources("AWS::EC2::SecurityGroup")[group_id]["Properties"]
    assert [
        (rule["CidrIp"], rule["IpProtocol"], rule["FromPort"], rule["ToPort"])
        for rule in group["SecurityGroupIngress"]
    ] == [("10.20.0.0/16", "tcp", 0, 65535)]
    # Every private subnet's default route goes through it.
    routes = template.find_resources(
        "AWS::EC2::Route", {"Properties": {"InstanceId": Match.any_value()}}
    )
    assert len(routes) == 2
    assert all(r["Properties"]["InstanceId"] == {"Ref": logical_id} for r in routes.values())
    assert all("privateSubnet" in route for route in routes)


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
