"""Who may reach an MSK cluster: the client security group and Firehose's cluster policy."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_msk as msk

from constructs import Construct

# Kafka clients authenticating with IAM connect over TLS on this port, on provisioned and
# serverless clusters alike.
IAM_TLS_PORT = 9098


class KafkaClientSecurityGroup(Construct):
    """The security group on the cluster's network interfaces: port 9098 (IAM over TLS) from
    each named client security group and from nothing else. With no client groups named, it
    has no ingress rule at all: the cluster is reachable only through multi-VPC private
    connectivity (which Firehose uses), until clients are added in config."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        client_security_group_ids: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="MSK brokers: Kafka IAM/TLS (9098) from the configured client groups only",
            # Brokers answer connections; they open none into the VPC.
            allow_all_outbound=False,
        )
        for group_id in client_security_group_ids:
            self.security_group.add_ingress_rule(
                ec2.Peer.security_group_id(group_id),
                ec2.Port.tcp(IAM_TLS_PORT),
                f"Kafka IAM over TLS from client group {group_id}",
            )


class FirehoseClusterPolicy(Construct):
    """The cluster's resource policy that lets Firehose open its managed VPC connection.

    Firehose reads from a cluster in private subnets through MSK multi-VPC private
    connectivity; it needs these four cluster actions granted to its service principal here,
    and its own role's permissions (kafka-cluster:Connect, ReadData, ...) to read the topic.
    """

    def __init__(self, scope: Construct, construct_id: str, *, cluster_arn: str) -> None:
        super().__init__(scope, construct_id)
        self.policy = msk.CfnClusterPolicy(
            self,
            "Policy",
            cluster_arn=cluster_arn,
            policy={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "FirehoseMayConnectPrivately",
                        "Effect": "Allow",
                        "Principal": {"Service": "firehose.amazonaws.com"},
                        "Action": [
                            "kafka:CreateVpcConnection",
                            "kafka:GetBootstrapBrokers",
                            "kafka:DescribeCluster",
                            "kafka:DescribeClusterV2",
                        ],
                        "Resource": cluster_arn,
                    }
                ],
            },
        )
