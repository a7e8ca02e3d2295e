"""ClusterStack: launch templates, groups, the termination hook, the private zone, the secret.

moto's instances do not inherit their launch template's settings (IMDSv2, volumes, profile), so
these checks read the launch templates themselves, as an instance would be launched from them.
"""

from __future__ import annotations

from local_deploy.smoke import Check, SmokeContext, expect

STACK_ID = "ClusterStack"

_ROLES = ("Master", "Worker")


def _latest_template_data(ctx: SmokeContext, role: str) -> dict:
    template_id = ctx.outputs[f"{role}LaunchTemplateId"]
    versions = ctx.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=template_id, Versions=["$Latest"]
    )["LaunchTemplateVersions"]
    expect(len(versions) == 1, f"launch template {template_id} has no latest version")
    return versions[0]["LaunchTemplateData"]


def launch_templates_secure(ctx: SmokeContext) -> str:
    for role in _ROLES:
        data = _latest_template_data(ctx, role)
        metadata = data.get("MetadataOptions", {})
        expect(
            metadata.get("HttpTokens") == "required",
            f"{role} launch template: HttpTokens {metadata.get('HttpTokens')!r}, not required",
        )
        expect(
            int(metadata.get("HttpPutResponseHopLimit", 0)) == 1,
            f"{role} launch template: hop limit {metadata.get('HttpPutResponseHopLimit')}",
        )
        expect(
            "KeyName" not in data, f"{role} launch template names key pair {data.get('KeyName')}"
        )
        for interface in data.get("NetworkInterfaces", []):
            expect(
                not interface.get("AssociatePublicIpAddress"),
                f"{role} launch template assigns a public IP",
            )
        volumes = [m for m in data.get("BlockDeviceMappings", []) if "Ebs" in m]
        expect(volumes, f"{role} launch template maps no EBS volume")
        for mapping in volumes:
            ebs = mapping["Ebs"]
            expect(
                ebs.get("Encrypted") in (True, "true") and ebs.get("KmsKeyId"),
                f"{role} volume {mapping['DeviceName']} is not encrypted with a KMS key",
            )
            expect(
                ebs.get("VolumeType") == "gp3",
                f"{role} volume {mapping['DeviceName']} is {ebs.get('VolumeType')}",
            )
    return "both launch templates: IMDSv2 (hop limit 1), encrypted gp3, no key pair, no public IP"


def _group(ctx: SmokeContext, output: str) -> dict:
    name = ctx.outputs[output]
    groups = ctx.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    expect(len(groups["AutoScalingGroups"]) == 1, f"Auto Scaling group {name} does not exist")
    return groups["AutoScalingGroups"][0]


def master_group_of_one(ctx: SmokeContext) -> str:
    group = _group(ctx, "MasterGroupName")
    sizes = (group["MinSize"], group["DesiredCapacity"], group["MaxSize"])
    if ctx.config.cluster.master_always_on:
        expected, what = (1, 1, 1), "exactly one instance"
    else:
        expected, what = (0, 0, 1), "none until started (make cluster-start), at most one"
    expect(sizes == expected, f"master group min/desired/max {sizes}, expected {expected}")
    return f"master group {group['AutoScalingGroupName']}: {what}"


def worker_mixed_instances_policy(ctx: SmokeContext) -> str:
    cluster = ctx.config.cluster
    group = _group(ctx, "WorkerGroupName")
    policy = group.get("MixedInstancesPolicy") or {}
    distribution = policy.get("InstancesDistribution", {})
    types = [o.get("InstanceType") for o in policy.get("LaunchTemplate", {}).get("Overrides", [])]
    expect(
        types == list(cluster.worker_instance_types),
        f"worker overrides {types}, expected {cluster.worker_instance_types}",
    )
    expect(
        distribution.get("SpotAllocationStrategy") == "price-capacity-optimized",
        f"Spot allocation {distribution.get('SpotAllocationStrategy')!r}",
    )
    base = cluster.workers.on_demand_base_capacity
    expect(
        int(distribution.get("OnDemandBaseCapacity", -1)) == base,
        f"On-Demand base {distribution.get('OnDemandBaseCapacity')}, expected {base}",
    )
    expect(group.get("CapacityRebalance") is True, "Capacity Rebalancing is off")
    subnets = (group.get("VPCZoneIdentifier") or "").split(",")
    expect(
        len(subnets) == ctx.config.network.max_azs,
        f"worker group spans {len(subnets)} subnet(s), expected {ctx.config.network.max_azs}",
    )
    return (
        f"workers: {', '.join(types)}, On-Demand base {base}, price-capacity-optimized, "
        f"Capacity Rebalancing, {len(subnets)} subnets"
    )


def worker_termination_hook(ctx: SmokeContext) -> str:
    name = ctx.outputs["WorkerGroupName"]
    hooks = ctx.client("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=name)[
        "LifecycleHooks"
    ]
    terminating = [h for h in hooks if h["LifecycleTransition"].endswith("TERMINATING")]
    expect(len(terminating) == 1, f"worker group {name} has {len(terminating)} termination hooks")
    hook = terminating[0]
    expected = ctx.config.cluster.workers.lifecycle_hook_timeout_seconds
    expect(hook["LifecycleHookName"] == ctx.outputs["LifecycleHookName"], "hook name differs")
    expect(hook["HeartbeatTimeout"] == expected, f"hook timeout {hook['HeartbeatTimeout']}")
    return f"termination hook {hook['LifecycleHookName']}: {expected} s, {hook['DefaultResult']}"


def master_private_zone(ctx: SmokeContext) -> str:
    zone = ctx.client("route53").get_hosted_zone(Id=ctx.outputs["HostedZoneId"])
    expect(zone["HostedZone"]["Config"]["PrivateZone"] is True, "the master's zone is public")
    expect(zone.get("VPCs"), "the master's private zone is associated with no VPC")
    expected = ctx.config.cluster.dns.zone_name.rstrip(".")
    name = zone["HostedZone"]["Name"].rstrip(".")
    expect(name == expected, f"zone {name}, expected {expected}")
    master = ctx.outputs["MasterHost"]
    expect(master.rstrip(".").endswith(expected), f"master host {master} is outside {expected}")
    return f"private zone {name} on {zone['VPCs'][0]['VPCId']}; master at {master}"


def spark_secret(ctx: SmokeContext) -> str:
    from spark_cluster.node_config import (  # noqa: PLC0415 - only this check needs it
        ClusterSettings,
        NodeConfigError,
    )

    secrets = ctx.client("secretsmanager")
    arn = ctx.outputs["SecretArn"]
    described = secrets.describe_secret(SecretId=arn)
    expect(bool(described.get("KmsKeyId")), f"secret {arn} is not encrypted with a KMS key")
    value = secrets.get_secret_value(SecretId=arn)["SecretString"]
    try:  # the nodes refuse a secret Spark's config files cannot hold
        ClusterSettings(
            event_log_dir="file:///tmp/e/",
            fallback_storage_path="file:///tmp/f/",
            auth_secret=value,
        )
    except NodeConfigError as error:
        expect(False, f"the generated secret is unusable: {error}")
    return f"secret {described['Name']}: generated ({len(value)} characters), KMS-encrypted"


CHECKS: list[Check] = [
    launch_templates_secure,
    master_group_of_one,
    worker_mixed_instances_policy,
    worker_termination_hook,
    master_private_zone,
    spark_secret,
]
