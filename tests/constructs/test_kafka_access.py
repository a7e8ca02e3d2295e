"""constructs/streaming: KafkaClientSecurityGroup and FirehoseClusterPolicy (kafka_access.py),
each built in a bare stack from props alone (no profile is parsed)."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match

from constructs import Construct
from constructs.streaming.kafka_access import (
    IAM_TLS_PORT,
    FirehoseClusterPolicy,
    KafkaClientSecurityGroup,
)
from tests.constructs.bare import bare_stack, synthesized

CLUSTER_ARN = "arn:aws:kafka:us-east-1:111111111111:cluster/lake/abcd-1234"


def _vpc(stack: Construct) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-12345678", availability_zones=["us-east-1a"]
    )


def test_client_group_allows_9098_from_each_client_only_and_no_egress() -> None:
    app, stack = bare_stack()
    KafkaClientSecurityGroup(
        stack,
        "Brokers",
        vpc=_vpc(stack),
        client_security_group_ids=["sg-0aaaaaaaaaaaaaaaa", "sg-0bbbbbbbbbbbbbbbb"],
    )
    template = synthesized(app, stack)  # cdk-nag clean, or synth fails
    groups = template.find_resources("AWS::EC2::SecurityGroup")
    assert len(groups) == 1
    (group,) = groups.values()
    props = group["Properties"]
    assert props["VpcId"] == "vpc-12345678"
    # allow_all_outbound=False: CDK writes a single "disallow all" placeholder egress rule.
    assert all(rule.get("CidrIp") != "0.0.0.0/0" for rule in props["SecurityGroupEgress"])
    ingress = props["SecurityGroupIngress"]
    assert sorted(rule["SourceSecurityGroupId"] for rule in ingress) == [
        "sg-0aaaaaaaaaaaaaaaa",
        "sg-0bbbbbbbbbbbbbbbb",
    ]
    for rule in ingress:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == (
            "tcp",
            IAM_TLS_PORT,
            IAM_TLS_PORT,
        )


def test_client_group_without_clients_has_no_ingress() -> None:
    app, stack = bare_stack()
    KafkaClientSecurityGroup(stack, "Brokers", vpc=_vpc(stack), client_security_group_ids=[])
    template = synthesized(app, stack)
    (group,) = template.find_resources("AWS::EC2::SecurityGroup").values()
    assert "SecurityGroupIngress" not in group["Properties"]
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0)


def test_firehose_cluster_policy_grants_four_actions_to_firehose_on_the_cluster() -> None:
    app, stack = bare_stack()
    FirehoseClusterPolicy(stack, "ClusterPolicy", cluster_arn=CLUSTER_ARN)
    template = synthesized(app, stack)
    template.resource_count_is("AWS::MSK::ClusterPolicy", 1)
    template.has_resource_properties(
        "AWS::MSK::ClusterPolicy",
        {
            "ClusterArn": CLUSTER_ARN,
            "Policy": {
                "Version": "2012-10-17",
                "Statement": [
                    Match.object_like(
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "firehose.amazonaws.com"},
                            "Action": [
                                "kafka:CreateVpcConnection",
                                "kafka:GetBootstrapBrokers",
                                "kafka:DescribeCluster",
                                "kafka:DescribeClusterV2",
                            ],
                            "Resource": CLUSTER_ARN,
                        }
                    )
                ],
            },
        },
    )
