"""ServerlessKafkaCluster: Amazon MSK Serverless with IAM authentication in private subnets."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_msk as msk

from constructs import Construct


class ServerlessKafkaCluster(Construct):
    """MSK Serverless: billed per cluster-hour and partition-hour, no brokers to size.

    IAM is the only client authentication it offers, and TLS in transit and encryption at rest
    are always on (with an AWS-owned key: Serverless takes no customer-managed key).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_name: str,
        subnets: ec2.SelectedSubnets,
        security_group: ec2.ISecurityGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        sc = msk.CfnServerlessCluster
        self.cluster = sc(
            self,
            "Cluster",
            cluster_name=cluster_name,
            client_authentication=sc.ClientAuthenticationProperty(
                sasl=sc.SaslProperty(iam=sc.IamProperty(enabled=True))
            ),
            vpc_configs=[
                sc.VpcConfigProperty(
                    subnet_ids=subnets.subnet_ids,
                    security_groups=[security_group.security_group_id],
                )
            ],
        )
        self.cluster_name = cluster_name
        # Ref of AWS::MSK::ServerlessCluster is the cluster ARN.
        self.cluster_arn: str = self.cluster.ref
