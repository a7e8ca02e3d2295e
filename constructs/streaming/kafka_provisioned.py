"""ProvisionedKafkaCluster: Amazon MSK brokers with IAM auth, TLS, KMS, logs and storage scaling."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_msk as msk

from constructs import Construct
from constructs.core.encrypted_log_group import EncryptedLogGroup
from constructs.core.key import RotatingKey

# Three copies survive one broker (or AZ) loss while a second is under maintenance.
PREFERRED_REPLICATION_FACTOR = 3


def server_properties(broker_count: int) -> str:
    """Broker settings for a cluster of `broker_count` brokers (the MSK configuration text).

    Replication is 3 where there are 3 brokers, and min.insync.replicas one less, so an acked
    write survives a broker loss and one broker may be down (rolling patching) without
    blocking producers. A 2-broker cluster gets 2 and 1: fewer copies than it has brokers
    would be refused by Kafka at topic creation.
    """
    replication = min(PREFERRED_REPLICATION_FACTOR, broker_count)
    min_insync = max(1, replication - 1)
    settings = {
        # Topics are created on purpose, with a partition count chosen for their load; a typo
        # in a producer must not create a new, unreplicated-by-design topic.
        "auto.create.topics.enable": "false",
        "default.replication.factor": replication,
        "min.insync.replicas": min_insync,
        "offsets.topic.replication.factor": replication,
        "transaction.state.log.replication.factor": replication,
        "transaction.state.log.min.isr": min_insync,
        # Never elect an out-of-sync replica: that silently drops acknowledged writes.
        "unclean.leader.election.enable": "false",
        "num.partitions": max(3, broker_count),
        "log.retention.hours": 168,
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


@dataclass(frozen=True)
class KafkaBrokers:
    """The brokers of a provisioned MSK cluster: version, size, count and storage growth."""

    #: Apache Kafka version, e.g. "3.6.0".
    kafka_version: str
    #: broker instance type, e.g. "kafka.m7g.large" (kafka.t3.small has no multi-VPC access).
    broker_type: str
    #: brokers in each AZ of the cluster's subnets.
    brokers_per_az: int = 1
    #: each broker's EBS volume at creation, in GiB.
    volume_size_gib: int = 100
    #: the most storage autoscaling may grow a broker's volume to, in GiB.
    max_volume_size_gib: int = 1000
    #: disk use, in percent, that storage autoscaling keeps each broker at.
    storage_target_utilization_percent: int = 60
    #: CloudWatch metrics level (DEFAULT is free; the others are billed per metric).
    enhanced_monitoring: str = "DEFAULT"


def _broker_node_group(
    brokers: KafkaBrokers,
    subnets: ec2.SelectedSubnets,
    security_group: ec2.ISecurityGroup,
    multi_vpc_iam: bool,
) -> msk.CfnCluster.BrokerNodeGroupInfoProperty:
    """Brokers in `subnets`, behind `security_group`, each with an EBS volume of
    `brokers.volume_size_gib`; with `multi_vpc_iam`, also reachable over private (multi-VPC)
    connectivity, with IAM authentication only."""
    c = msk.CfnCluster
    return c.BrokerNodeGroupInfoProperty(
        client_subnets=subnets.subnet_ids,
        instance_type=brokers.broker_type,
        security_groups=[security_group.security_group_id],
        storage_info=c.StorageInfoProperty(
            ebs_storage_info=c.EBSStorageInfoProperty(volume_size=brokers.volume_size_gib)
        ),
        connectivity_info=c.ConnectivityInfoProperty(
            vpc_connectivity=c.VpcConnectivityProperty(
                client_authentication=c.VpcConnectivityClientAuthenticationProperty(
                    sasl=c.VpcConnectivitySaslProperty(
                        iam=c.VpcConnectivityIamProperty(enabled=True)
                    )
                )
            )
        )
        if multi_vpc_iam
        else None,
    )


def _encryption(key_arn: str) -> msk.CfnCluster.EncryptionInfoProperty:
    """Volumes encrypted with `key_arn`; TLS only, between clients and brokers and in-cluster."""
    c = msk.CfnCluster
    return c.EncryptionInfoProperty(
        encryption_at_rest=c.EncryptionAtRestProperty(data_volume_kms_key_id=key_arn),
        encryption_in_transit=c.EncryptionInTransitProperty(client_broker="TLS", in_cluster=True),
    )


def _broker_logs(log_group_name: str) -> msk.CfnCluster.LoggingInfoProperty:
    c = msk.CfnCluster
    return c.LoggingInfoProperty(
        broker_logs=c.BrokerLogsProperty(
            cloud_watch_logs=c.CloudWatchLogsProperty(enabled=True, log_group=log_group_name)
        )
    )


class ProvisionedKafkaCluster(Construct):
    """MSK brokers spread evenly over the given private subnets (one per AZ), with:

    * IAM client authentication only (SASL/IAM on 9098), unauthenticated access off;
    * TLS between clients and brokers and between brokers;
    * EBS volumes encrypted with the cluster's own rotating KMS key;
    * broker logs to an encrypted CloudWatch log group;
    * an MSK configuration with conservative server properties (see `server_properties`);
    * storage autoscaling: volumes grow when utilisation passes the target, never shrink
      (MSK cannot shrink a volume).

    `multi_vpc_iam` turns on multi-VPC private connectivity for IAM, which Firehose needs to
    read the cluster. MSK refuses it while a cluster is being created, so it can only be
    switched on in a deploy after the one that created the cluster.

    :param cluster_name: the cluster's (and its MSK configuration's) name.
    :param brokers: Kafka version, broker type and count per AZ, storage and its growth.
    :param subnets: one private subnet per AZ; brokers_per_az brokers go into each.
    :param security_group: the brokers' security group.
    :param multi_vpc_iam: multi-VPC private connectivity with IAM (see above). Default: off.
    :param log_retention: how long broker logs are kept. Default: two years.
    :param removal_policy: what happens to the cluster, its key and its log group when they
        leave the stack. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_name: str,
        brokers: KafkaBrokers,
        subnets: ec2.SelectedSubnets,
        security_group: ec2.ISecurityGroup,
        multi_vpc_iam: bool = False,
        log_retention: logs.RetentionDays = logs.RetentionDays.TWO_YEARS,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        az_count = len(subnets.subnet_ids)
        self.broker_count = brokers.brokers_per_az * az_count
        self.cluster_name = cluster_name
        self.key = RotatingKey(
            self,
            "Key",
            description=f"Encrypts the {cluster_name} MSK broker volumes",
            removal_policy=removal_policy,
        )
        self.broker_logs = EncryptedLogGroup(
            self, "BrokerLogs", retention=log_retention, removal_policy=removal_policy
        )
        self.configuration = msk.CfnConfiguration(
            self,
            "Configuration",
            name=cluster_name,
            description=f"Server properties of {cluster_name}",
            kafka_versions_list=[brokers.kafka_version],
            server_properties=server_properties(self.broker_count),
        )
        c = msk.CfnCluster
        self.cluster = c(
            self,
            "Cluster",
            cluster_name=cluster_name,
            kafka_version=brokers.kafka_version,
            number_of_broker_nodes=self.broker_count,
            broker_node_group_info=_broker_node_group(
                brokers, subnets, security_group, multi_vpc_iam
            ),
            client_authentication=c.ClientAuthenticationProperty(
                sasl=c.SaslProperty(iam=c.IamProperty(enabled=True)),
                unauthenticated=c.UnauthenticatedProperty(enabled=False),
            ),
            encryption_info=_encryption(self.key.key_arn),
            enhanced_monitoring=brokers.enhanced_monitoring,
            logging_info=_broker_logs(self.broker_logs.log_group.log_group_name),
            configuration_info=c.ConfigurationInfoProperty(
                arn=self.configuration.attr_arn,
                revision=self.configuration.attr_latest_revision_revision,
            ),
        )
        self.cluster.apply_removal_policy(removal_policy)
        # Ref of AWS::MSK::Cluster is the cluster ARN.
        self.cluster_arn: str = self.cluster.ref
        self._scale_storage(brokers)

    def _scale_storage(self, brokers: KafkaBrokers) -> None:
        stack = cdk.Stack.of(self)
        # Application Auto Scaling acts on MSK through its service-linked role, which it
        # creates on first use; naming it keeps CDK from creating a role of its own.
        service_linked_role = iam.Role.from_role_arn(
            self,
            "StorageScalingRole",
            stack.format_arn(
                service="iam",
                region="",
                resource="role",
                resource_name="aws-service-role/kafka.application-autoscaling.amazonaws.com/"
                "AWSServiceRoleForApplicationAutoScaling_KafkaCluster",
            ),
            mutable=False,
        )
        target = appscaling.ScalableTarget(
            self,
            "StorageScaling",
            service_namespace=appscaling.ServiceNamespace.KAFKA,
            resource_id=self.cluster_arn,
            scalable_dimension="kafka:broker-storage:VolumeSize",
            min_capacity=brokers.volume_size_gib,
            max_capacity=brokers.max_volume_size_gib,
            role=service_linked_role,
        )
        target.scale_to_track_metric(
            "StorageUtilization",
            target_value=brokers.storage_target_utilization_percent,
            predefined_metric=appscaling.PredefinedMetric.KAFKA_BROKER_STORAGE_UTILIZATION,
            # MSK volumes only grow; a scale-in would fail on every evaluation.
            disable_scale_in=True,
        )
