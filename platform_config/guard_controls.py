"""The AWS Control Tower proactive controls the platform fails on purpose, each with why: one list.

Every synth runs Control Tower's proactive controls (the cfn-guard rules that cdklabs bundles in
`cdklabs-cdk-validator-cfnguard`, CDK's policy-validation plugin) over every template; a
failure stops the synth (stacks/governance.py). Every other control passes. The controls below
are the exceptions: the platform fails them on purpose, on the resources named, for the reason
given, in the stages given (dev is stage development, prod is stage production). Each listed
resource is acknowledged by its construct path, so the same control still fails on any other
resource; the validation report (cdk.out/validation-report.json) lists each acknowledged
failure under `suppressedViolations`, with its reason, and cdk-nag copies the acknowledgement
into the resource's template Metadata.

A profile can turn a control below back on (`governance.guard.enabled_controls`, e.g. where
the organization enforces it: synth then fails on these resources until they are changed) and
add the organization's own guard rule files (`governance.guard.rule_files`).
tests/test_guard.py checks that this list is exact: every listed resource fails its control,
and nothing else fails.

This module is data only: config validation reads it without loading CDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Stage = Literal["development", "production"]
BOTH: frozenset[Stage] = frozenset({"development", "production"})
DEVELOPMENT: frozenset[Stage] = frozenset({"development"})

#: Where Control Tower documents its proactive controls, by service.
DOCS = "https://docs.aws.amazon.com/controltower/latest/userguide/proactive-controls.html"


@dataclass(frozen=True)
class DisabledControl:
    """A Control Tower control the platform fails on purpose.

    :param control: the control's id, as Control Tower names it (CT.S3.PR.9).
    :param rule: the cfn-guard rule that implements it, as the validator reports it and as
        CDK acknowledges it (`cdk-validator-cfnguard::<rule>`).
    :param resources: the construct paths of the resources that fail it.
    :param reason: why failing it is the right trade for this platform.
    :param stages: the profiles' stages it is disabled in.
    :param optional_resources: construct paths of resources that only some settings create
        (MSK, off as shipped): acknowledged where the profile has them.
    """

    control: str
    rule: str
    resources: tuple[str, ...]
    reason: str
    stages: frozenset[Stage] = BOTH
    optional_resources: tuple[str, ...] = ()


_ACCESS_LOG_BUCKETS = (
    "DataLakeStack/Storage/AccessLogs/Bucket/Resource",
    "MlStack/AccessLogs/Bucket/Resource",
)
_ALL_BUCKETS = (
    *_ACCESS_LOG_BUCKETS,
    "DataLakeStack/Storage/Raw/Bucket/Resource",
    "DataLakeStack/Storage/Curated/Bucket/Resource",
    "DataLakeStack/Storage/Analytics/Bucket/Resource",
    "DataLakeStack/Storage/AthenaResults/Bucket/Resource",
    "MlStack/Artifacts/Bucket/Resource",
)
_MASTER_GROUP = "ClusterStack/Master/Group/ASG"
_NAT_INSTANCE = "NetworkStack/Vpc/publicSubnet1/NatInstance/Resource"
_WORKER_GROUP = "ClusterStack/Workers/Group/ASG"

DISABLED_CONTROLS: tuple[DisabledControl, ...] = (
    DisabledControl(
        control="CT.LAMBDA.PR.3",
        rule="lambda_inside_vpc_check",
        resources=(
            "StreamingStack/Transform/Function/Resource",
            "MlStack/Deployment/Deployer/Function/Resource",
            "NetworkStack/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler",
        ),
        reason="These functions call AWS APIs only (Firehose hands the transform its records; "
        "the deployer calls SageMaker and Application Auto Scaling; CDK's handler removes the "
        "default security group's rules) and reach nothing inside the VPC: attaching them "
        "would add network interfaces and NAT or interface-endpoint cost and protect nothing.",
    ),
    DisabledControl(
        control="CT.S3.PR.2",
        rule="s3_bucket_logging_enabled_check",
        resources=_ACCESS_LOG_BUCKETS,
        reason="These are the server-access-log buckets the other buckets log to; a bucket "
        "that logs to itself logs its own log deliveries without end, and a third bucket "
        "would only move the question.",
    ),
    DisabledControl(
        control="CT.S3.PR.10",
        rule="s3_bucket_default_encryption_kms_check",
        resources=_ACCESS_LOG_BUCKETS,
        reason="S3 delivers server access logs only to buckets encrypted with SSE-S3: a "
        "KMS-encrypted target bucket gets no logs. Every other bucket uses the platform's "
        "KMS keys and passes.",
    ),
    DisabledControl(
        control="CT.S3.PR.9",
        rule="s3_bucket_object_lock_enabled_check",
        resources=_ALL_BUCKETS,
        reason="Object Lock, once on, cannot be turned off, and the retention it exists for "
        "blocks the deletes the platform makes: the lifecycle rules expire Athena results, the "
        "analytics zone and replaced versions, and dev deletes its buckets with its stacks. "
        "Versioning and prod's retained removal policy keep the data.",
    ),
    DisabledControl(
        control="CT.S3.PR.4",
        rule="s3_event_notifications_enabled_check",
        resources=_ALL_BUCKETS,
        reason="Nothing consumes the buckets' events: the crawler and the ETL job run on "
        "schedules and read what landed since. A notification with no consumer records "
        "nothing; turn it on (EventBridge) together with the rule that reads it.",
    ),
    DisabledControl(
        control="CT.AUTOSCALING.PR.1",
        rule="autoscaling_multiple_az_check",
        resources=(_MASTER_GROUP, _WORKER_GROUP),
        reason="The control reads only the AvailabilityZones property. The cluster's groups "
        "place their instances by subnet instead (VPCZoneIdentifier: the private subnets of "
        "every Availability Zone of the VPC), which is how a group in a VPC spans zones.",
    ),
    DisabledControl(
        control="CT.AUTOSCALING.PR.6",
        rule="autoscaling_mixed_instances_policy_multiple_instance_types_check",
        resources=(_MASTER_GROUP,),
        reason="The master group holds one On-Demand instance of cluster.master_instance_type: "
        "a replacement must come back the same size, and there is no Spot pool to diversify. "
        "The worker group mixes several instance types and passes.",
    ),
    DisabledControl(
        control="CT.AUTOSCALING.PR.11",
        rule="autoscaling_group_nitro_encryption_in_transit_override_check",
        resources=(_WORKER_GROUP,),
        reason="The worker pools include Graviton2 types (m6g, r6g) for Spot capacity, which "
        "Nitro does not encrypt in transit. Spark encrypts and authenticates its own traffic "
        "between the nodes (spark.network.crypto.enabled, spark.authenticate).",
    ),
    DisabledControl(
        control="CT.CLOUDWATCH.PR.2",
        rule="cloudwatch_log_group_retention_period_check",
        resources=(
            "NetworkStack/FlowLogs/LogGroup/Resource",
            "StreamingStack/Transform/Logs/LogGroup/Resource",
            "StreamingStack/KinesisToLake/Logs/LogGroup/Resource",
            "MlStack/Deployment/Deployer/Logs/LogGroup/Resource",
            "ClusterStack/Logs/LogGroup/Resource",
        ),
        reason="dev keeps its logs for log_retention_days (30 days) to keep its cost down; "
        "prod keeps them for 365 days and passes.",
        stages=DEVELOPMENT,
        optional_resources=(
            "StreamingStack/KafkaToLake/Logs/LogGroup/Resource",
            "StreamingStack/Kafka/BrokerLogs/LogGroup/Resource",
        ),
    ),
    DisabledControl(
        control="CT.EC2.PR.10",
        rule="ec2_launch_template_monitoring_enabled_check",
        resources=(
            "ClusterStack/Master/LaunchTemplate/Resource",
            "ClusterStack/Workers/LaunchTemplate/Resource",
        ),
        reason="dev turns the cluster's detailed monitoring off (cluster.detailed_monitoring: "
        "CloudWatch bills the one-minute metrics per instance); prod turns it on and passes.",
        stages=DEVELOPMENT,
    ),
    # dev's NAT instance (network.nat_provider: instance), the $7 stand-in for a $33 gateway.
    DisabledControl(
        control="CT.EC2.PR.8",
        rule="ec2_instance_no_public_ip_check",
        resources=(_NAT_INSTANCE,),
        reason="a NAT instance forwards the private subnets' traffic to the internet through "
        "its own public address: without one it is no NAT. Only the VPC may reach it.",
        stages=DEVELOPMENT,
    ),
    DisabledControl(
        control="CT.EC2.PR.13",
        rule="ec2_instance_detailed_monitoring_enabled_check",
        resources=(_NAT_INSTANCE,),
        reason="one-minute metrics are billed per instance; dev's NAT instance keeps the free "
        "five-minute ones (prod has NAT gateways, which this control does not concern).",
        stages=DEVELOPMENT,
    ),
    DisabledControl(
        control="CT.EC2.PR.19",
        rule="ec2_instance_nitro_encryption_in_transit_check",
        resources=(_NAT_INSTANCE,),
        reason="the control asks for an instance type that encrypts traffic between instances "
        "(c5n, m6i, ...: ten times a t4g.nano). A NAT instance forwards what its clients "
        "send, already TLS for every AWS API the platform calls.",
        stages=DEVELOPMENT,
    ),
)

#: The controls above, by id.
BY_ID: dict[str, DisabledControl] = {c.control: c for c in DISABLED_CONTROLS}


def disabled_for(stage: Stage, enabled: tuple[str, ...] | list[str] = ()) -> list[DisabledControl]:
    """The controls disabled in `stage`, less those the profile turned back on."""
    return [c for c in DISABLED_CONTROLS if stage in c.stages and c.control not in enabled]
