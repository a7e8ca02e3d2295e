"""ProvisionedKafkaCluster and its server properties, built from props alone (no profile)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from constructs.streaming.kafka_provisioned import (
    KafkaBrokers,
    ProvisionedKafkaCluster,
    server_properties,
)


@pytest.mark.parametrize(
    ("brokers", "replication", "min_insync"), [(2, 2, 1), (3, 3, 2), (6, 3, 2)]
)
def test_server_properties_fit_the_broker_count(
    brokers: int, replication: int, min_insync: int
) -> None:
    settings = dict(line.split("=", 1) for line in server_properties(brokers).splitlines())
    assert settings["auto.create.topics.enable"] == "false"
    assert settings["default.replication.factor"] == str(replication)
    assert settings["min.insync.replicas"] == str(min_insync)
    assert settings["unclean.leader.election.enable"] == "false"


@pytest.fixture(scope="module")
def first_deploy_cluster() -> dict[str, Any]:
    """A provisioned cluster without Firehose: the shape of its first deploy."""
    app = cdk.App()
    stack = cdk.Stack(app, "ClusterOnly")
    vpc = cdk.aws_ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    ProvisionedKafkaCluster(
        stack,
        "Kafka",
        cluster_name="first-deploy",
        brokers=KafkaBrokers(kafka_version="3.6.0", broker_type="kafka.m7g.large"),
        subnets=vpc.select_subnets(subnet_type=cdk.aws_ec2.SubnetType.PRIVATE_ISOLATED),
        security_group=cdk.aws_ec2.SecurityGroup(stack, "Sg", vpc=vpc),
        multi_vpc_iam=False,
        log_retention=cdk.aws_logs.RetentionDays.ONE_MONTH,
    )
    (cluster,) = Template.from_stack(stack).find_resources("AWS::MSK::Cluster").values()
    return cluster["Properties"]


def test_multi_vpc_connectivity_is_off_until_firehose_is_wanted(
    first_deploy_cluster: dict[str, Any],
) -> None:
    # MSK refuses VpcConnectivity on a cluster being created; it is switched on later.
    assert "ConnectivityInfo" not in first_deploy_cluster["BrokerNodeGroupInfo"]
