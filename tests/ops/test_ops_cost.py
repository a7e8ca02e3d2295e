"""ops.cost: exact totals on small hand-written assemblies, the unpriced path, the CLI's bad
input, and the real dev and prod templates (every resource priced, free or listed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops.assembly import read_assembly
from ops.cost import RULES, PriceTable, estimate, main, usage_only_reason

# Round test prices and a 100-hour month, so that every figure below is hand-checkable.
TEST_PRICES: dict[str, Any] = {
    "currency": "USD",
    "region": "us-east-1",
    "as_of": "2026-11-30",
    "hours_per_month": 100,
    "spot_discount": {"value": 0.5, "source": "test"},
    "prices": {
        name: {"usd": usd, "unit": "test", "source": "test"}
        for name, usd in {
            "nat_gateway_hour": 0.05,
            "public_ipv4_hour": 0.01,
            "interface_endpoint_az_hour": 0.01,
            "kinesis_on_demand_stream_hour": 0.04,
            "kinesis_shard_hour": 0.02,
            "kinesis_extended_retention_shard_hour": 0.02,
            "msk_serverless_cluster_hour": 1.0,
            "msk_storage_gb_month": 0.1,
            "kms_key_month": 1.0,
            "ebs_gp3_gb_month": 0.1,
            "ebs_gp3_iops_month": 0.005,
            "ebs_gp3_throughput_month": 0.04,
            "ebs_gp2_gb_month": 0.1,
            "route53_hosted_zone_month": 0.5,
            "secrets_manager_secret_month": 0.4,
            "cloudwatch_dashboard_month": 3.0,
            "cloudwatch_alarm_metric_month": 0.1,
            "cloudwatch_alarm_high_res_metric_month": 0.3,
            "cloudwatch_composite_alarm_month": 0.5,
        }.items()
    },
    "ec2_instance_hour": {"source": "test", "usd": {"a.large": 0.1, "b.large": 0.2}},
    "msk_broker_hour": {"source": "test", "usd": {"kafka.x": 0.2}},
    "sagemaker_hosting_instance_hour": {"source": "test", "usd": {"ml.x": 1.0}},
}

SUBNETS = [{"Ref": "S1"}, {"Ref": "S2"}, {"Ref": "S3"}]

NET = {
    "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},  # 0.05 x 100 = 5
    "Ip": {"Type": "AWS::EC2::EIP", "Properties": {}},  # 0.01 x 100 = 1
    "Sts": {  # 3 AZ x 0.01 x 100 = 3
        "Type": "AWS::EC2::VPCEndpoint",
        "Properties": {"VpcEndpointType": "Interface", "SubnetIds": SUBNETS},
    },
    "S3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},  # 0
    "Role": {"Type": "AWS::IAM::Role", "Properties": {}},  # free: no line
}  # 9

STREAM = {
    "Stream": {  # 2 x 0.02 x 100 = 4, and retention 48 h: 2 x 0.02 x 100 = 4
        "Type": "AWS::Kinesis::Stream",
        "Properties": {
            "ShardCount": 2,
            "RetentionPeriodHours": 48,
            "StreamModeDetails": {"StreamMode": "PROVISIONED"},
        },
    },
    "Key": {"Type": "AWS::KMS::Key", "Properties": {}},  # 1
    "Kafka": {  # brokers 3 x 0.2 x 100 = 60; storage 3 x 100 GB x 0.1 = 30
        "Type": "AWS::MSK::Cluster",
        "Properties": {
            "NumberOfBrokerNodes": 3,
            "BrokerNodeGroupInfo": {
                "InstanceType": "kafka.x",
                "StorageInfo": {"EBSStorageInfo": {"VolumeSize": 100}},
            },
        },
    },
}  # 99

CLUSTER = {
    "Template": {
        "Type": "AWS::EC2::LaunchTemplate",
        "Properties": {
            "LaunchTemplateData": {
                "InstanceType": "a.large",
                "BlockDeviceMappings": [
                    {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 10, "VolumeType": "gp3"}},
                    {
                        "DeviceName": "/dev/sdb",
                        "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "Iops": 4000},
                    },
                    {"DeviceName": "/dev/sdc", "VirtualName": "ephemeral0"},
                ],
            }
        },
    },
    "Group": {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {
            "MinSize": "4",
            "MaxSize": "10",
            "MixedInstancesPolicy": {
                "InstancesDistribution": {
                    "OnDemandBaseCapacity": 1,
                    "OnDemandPercentageAboveBaseCapacity": 50,
                },
                "LaunchTemplate": {
                    "LaunchTemplateSpecification": {"LaunchTemplateId": {"Ref": "Template"}},
                    "Overrides": [{"InstanceType": "b.large"}, {"InstanceType": "a.large"}],
                },
            },
        },
    },
    # lowest-price picks a.large (0.1): On-Demand 1 + 3 x 50% = 2.5 x 0.1 x 100 = 25;
    # Spot 1.5 x 0.1 x (1 - 0.5) x 100 = 7.5; EBS /dev/xvda 4 x 10 x 0.1 = 4,
    # /dev/sdb 4 x 20 x 0.1 + 4 x 1000 IOPS x 0.005 = 28.
    "Alarm": {  # 2 metrics x 0.1 = 0.2
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "Metrics": [
                {"Id": "a", "MetricStat": {"Period": 60}},
                {"Id": "b", "MetricStat": {"Period": 300}},
                {"Id": "e", "Expression": "a - b"},
            ]
        },
    },
    "Zone": {"Type": "AWS::Route53::HostedZone", "Properties": {}},  # 0.5
    "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},  # 0.4
    "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {}},  # 3
    "Config": {
        "Type": "AWS::SageMaker::EndpointConfig",
        "Properties": {
            "ProductionVariants": [
                {"VariantName": "v", "InstanceType": "ml.x", "InitialInstanceCount": 2}
            ]
        },
    },
    "Endpoint": {  # 2 x 1.0 x 100 = 200
        "Type": "AWS::SageMaker::Endpoint",
        "Properties": {"EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}},
    },
}  # 25 + 7.5 + 4 + 28 + 0.2 + 0.5 + 0.4 + 3 + 200 = 268.6


def write_assembly(outdir: Path, stacks: dict[str, dict[str, Any]]) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, Any] = {"Tree": {"type": "cdk:tree"}}
    for name, resources in stacks.items():
        (outdir / f"{name}.template.json").write_text(json.dumps({"Resources": resources}))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "displayName": name,
            "properties": {"templateFile": f"{name}.template.json", "stackName": f"x-{name}"},
        }
    (outdir / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return outdir


@pytest.fixture
def prices() -> PriceTable:
    return PriceTable(TEST_PRICES)


def test_hand_computed_totals(tmp_path: Path, prices: PriceTable) -> None:
    outdir = write_assembly(tmp_path / "a", {"Net": NET, "Stream": STREAM, "Cluster": CLUSTER})
    report = estimate(outdir, "test", prices)
    assert report.stack_totals() == {"Net": 9.0, "Stream": 99.0, "Cluster": 268.6}
    assert report.total == 376.6
    assert report.not_priced == []
    by_component = {(i.logical_id, i.component): i.monthly_usd for i in report.items}
    assert by_component[("Group", "instances (On-Demand)")] == 25.0
    assert by_component[("Group", "instances (Spot)")] == 7.5
    assert by_component[("Group", "EBS /dev/sdb")] == 28.0
    assert by_component[("Stream", "extended retention (48 h)")] == 4.0
    assert ("Role", "resource") not in by_component  # free types get no line
    spot = next(i for i in report.items if i.component == "instances (Spot)")
    assert "assumed 50% Spot discount" in spot.detail


def test_on_demand_stream_and_plain_group(tmp_path: Path, prices: PriceTable) -> None:
    resources = {
        "Stream": {
            "Type": "AWS::Kinesis::Stream",
            "Properties": {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
        },  # 0.04 x 100 = 4
        "Template": {
            "Type": "AWS::EC2::LaunchTemplate",
            "Properties": {"LaunchTemplateData": {"InstanceType": "b.large"}},
        },
        "Group": {  # 2 x 0.2 x 100 = 40
            "Type": "AWS::AutoScaling::AutoScalingGroup",
            "Properties": {
                "MinSize": "2",
                "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Template"}},
            },
        },
        "Serverless": {"Type": "AWS::MSK::ServerlessCluster", "Properties": {}},  # 1.0 x 100
    }
    report = estimate(write_assembly(tmp_path / "b", {"S": resources}), "test", prices)
    assert report.total == 144.0


def test_nat_instance_with_its_public_address_and_root(tmp_path: Path, prices: PriceTable) -> None:
    resources = {
        "Nat": {
            "Type": "AWS::EC2::Instance",
            "Properties": {
                "InstanceType": "a.large",  # 0.1 x 100 = 10
                "NetworkInterfaces": [{"AssociatePublicIpAddress": True, "DeviceIndex": "0"}],
                "BlockDeviceMappings": [  # 8 x 0.1 = 0.8
                    {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "VolumeType": "gp3"}}
                ],
            },
        },  # and its public IPv4: 0.01 x 100 = 1
        "Private": {
            "Type": "AWS::EC2::Instance",
            "Properties": {
                "InstanceType": "a.large",  # 10, no address
                "NetworkInterfaces": [{"AssociatePublicIpAddress": False, "DeviceIndex": "0"}],
                "BlockDeviceMappings": [
                    {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 10, "VolumeType": "gp3"}}
                ],  # 1
            },
        },
    }
    report = estimate(write_assembly(tmp_path / "n", {"S": resources}), "test", prices)
    by_component = {(i.logical_id, i.component): i.monthly_usd for i in report.items}
    assert by_component == {
        ("Nat", "instance-hours"): 10.0,
        ("Nat", "public IPv4"): 1.0,
        ("Nat", "EBS /dev/xvda"): 0.8,
        ("Private", "instance-hours"): 10.0,
        ("Private", "EBS /dev/xvda"): 1.0,
    }
    assert report.total == 22.8


def test_unpriced_types_and_values_are_listed_never_zero(
    tmp_path: Path, prices: PriceTable, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = {
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {}},
        "Kafka": {
            "Type": "AWS::MSK::Cluster",
            "Properties": {
                "NumberOfBrokerNodes": 3,
                "BrokerNodeGroupInfo": {
                    "InstanceType": "kafka.unknown",
                    "StorageInfo": {"EBSStorageInfo": {"VolumeSize": 10}},
                },
            },
        },  # storage still priced: 3 x 10 x 0.1 = 3
        "Box": {"Type": "AWS::EC2::Instance", "Properties": {"InstanceType": {"Ref": "Param"}}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},  # 1
    }
    outdir = write_assembly(tmp_path / "c", {"S": resources})
    report = estimate(outdir, "test", prices)
    unpriced = {(i.logical_id, i.component): i.detail for i in report.not_priced}
    assert set(unpriced) == {
        ("Db", "resource"),
        ("Kafka", "broker-hours"),
        ("Box", "instance-hours"),
        ("Box", "EBS root"),  # no BlockDeviceMappings: the AMI's root size is not known
    }
    assert all(detail.startswith("not priced: ") for detail in unpriced.values())
    assert "no price rule for this type" in unpriced[("Db", "resource")]
    assert report.total == 4.0

    prices_file = tmp_path / "prices.json"
    prices_file.write_text(json.dumps(TEST_PRICES))
    assert main([str(outdir), "--prices", str(prices_file)]) == 0
    table = capsys.readouterr().out
    assert table.count("not priced") >= 4
    assert "4 item(s) not priced" in table
    assert main([str(outdir), "--prices", str(prices_file), "--json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert as_json["total_monthly_usd"] == 4.0
    assert {i["logical_id"] for i in as_json["not_priced"]} == {"Db", "Kafka", "Box"}
    assert as_json["assumed_spot_discount"] == 0.5


@pytest.mark.parametrize(
    "argv",
    [
        ["/nonexistent/cdk.out"],
        ["{tmp}"],  # a folder with no manifest
        ["{tmp}", "--format", "yaml"],
        [],
        ["{tmp}", "--prices", "{tmp}/missing.json"],
    ],
)
def test_bad_cli_input_is_one_line_and_exit_2(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main([a.format(tmp=tmp_path) for a in argv]))
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1, captured.err


def test_committed_price_table_is_dated_and_sourced() -> None:
    raw = json.loads(Path("ops/prices.json").read_text())
    assert raw["as_of"] == "2026-12-08"
    PriceTable(raw)  # every rule's entry present and numeric
    for entry in raw["prices"].values():
        assert entry["source"].startswith("https://aws.amazon.com/")
    for table in ("ec2_instance_hour", "msk_broker_hour", "sagemaker_hosting_instance_hour"):
        assert raw[table]["source"].startswith("https://aws.amazon.com/")


def test_real_templates_every_billable_resource_is_priced_or_listed(synthesized) -> None:
    report = estimate(synthesized.outdir, synthesized.profile)
    lines = {(i.stack, i.logical_id) for i in report.items}
    for stack in read_assembly(synthesized.outdir):
        for logical_id, resource in stack.resources.items():
            kind = resource["Type"]
            if kind in RULES or usage_only_reason(kind) is None:
                assert (stack.stack_id, logical_id) in lines, (kind, logical_id)
    # The table covers every billable type the profiles use today: a new one fails here until
    # ops/prices.json (and a rule) price it.
    assert report.not_priced == [], [(i.logical_id, i.detail) for i in report.not_priced]
    assert report.total > 0


def test_summary_is_one_table_of_stacks_by_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = write_assembly(tmp_path / "small", {"Net": NET})
    large = write_assembly(tmp_path / "large", {"Net": NET, "Stream": STREAM})
    prices_file = tmp_path / "prices.json"
    prices_file.write_text(json.dumps(TEST_PRICES))
    argv = [f"dev={small}", f"prod={large}", "--format", "summary", "--prices", str(prices_file)]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert "| Net | $9.00 | $9.00 |" in table
    assert "| Stream | $0.00 | $99.00 |" in table
    assert "| **Total** | **$9.00** | **$108.00** |" in table
