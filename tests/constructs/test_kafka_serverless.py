"""constructs/streaming/kafka_serverless.py: ServerlessKafkaCluster, built in a bare stack from
props. The subnets and security group are imported: the cluster is all this construct makes."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2

from constructs.streaming.kafka_serverless import ServerlessKafkaCluster
from tests.constructs.bare import bare_stack, synthesized

SUBNETS = ["subnet-0aaaaaaaaaaaaaaa0", "subnet-0bbbbbbbbbbbbbbb0"]
SECURITY_GROUP = "sg-0ccccccccccccccc0"


def test_iam_only_in_the_given_subnets_and_security_group() -> None:
    app, stack = bare_stack()
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-1234",
        availability_zones=["us-east-1a", "us-east-1b"],
        isolated_subnet_ids=SUBNETS,
        isolated_subnet_route_table_ids=["rtb-0aaaaaaaaaaaaaaa0", "rtb-0bbbbbbbbbbbbbbb0"],
    )
    kafka = ServerlessKafkaCluster(
        stack,
        "Kafka",
        cluster_name="events",
        subnets=vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        security_group=ec2.SecurityGroup.from_security_group_id(stack, "Sg", SECURITY_GROUP),
    )
    template = synthesized(app, stack)  # cdk-nag clean (warnings included), or synth fails
    template.has_resource_properties(
        "AWS::MSK::ServerlessCluster",
        {
            "ClusterName": "events",
            "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
            "VpcConfigs": [{"SubnetIds": SUBNETS, "SecurityGroups": [SECURITY_GROUP]}],
        },
    )
    # Ref of AWS::MSK::ServerlessCluster is its ARN, which grants and Firehose take.
    assert stack.resolve(kafka.cluster_arn) == {"Ref": stack.get_logical_id(kafka.cluster)}
    assert kafka.cluster_name == "events"
