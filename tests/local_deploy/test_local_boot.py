"""The local boot signals what the nodes' boot would: a stack whose Spark master boots completes,
one whose boot fails is rolled back with the failure in its events.

In-process moto (moto_cfn_models registered), a ClusterStack-shaped template whose launch
template carries a node's real rendered user data, and injected boots: the real one starts
Spark, which the shared local deployment (test_local_deploy.py) exercises. The clock is pinned
(time_machine, tick=False): no signal timeout passes unless a test moves it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import time_machine
from moto import mock_aws

import moto_cfn_models
from local_deploy import local_boot
from local_deploy.local_boot import LocalBootError, LocalBootWatcher, WaitingGroup
from spark_cluster.user_data import Artifact, NodeBootstrap, render_user_data
from tests.fake_aws import use_fake_aws

REGION = "us-east-1"
T0 = dt.datetime(2031, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
MASTER = "MasterGroupASG3908527C"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    use_fake_aws(monkeypatch, REGION)
    with time_machine.travel(T0, tick=False), mock_aws():
        moto_cfn_models.register()
        yield lambda service: boto3.client(service, region_name=REGION)


def _user_data(secret_arn: str, *, role: str = "master") -> str:
    node = NodeBootstrap(
        role=role,  # type: ignore[arg-type]
        settings={"cluster_name": "spark-dev", "worker_group_name": "workers", "region": REGION},
        master_host="master.spark.dev.internal",
        secret_id=secret_arn,
        package_url="s3://assets/package.zip",
        spark=Artifact("3.5.7", "https://archive.apache.org/dist/spark/s.tgz", "ab" * 64),
        hadoop_aws=Artifact("3.3.4", "https://repo1.maven.org/h.jar", "ab" * 64),
        aws_sdk_bundle=Artifact("1.12.262", "https://repo1.maven.org/a.jar", "ab" * 64),
        corretto_version="17",
        log_group_name="/dev/spark",
        node_metrics_namespace="Spark/Nodes",
        hosted_zone_id="Z123" if role == "master" else "",
        event_log_bucket="analytics" if role == "master" else "",
        event_log_key="spark-events/" if role == "master" else "",
        signal_stack="dev-cluster",
        signal_resource=MASTER,
        signal_region=REGION,
    )
    return base64.b64encode(render_user_data(node).encode()).decode()


def _deploy(aws: Any, user_data: str, name: str = "dev-cluster") -> str:
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": "10.0.0.0/24",
                "AvailabilityZone": "us-east-1a",
            },
        },
        "MasterLaunchTemplate": {
            "Type": "AWS::EC2::LaunchTemplate",
            "Properties": {
                "LaunchTemplateData": {
                    "ImageId": "ami-12c6146b",
                    "InstanceType": "m7g.medium",
                    "UserData": user_data,
                }
            },
        },
        MASTER: {
            "Type": "AWS::AutoScaling::AutoScalingGroup",
            "CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": "PT20M"}},
            "Properties": {
                "AutoScalingGroupName": "dev-spark-master",
                "MinSize": "1",
                "MaxSize": "1",
                "DesiredCapacity": "1",
                "VPCZoneIdentifier": [{"Ref": "Subnet"}],
                "LaunchTemplate": {
                    "LaunchTemplateId": {"Ref": "MasterLaunchTemplate"},
                    "Version": {"Fn::GetAtt": ["MasterLaunchTemplate", "LatestVersionNumber"]},
                },
            },
        },
    }
    aws("cloudformation").create_stack(
        StackName=name, TemplateBody=json.dumps({"Resources": resources})
    )
    return name


def _secret(aws: Any) -> str:
    return aws("secretsmanager").create_secret(Name="spark/auth", SecretString="s" * 64)["ARN"]


def _stack(aws: Any, name: str = "dev-cluster") -> dict[str, Any]:
    return aws("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


def _reasons(aws: Any, name: str = "dev-cluster") -> list[tuple[str, str]]:
    events = aws("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    return [(e["ResourceStatus"], e.get("ResourceStatusReason") or "") for e in events[::-1]]


def _all_up(groups: list[WaitingGroup]) -> dict[str, int]:
    return {group.logical_id: group.count for group in groups}


def test_the_waiting_group_is_read_from_the_emulator(aws):
    secret = _secret(aws)
    _deploy(aws, _user_data(secret))
    (groups,) = local_boot.waiting_groups(aws, set()).values()
    (group,) = groups
    assert (group.logical_id, group.group_name, group.count) == (MASTER, "dev-spark-master", 1)
    assert group.role == "master"
    assert group.env["SIGNAL_RESOURCE"] == MASTER
    assert group.boot["secret_id"] == secret
    assert len(group.instance_ids) == 1
    assert local_boot.waiting_groups(aws, {(group.stack_name, MASTER)}) == {}


def test_a_boot_that_comes_up_completes_the_stack(aws):
    _deploy(aws, _user_data(_secret(aws)))
    lines: list[str] = []
    watcher = LocalBootWatcher(aws, _all_up, log=lines.append)
    watcher.poll_once()
    assert _stack(aws)["StackStatus"] == "CREATE_COMPLETE"
    assert watcher.failed == []
    instance = json.dumps(_reasons(aws))
    assert "Received SUCCESS signal with UniqueId i-" in instance
    assert f"local boot: signalled SUCCESS x1 to {MASTER}" in lines
    watcher.poll_once()  # a stack is booted once
    assert len([line for line in lines if "waits for the boot" in line]) == 1


def test_a_boot_that_fails_rolls_the_stack_back_with_its_reason(aws):
    _deploy(aws, _user_data(_secret(aws)))
    reason = "the Spark master at http://127.0.0.1:1 did not answer within 60 s"

    def fails(groups: list[WaitingGroup]) -> dict[str, int]:
        raise LocalBootError(reason)

    lines: list[str] = []
    watcher = LocalBootWatcher(aws, fails, log=lines.append)
    watcher.poll_once()
    stack = _stack(aws)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"] == f"The following resource(s) failed to create: [{MASTER}]."
    (failed,) = [r for status, r in _reasons(aws) if status == "CREATE_FAILED"]
    assert failed.startswith("Received FAILURE signal with UniqueId i-")
    assert f"local boot: FAILED: {MASTER} (dev-spark-master): {reason}" in lines
    assert watcher.failed == ["dev-cluster"]


def test_a_missing_secret_fails_the_real_boot_before_spark_starts(aws, tmp_path):
    _deploy(aws, _user_data("arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf"))
    lines: list[str] = []
    LocalBootWatcher(aws, local_boot.spark_boot(tmp_path, aws), log=lines.append).poll_once()
    assert _stack(aws)["StackStatus"] == "ROLLBACK_COMPLETE"
    (failure,) = [line for line in lines if "FAILED" in line]
    assert "reading the Spark secret arn:aws:secretsmanager" in failure


def test_a_group_that_is_not_a_spark_node_fails_at_once(aws):
    plain = base64.b64encode(b"#!/bin/bash\necho hello\n").decode()
    _deploy(aws, plain)
    lines: list[str] = []
    LocalBootWatcher(aws, _all_up, log=lines.append).poll_once()
    assert _stack(aws)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("its user data is not a Spark node's" in line for line in lines)


def test_the_watcher_boots_while_the_block_runs(aws):
    _deploy(aws, _user_data(_secret(aws)))
    with LocalBootWatcher(aws, _all_up, interval_s=0.05, log=lambda _: None):
        deadline = time.monotonic() + 30
        while _stack(aws)["StackStatus"] == "CREATE_IN_PROGRESS" and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _stack(aws)["StackStatus"] == "CREATE_COMPLETE"
