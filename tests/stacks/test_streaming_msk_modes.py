"""StreamingStack with MSK on: each mode (serverless, provisioned) synthesized once per run
(tests/conftest.py: msk_mode_app), and checked with cdk-nag and cfn-lint like the real app."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint_file

from constructs.core.nag import flatten_cfn_reference
from tests.stacks.streaming_testkit import (
    CLIENT_GROUP,
    STACK,
    ModeApp,
    assert_lands_in_the_raw_zone_as_parquet,
    delivery_stream,
    firehose_role_id,
    only,
    resources,
    role_statements,
)


def test_each_msk_mode_is_nag_and_lint_clean(msk_mode_app: ModeApp) -> None:
    report = json.loads((msk_mode_app.outdir / "validation-report.json").read_text())
    assert [p for p in report["pluginReports"] if p["conclusion"] != "success"] == []
    matches = lint_file(
        msk_mode_app.outdir / f"{STACK}.template.json",
        config=ManualArgs(regions=["us-east-1", "eu-west-1"]),
    )
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


def test_msk_mode_acknowledgements_are_the_expected_ones(msk_mode_app: ModeApp) -> None:
    found: dict[str, list[str]] = {}
    for logical_id, resource in msk_mode_app.template_json["Resources"].items():
        rules = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        for rule in rules:
            found.setdefault(rule["id"].split("[")[0], []).append(logical_id)
            assert len(rule["reason"]) >= 40
    assert sorted(found) == [
        "AwsSolutions-IAM5",
        "AwsSolutions-KDF1",
        "AwsSolutions-KDS3",
        "AwsSolutions-L1",
    ]
    assert len(found["AwsSolutions-KDF1"]) == 2  # one per delivery stream
    iam5 = [
        rule["id"]
        for resource in msk_mode_app.template_json["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        if rule["id"].startswith("AwsSolutions-IAM5")
    ]
    # The transform's X-Ray "*", two prefixes per delivery stream, and the consumer groups.
    assert len(iam5) == 1 + 2 + 2 + 1
    assert sum(":group/" in finding for finding in iam5) == 1


def test_msk_client_security_group_allows_only_configured_clients(msk_mode_app: ModeApp) -> None:
    _, group = only(resources(msk_mode_app.template, "AWS::EC2::SecurityGroup"))
    props = group["Properties"]
    assert props["SecurityGroupIngress"] == [
        {
            "Description": f"Kafka IAM over TLS from client group {CLIENT_GROUP}",
            "FromPort": 9098,
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": CLIENT_GROUP,
            "ToPort": 9098,
        }
    ]
    # No outbound rules: CDK's placeholder egress matches no address.
    (egress,) = props["SecurityGroupEgress"]
    assert egress["CidrIp"] == "255.255.255.255/32"


def test_msk_firehose_reads_the_topic_into_the_same_table(msk_mode_app: ModeApp) -> None:
    template = msk_mode_app.template
    kafka = delivery_stream(template, "MSKAsSource")
    kinesis = delivery_stream(template, "KinesisStreamAsSource")
    source = kafka["MSKSourceConfiguration"]
    assert source["TopicName"] == "events"
    assert source["AuthenticationConfiguration"]["Connectivity"] == "PRIVATE"
    assert source["MSKClusterARN"] == {"Ref": kafka_cluster_id(msk_mode_app)}
    assert_lands_in_the_raw_zone_as_parquet(kafka, msk_mode_app.config)
    # Same transform, same conversion, same partitioning: one table for both paths.
    same = ("Prefix", "ErrorOutputPrefix", "DataFormatConversionConfiguration", "BucketARN")
    for key in same:
        left = kafka["ExtendedS3DestinationConfiguration"][key]
        right = kinesis["ExtendedS3DestinationConfiguration"][key]
        if key == "DataFormatConversionConfiguration":
            left = {**left, "SchemaConfiguration": {**left["SchemaConfiguration"], "RoleARN": None}}
            right = {
                **right,
                "SchemaConfiguration": {**right["SchemaConfiguration"], "RoleARN": None},
            }
        assert left == right, key
    processors = [
        d["ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"] for d in (kafka, kinesis)
    ]
    assert processors[0] == processors[1]

    role_id = firehose_role_id(template, kafka)
    by_sid = {s.get("Sid"): s for s in role_statements(template, role_id)}
    assert sorted(by_sid["ConnectToTheCluster"]["Action"]) == [
        "kafka-cluster:Connect",
        "kafka:DescribeCluster",
        "kafka:DescribeClusterV2",
        "kafka:GetBootstrapBrokers",
    ]
    topic_arn = flatten_cfn_reference(by_sid["ReadTheTopic"]["Resource"])
    assert ":topic/" in topic_arn
    assert topic_arn.endswith("/events")
    assert "*" not in topic_arn
    _, cluster_policy = only(resources(template, "AWS::MSK::ClusterPolicy"))
    (statement,) = cluster_policy["Properties"]["Policy"]["Statement"]
    assert statement["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert "kafka:CreateVpcConnection" in statement["Action"]
    kafka_id = next(
        logical_id
        for logical_id, r in msk_mode_app.template_json["Resources"].items()
        if r["Type"] == "AWS::KinesisFirehose::DeliveryStream"
        and r["Properties"]["DeliveryStreamType"] == "MSKAsSource"
    )
    policy_id = next(iter(resources(template, "AWS::MSK::ClusterPolicy")))
    assert policy_id in msk_mode_app.template_json["Resources"][kafka_id]["DependsOn"]
    # Its own freshness and conversion alarms, by delivery stream name.
    dimensions = [
        a["Properties"].get("Dimensions", [])
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
    ]
    assert [
        {"Name": "DeliveryStreamName", "Value": "dataplatform-dev-events-from-msk"}
    ] in dimensions


def kafka_cluster_id(app: ModeApp) -> str:
    kind = "AWS::MSK::ServerlessCluster" if app.mode == "serverless" else "AWS::MSK::Cluster"
    cluster_id, _ = only(resources(app.template, kind))
    return cluster_id


def private_subnet_count(msk_mode_app: ModeApp) -> int:
    return msk_mode_app.config.network.max_azs


def test_serverless_cluster(msk_mode_app: ModeApp) -> None:
    if msk_mode_app.mode != "serverless":
        pytest.skip("serverless mode only")
    template = msk_mode_app.template
    _, cluster = only(resources(template, "AWS::MSK::ServerlessCluster"))
    props = cluster["Properties"]
    assert props["ClusterName"] == "dataplatform-dev-events"
    assert props["ClientAuthentication"] == {"Sasl": {"Iam": {"Enabled": True}}}
    (vpc_config,) = props["VpcConfigs"]
    assert len(vpc_config["SubnetIds"]) == private_subnet_count(msk_mode_app)
    assert "privateSubnet" in json.dumps(vpc_config["SubnetIds"])
    (group_id,) = vpc_config["SecurityGroups"]
    assert group_id["Fn::GetAtt"][0] in resources(template, "AWS::EC2::SecurityGroup")
    assert not resources(template, "AWS::MSK::Cluster")
    assert not resources(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert "KafkaClusterArn" in msk_mode_app.template_json["Outputs"]


def test_provisioned_cluster(msk_mode_app: ModeApp) -> None:
    if msk_mode_app.mode != "provisioned":
        pytest.skip("provisioned mode only")
    template = msk_mode_app.template
    sizing = msk_mode_app.config.streaming.msk.provisioned
    assert sizing is not None
    cluster_id, cluster = only(resources(template, "AWS::MSK::Cluster"))
    props = cluster["Properties"]
    azs = private_subnet_count(msk_mode_app)
    assert props["NumberOfBrokerNodes"] == sizing.brokers_per_az * azs
    assert props["KafkaVersion"] == sizing.kafka_version
    brokers = props["BrokerNodeGroupInfo"]
    assert brokers["InstanceType"] == sizing.broker_type
    assert len(brokers["ClientSubnets"]) == azs
    assert brokers["StorageInfo"] == {"EBSStorageInfo": {"VolumeSize": sizing.volume_size_gib}}
    # deliver_to_lake: multi-VPC connectivity for IAM, which Firehose needs.
    assert brokers["ConnectivityInfo"] == {
        "VpcConnectivity": {"ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}}}
    }
    assert props["ClientAuthentication"] == {
        "Sasl": {"Iam": {"Enabled": True}},
        "Unauthenticated": {"Enabled": False},
    }
    encryption = props["EncryptionInfo"]
    assert encryption["EncryptionInTransit"] == {"ClientBroker": "TLS", "InCluster": True}
    key_id = encryption["EncryptionAtRest"]["DataVolumeKMSKeyId"]["Fn::GetAtt"][0]
    assert resources(template, "AWS::KMS::Key")[key_id]["Properties"]["EnableKeyRotation"] is True
    assert props["EnhancedMonitoring"] == sizing.enhanced_monitoring
    logs = props["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"]
    assert logs["Enabled"] is True
    assert (
        "KmsKeyId"
        in resources(template, "AWS::Logs::LogGroup")[logs["LogGroup"]["Ref"]]["Properties"]
    )

    _, configuration = only(resources(template, "AWS::MSK::Configuration"))
    assert props["ConfigurationInfo"]["Arn"]["Fn::GetAtt"][1] == "Arn"
    properties = configuration["Properties"]["ServerProperties"]
    assert "auto.create.topics.enable=false" in properties
    assert configuration["Properties"]["KafkaVersionsList"] == [sizing.kafka_version]

    _, target = only(resources(template, "AWS::ApplicationAutoScaling::ScalableTarget"))
    assert target["Properties"]["ScalableDimension"] == "kafka:broker-storage:VolumeSize"
    assert target["Properties"]["ServiceNamespace"] == "kafka"
    assert target["Properties"]["ResourceId"] == {"Ref": cluster_id}
    assert target["Properties"]["MinCapacity"] == sizing.volume_size_gib
    assert target["Properties"]["MaxCapacity"] == sizing.max_volume_size_gib
    _, policy = only(resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy"))
    tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "KafkaBrokerStorageUtilization"
    }
    assert tracking["TargetValue"] == sizing.storage_target_utilization_percent
    assert tracking["DisableScaleIn"] is True

    disk = [
        a["Properties"]
        for a in resources(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "KafkaDataLogsDiskUsed"
    ]
    assert len(disk) == props["NumberOfBrokerNodes"]
    assert {a["Threshold"] for a in disk} == {
        msk_mode_app.config.streaming.alarms.msk_disk_used_percent
    }
