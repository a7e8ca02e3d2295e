"""SparkNodeGroup: one role of the cluster (master or workers) as a launch template and an EC2
Auto Scaling group, with its instance role."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import aws_cdk as cdk
import jsii
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets

from constructs import Construct
from constructs.core.bucket_grants import OBJECT_READ, grant_objects
from constructs.core.cfn import default_policy, default_resource
from constructs.core.nag import acknowledge_wildcard_resources, acknowledge_wildcards

ROOT_DEVICE = "/dev/xvda"  # Amazon Linux 2023's root device name
DATA_DEVICE = "/dev/sdb"  # spark_cluster.user_data.DATA_DEVICE mounts it at /data
SSM_CORE_POLICY = "AmazonSSMManagedInstanceCore"
# The action families of CDK's bucket grants (grant_read, grant_read_write) and of the key grant
# that comes with them.
BUCKET_GRANT_ACTIONS = (
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "s3:Abort*",
    "s3:DeleteObject*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)


@dataclass(frozen=True)
class Capacity:
    """min <= desired <= max (validated in config)."""

    min: int
    desired: int
    max: int


@dataclass(frozen=True)
class SpotDistribution:
    """On-Demand base, then the share of On-Demand above it; the rest is Spot, allocated
    price-capacity-optimized across every instance type given."""

    on_demand_base_capacity: int
    on_demand_percentage_above_base_capacity: int


@dataclass(frozen=True)
class Volumes:
    root_gib: int
    data_gib: int


@dataclass(frozen=True)
class TerminationHook:
    """A lifecycle hook that holds terminating instances for up to `timeout_seconds`, until the
    instance's agent completes it (CONTINUE also when the timeout passes)."""

    name: str
    timeout_seconds: int


@dataclass(frozen=True)
class RollingUpdate:
    """How a deployment that changes the launch template replaces the running instances: in
    batches of `max_batch_size`, keeping `min_instances_in_service` (below the group's max),
    each batch waiting for its new instances' boot signals."""

    max_batch_size: int
    min_instances_in_service: int


@dataclass(frozen=True)
class BootSignals:
    """Instances signal CloudFormation at the end of their boot (SignalResource: SUCCESS once
    up, FAILURE when the boot fails), and deployments wait for it.

    At creation the group waits for as many SUCCESS signals as its min capacity, within
    `timeout` (a CreationPolicy); a FAILURE, or the timeout, fails and rolls back the stack. A
    group whose min capacity is 0 gets no CreationPolicy: no instance is guaranteed to launch
    at creation, so there is nothing to wait for (its instances' signals are refused, logged
    and harmless). With `rolling_update`, a deployment that changes the launch template
    replaces the instances in batches, each waiting for its signals within `timeout`.
    """

    timeout: cdk.Duration
    rolling_update: RollingUpdate | None = None


@dataclass(frozen=True)
class SignalTarget:
    """Where a node's boot sends its signal. Tokens, resolved at deploy time."""

    stack_name: str
    logical_id: str
    """The logical ID of the node's Auto Scaling group (known once the group exists)."""
    region: str


@jsii.implements(cdk.IStableStringProducer)
class _GroupLogicalId:
    """The node group's Auto Scaling group's logical ID, produced at synth (after the group
    is created: the launch template, and so the user data, comes first)."""

    def __init__(self, node_group: SparkNodeGroup) -> None:
        self._node_group = node_group

    def produce(self) -> str | None:
        return default_resource(self._node_group.group).logical_id


def _encrypted_gp3(size_gib: int, key: kms.IKey) -> ec2.BlockDeviceVolume:
    return ec2.BlockDeviceVolume.ebs(
        size_gib,
        volume_type=ec2.EbsDeviceVolumeType.GP3,
        encrypted=True,
        kms_key=key,
        delete_on_termination=True,
    )


def _signal_policies(
    capacity: Capacity, boot_signals: BootSignals | None
) -> tuple[autoscaling.Signals | None, autoscaling.UpdatePolicy | None]:
    """The group's CreationPolicy (min capacity SUCCESS signals; none for a min of 0) and its
    rolling update, which waits for the signals of each batch."""
    if boot_signals is None:
        return None, None
    signals = (
        autoscaling.Signals.wait_for_min_capacity(timeout=boot_signals.timeout)
        if capacity.min > 0
        else None
    )
    rolling = boot_signals.rolling_update
    if rolling is None:
        return signals, None
    update_policy = autoscaling.UpdatePolicy.rolling_update(
        max_batch_size=rolling.max_batch_size,
        min_instances_in_service=rolling.min_instances_in_service,
        wait_on_resource_signals=True,
        pause_time=boot_signals.timeout,
    )
    return signals, update_policy


def _mixed_instances_policy(
    launch_template: ec2.LaunchTemplate,
    instance_types: Sequence[str],
    spot: SpotDistribution,
) -> autoscaling.MixedInstancesPolicy:
    return autoscaling.MixedInstancesPolicy(
        launch_template=launch_template,
        launch_template_overrides=[
            autoscaling.LaunchTemplateOverrides(instance_type=ec2.InstanceType(name))
            for name in instance_types
        ],
        instances_distribution=autoscaling.InstancesDistribution(
            on_demand_base_capacity=spot.on_demand_base_capacity,
            on_demand_percentage_above_base_capacity=(
                spot.on_demand_percentage_above_base_capacity
            ),
            on_demand_allocation_strategy=autoscaling.OnDemandAllocationStrategy.LOWEST_PRICE,
            spot_allocation_strategy=autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        ),
    )


class SparkNodeGroup(Construct):
    """A launch template and an Auto Scaling group in the private subnets of every AZ.

    Secure defaults, not switchable here: Amazon Linux 2023 through its public SSM parameter (no
    lookup at synth), IMDSv2 required with a hop limit of 1, gp3 root and data volumes
    encrypted with `volume_key`, no key pair, no public IP, access through SSM Session Manager
    (the role has AmazonSSMManagedInstanceCore and nothing else until granted).

    Props:
        vpc: the VPC; instances go to its PRIVATE_WITH_EGRESS subnets, every AZ.
        node_role: "master" or "worker", used in descriptions and tags.
        launch_template_name: unique per profile (CDK's default names clash across profiles).
        group_name: the Auto Scaling group's name (fixed, so IAM can name its ARN).
        instance_types: one type, or several for a mixed-instances group (with `spot`).
        architecture: "arm64" (Graviton) or "x86_64"; selects the AMI.
        capacity: min, desired and max instances.
        spot: None for On-Demand only; else the On-Demand/Spot split (mixed instances,
            price-capacity-optimized, Capacity Rebalancing on).
        volumes: gp3 sizes of the root and data volumes.
        volume_key: the KMS key of both volumes.
        security_group: the group of every instance.
        user_data: the cloud-init text, or a function of the boot's SignalTarget that returns
            it (with `boot_signals`: the boot must signal the target).
        detailed_monitoring: one-minute EC2 metrics (billed) instead of five.
        termination_hook: None, or a hook that lets instances drain before termination.
        boot_signals: None (deployments do not wait for the boot), or the CreationPolicy and
            rolling update that wait for the instances' boot signals (see BootSignals). The
            role may then call cloudformation:SignalResource, on this stack only.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        node_role: Literal["master", "worker"],
        launch_template_name: str,
        group_name: str,
        instance_types: Sequence[str],
        architecture: Literal["arm64", "x86_64"],
        capacity: Capacity,
        volumes: Volumes,
        volume_key: kms.IKey,
        security_group: ec2.ISecurityGroup,
        user_data: str | Callable[[SignalTarget], str],
        detailed_monitoring: bool,
        spot: SpotDistribution | None = None,
        termination_hook: TerminationHook | None = None,
        boot_signals: BootSignals | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.group_name = group_name
        self.role = self._instance_role(node_role)
        self.signal_target = SignalTarget(
            stack_name=cdk.Aws.STACK_NAME,
            logical_id=cdk.Lazy.string(_GroupLogicalId(self)),
            region=cdk.Aws.REGION,
        )
        """Where this group's instances signal their boot (see BootSignals)."""
        if callable(user_data):
            user_data = user_data(self.signal_target)
        self.launch_template = self._launch_template(
            node_role=node_role,
            launch_template_name=launch_template_name,
            instance_type=instance_types[0],
            architecture=architecture,
            volumes=volumes,
            volume_key=volume_key,
            security_group=security_group,
            user_data=user_data,
            detailed_monitoring=detailed_monitoring,
        )
        mixed = (
            None
            if spot is None
            else _mixed_instances_policy(self.launch_template, instance_types, spot)
        )
        self.group = self._group(vpc, group_name, capacity, mixed, boot_signals)
        self._acknowledge_group_findings(mixed_instances=mixed is not None)
        self.group_arn: str = self._group_arn(group_name)
        """The group's ARN with its generated ID as a wildcard, for IAM (known only by name)."""
        self.termination_hook_name: str | None = None
        if termination_hook is not None:
            self._add_termination_hook(termination_hook)
            self.termination_hook_name = termination_hook.name

    def _group_arn(self, group_name: str) -> str:
        return cdk.Stack.of(self).format_arn(
            service="autoscaling",
            resource="autoScalingGroup",
            resource_name=f"*:autoScalingGroupName/{group_name}",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )

    def _instance_role(self, node_role: str) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"Spark {node_role} instances",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(SSM_CORE_POLICY)],
        )
        cdk.Validations.of(default_resource(role)).acknowledge(
            cdk.Acknowledgment(
                id=f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{SSM_CORE_POLICY}]",
                reason="Session Manager replaces SSH (no key pair, no port 22, no public IP): "
                "the SSM agent needs exactly this AWS-maintained policy's ssm, ssmmessages and "
                "ec2messages actions, which AWS updates as the agent changes.",
            )
        )
        return role

    def _launch_template(
        self,
        *,
        node_role: str,
        launch_template_name: str,
        instance_type: str,
        architecture: Literal["arm64", "x86_64"],
        volumes: Volumes,
        volume_key: kms.IKey,
        security_group: ec2.ISecurityGroup,
        user_data: str,
        detailed_monitoring: bool,
    ) -> ec2.LaunchTemplate:
        cpu = (
            ec2.AmazonLinuxCpuType.ARM_64
            if architecture == "arm64"
            else ec2.AmazonLinuxCpuType.X86_64
        )
        return ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            launch_template_name=launch_template_name,
            version_description=f"Spark {node_role}",
            machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=cpu),
            instance_type=ec2.InstanceType(instance_type),
            role=self.role,
            security_group=security_group,
            user_data=ec2.UserData.custom(user_data),
            require_imdsv2=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=1,
            http_endpoint=True,
            associate_public_ip_address=False,
            detailed_monitoring=detailed_monitoring,
            ebs_optimized=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name=ROOT_DEVICE, volume=_encrypted_gp3(volumes.root_gib, volume_key)
                ),
                ec2.BlockDevice(
                    device_name=DATA_DEVICE, volume=_encrypted_gp3(volumes.data_gib, volume_key)
                ),
            ],
        )

    def _group(
        self,
        vpc: ec2.IVpc,
        group_name: str,
        capacity: Capacity,
        mixed: autoscaling.MixedInstancesPolicy | None,
        boot_signals: BootSignals | None,
    ) -> autoscaling.AutoScalingGroup:
        signals, update_policy = _signal_policies(capacity, boot_signals)
        group = autoscaling.AutoScalingGroup(
            self,
            "Group",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            auto_scaling_group_name=group_name,
            # A mixed-instances policy carries the launch template itself; the group takes
            # one or the other.
            launch_template=self.launch_template if mixed is None else None,
            mixed_instances_policy=mixed,
            capacity_rebalance=mixed is not None,
            min_capacity=capacity.min,
            desired_capacity=capacity.desired,
            max_capacity=capacity.max,
            cooldown=cdk.Duration.minutes(5),
            health_checks=autoscaling.HealthChecks.ec2(grace_period=cdk.Duration.minutes(10)),
            group_metrics=[autoscaling.GroupMetrics.all()],
            signals=signals,
            update_policy=update_policy,
        )
        if boot_signals is not None:
            self._grant_signal_resource()
        return group

    def _grant_signal_resource(self) -> None:
        """SignalResource on this stack only (CDK adds the same statement with `signals`; a
        group without a CreationPolicy still signals its rolling updates)."""
        iam.Grant.add_to_principal(
            grantee=self.role,
            actions=["cloudformation:SignalResource"],
            resource_arns=[cdk.Aws.STACK_ID],
        )

    def _acknowledge_group_findings(self, *, mixed_instances: bool) -> None:
        asg = default_resource(self.group)
        cdk.Validations.of(asg).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-AS3",
                reason="No per-instance SNS notifications: every Spot rebalance and evening "
                "scale-in would mail the alarm topic. Failures surface as the cluster's alarms "
                "(workers below minimum, master missing); the activity history has the rest.",
            )
        )
        if mixed_instances:
            cdk.Validations.of(asg).acknowledge(
                cdk.Acknowledgment(
                    id="AwsSolutions-EC26",
                    reason="cdk-nag cannot follow a mixed-instances policy to its launch "
                    "template (the version is a GetAtt); that template encrypts both gp3 "
                    "volumes with the customer-managed volume key (asserted in the tests).",
                )
            )
        cdk.Annotations.of(self.group).acknowledge_warning(
            "@aws-cdk/aws-autoscaling:desiredCapacitySet",
            "desired capacity is a config value on purpose: a deployment sets the group back "
            "to it, and the scaling policies take over from there",
        )

    def _add_termination_hook(self, hook: TerminationHook) -> None:
        self.group.add_lifecycle_hook(
            "DrainBeforeTermination",
            lifecycle_hook_name=hook.name,
            lifecycle_transition=autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
            heartbeat_timeout=cdk.Duration.seconds(hook.timeout_seconds),
            default_result=autoscaling.DefaultResult.CONTINUE,
        )

    def grant_complete_lifecycle_actions(self) -> iam.Grant:
        """Let this group's own instances heartbeat and complete its lifecycle actions (the
        drain agent's job); no other group's."""
        grant = iam.Grant.add_to_principal(
            grantee=self.role,
            actions=[
                "autoscaling:CompleteLifecycleAction",
                "autoscaling:RecordLifecycleActionHeartbeat",
            ],
            resource_arns=[self.group_arn],
        )
        acknowledge_wildcards(
            self.role,
            [self.group_arn],
            "An Auto Scaling group's ARN contains an ID generated at creation; the ARN is "
            "pinned by the group's unique name, so only this group's lifecycle actions match.",
        )
        return grant

    def grant_lake_access(
        self, *, read: Sequence[s3.IBucket], read_write: Sequence[s3.IBucket]
    ) -> None:
        """CDK's bucket grants (objects, listing, and the buckets' keys): `read` for input
        zones, `read_write` for the zones Spark writes (S3A also deletes and aborts uploads)."""
        for bucket in read:
            bucket.grant_read(self.role)
        for bucket in read_write:
            bucket.grant_read_write(self.role)
        policy = default_policy(self.role)
        for action in BUCKET_GRANT_ACTIONS:
            cdk.Validations.of(policy).acknowledge(
                cdk.Acknowledgment(
                    id=f"AwsSolutions-IAM5[Action::{action}]",
                    reason="The action families of CDK's bucket and key grants: S3A reads, "
                    "lists, writes, deletes (renames) and aborts multipart uploads; they "
                    "apply only to the lake zones granted and their key.",
                )
            )
        acknowledge_wildcard_resources(
            policy,
            [bucket.arn_for_objects("*") for bucket in [*read, *read_write]],
            "Spark jobs read and write any table under these lake zones; the zones themselves "
            "(curated read, analytics read-write) are the boundary.",
        )

    def grant_read_package(self, package: s3_assets.Asset) -> iam.Grant:
        """GetObject on exactly the package's asset object (not the whole asset bucket)."""
        return grant_objects(
            self.role, package.bucket, actions=OBJECT_READ, objects=[package.s3_object_key]
        )

    def grant_put_metric_data(self, namespaces: Sequence[str]) -> iam.Grant:
        """PutMetricData, only into `namespaces` (the action has no resource ARNs)."""
        grant = iam.Grant.add_to_principal(
            grantee=self.role,
            actions=["cloudwatch:PutMetricData"],
            resource_arns=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": list(namespaces)}},
        )
        cdk.Validations.of(default_policy(self.role)).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="cloudwatch:PutMetricData has no resource ARNs; a cloudwatch:namespace "
                "condition limits it to the cluster's own namespaces.",
            )
        )
        return grant

    def grant_read_objects(self, urls: Sequence[str]) -> None:
        """GetObject on exactly these s3://bucket/key objects (artifacts staged by the user)."""
        arns = []
        for url in urls:
            bucket, _, key = url.removeprefix("s3://").partition("/")
            arns.append(
                cdk.Stack.of(self).format_arn(
                    service="s3", region="", account="", resource=bucket, resource_name=key
                )
            )
        if arns:
            iam.Grant.add_to_principal(
                grantee=self.role, actions=["s3:GetObject"], resource_arns=arns
            )
