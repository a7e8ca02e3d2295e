"""NetworkStack: subnets per AZ per tier, NAT (gateways or instances), flow logs, endpoints,
default SG."""

from __future__ import annotations

from collections import Counter

from local_deploy.smoke import Check, SmokeContext, expect

STACK_ID = "NetworkStack"

_TIERS = ("Public", "Private", "Isolated")


def _vpc_id(ctx: SmokeContext) -> str:
    vpc_ids = ctx.physical_ids("AWS::EC2::VPC")
    expect(len(vpc_ids) == 1, f"expected one VPC in {ctx.stack_name}, found {vpc_ids}")
    return vpc_ids[0]


def subnets_per_az_per_tier(ctx: SmokeContext) -> str:
    ec2 = ctx.client("ec2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [_vpc_id(ctx)]}])
    per_tier: dict[str, Counter[str]] = {tier: Counter() for tier in _TIERS}
    for subnet in subnets["Subnets"]:
        tags = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}
        tier = tags.get("aws-cdk:subnet-type")
        expect(tier in per_tier, f"subnet {subnet['SubnetId']} has subnet type {tier!r}")
        per_tier[tier][subnet["AvailabilityZone"]] += 1
    azs = ctx.config.network.max_azs
    for tier, per_az in per_tier.items():
        expect(
            len(per_az) == azs and set(per_az.values()) == {1},
            f"{tier} subnets per AZ: {dict(per_az)}; expected one in each of {azs} AZs",
        )
    return f"one subnet per AZ in each of {', '.join(_TIERS)} across {azs} AZs"


def nat_gateway_count(ctx: SmokeContext) -> str:
    gateways = ctx.client("ec2").describe_nat_gateways(
        Filters=[{"Name": "vpc-id", "Values": [_vpc_id(ctx)]}]
    )["NatGateways"]
    live = [g for g in gateways if g["State"] in {"available", "pending"}]
    network = ctx.config.network
    if network.nat_provider == "gateway":
        expected = network.nat_gateways
        expect(len(live) == expected, f"{len(live)} NAT gateways, expected {expected}")
        return f"{expected} NAT gateway(s)"
    expect(not live, f"{len(live)} NAT gateways, expected none (nat_provider instance)")
    ids = ctx.physical_ids("AWS::EC2::Instance")
    expect(
        len(ids) == network.nat_gateways,
        f"{len(ids)} NAT instances, expected {network.nat_gateways}",
    )
    reservations = ctx.client("ec2").describe_instances(InstanceIds=ids)["Reservations"]
    for instance in (i for r in reservations for i in r["Instances"]):
        expect(
            instance["InstanceType"] == network.nat_instance_type,
            f"NAT instance {instance['InstanceId']} is {instance['InstanceType']}, "
            f"expected {network.nat_instance_type}",
        )
        expect(
            instance["State"]["Name"] in {"pending", "running"},
            f"NAT instance {instance['InstanceId']} is {instance['State']['Name']}",
        )
    return f"{len(ids)} NAT instance(s) ({network.nat_instance_type}), no NAT gateway"


def flow_log_to_encrypted_log_group(ctx: SmokeContext) -> str:
    vpc_id = _vpc_id(ctx)
    flow_logs = ctx.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [vpc_id]}]
    )["FlowLogs"]
    expect(len(flow_logs) == 1, f"VPC {vpc_id} has {len(flow_logs)} flow logs, expected 1")
    flow_log = flow_logs[0]
    expected_traffic = ctx.config.network.flow_logs.traffic_type
    expect(
        flow_log["TrafficType"] == expected_traffic,
        f"flow log traffic type {flow_log['TrafficType']}, expected {expected_traffic}",
    )
    group_name = flow_log["LogGroupName"]
    groups = ctx.client("logs").describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    group = next((g for g in groups if g["logGroupName"] == group_name), None)
    expect(group is not None, f"flow log group {group_name} does not exist")
    expect(bool(group.get("kmsKeyId")), f"flow log group {group_name} has no KMS key")
    key = ctx.client("kms").describe_key(KeyId=group["kmsKeyId"])["KeyMetadata"]
    expect(key["KeyState"] == "Enabled", f"flow log key {key['KeyId']} is {key['KeyState']}")
    return f"flow log ({expected_traffic}) to {group_name}, encrypted with {key['KeyId']}"


def gateway_endpoints(ctx: SmokeContext) -> str:
    endpoints = ctx.client("ec2").describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [_vpc_id(ctx)]}]
    )["VpcEndpoints"]
    services = {e["ServiceName"].rsplit(".", 1)[-1] for e in endpoints}
    gateway = {
        e["ServiceName"].rsplit(".", 1)[-1] for e in endpoints if e["VpcEndpointType"] == "Gateway"
    }
    expect({"s3", "dynamodb"} <= gateway, f"gateway endpoints {sorted(gateway)}, need s3, dynamodb")
    wanted = {name for name, on in ctx.config.network.interface_endpoints if on}
    return f"gateway endpoints s3, dynamodb; {len(services)} endpoint services ({len(wanted)} on)"


def default_security_group_has_no_rules(ctx: SmokeContext) -> str:
    groups = ctx.client("ec2").describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [_vpc_id(ctx)]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    expect(len(groups) == 1, f"found {len(groups)} default security groups")
    group = groups[0]
    expect(not group["IpPermissions"], f"default SG {group['GroupId']} has ingress rules")
    expect(not group["IpPermissionsEgress"], f"default SG {group['GroupId']} has egress rules")
    return f"default security group {group['GroupId']} has no rules"


def outputs_name_the_vpc(ctx: SmokeContext) -> str:
    expect(
        ctx.outputs.get("VpcId") == _vpc_id(ctx),
        f"output VpcId {ctx.outputs.get('VpcId')!r} is not the stack's VPC",
    )
    return "output VpcId matches the stack's VPC"


CHECKS: list[Check] = [
    subnets_per_az_per_tier,
    nat_gateway_count,
    flow_log_to_encrypted_log_group,
    gateway_endpoints,
    default_security_group_has_no_rules,
    outputs_name_the_vpc,
]
