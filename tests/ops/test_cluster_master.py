"""ops.cluster_master: start and stop dev's Spark master (moto in-process), and refuse prod's."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from ops.cluster_master import cluster_stack_name, load_profile, main
from tests.synthesis import REPO_ROOT, Synthesized

CDK_JSON = REPO_ROOT / "cdk.json"
MASTER, WORKERS = "dataplatform-dev-spark-master", "dataplatform-dev-spark-workers"

# A stand-in ClusterStack: only its two outputs matter here.
STACK_TEMPLATE = {
    "Resources": {
        "Marker": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": "marker", "Type": "String", "Value": "x"},
        }
    },
    "Outputs": {"MasterGroupName": {"Value": MASTER}, "WorkerGroupName": {"Value": WORKERS}},
}


@pytest.fixture
def dev_cluster(aws_credentials: None) -> Iterator[boto3.Session]:
    """Dev's two groups as deployed, idle: master 0 of max 1, workers 0 (min 0) of max 4."""
    with mock_aws():
        session = boto3.Session()
        ec2 = session.client("ec2")
        subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        template = ec2.create_launch_template(
            LaunchTemplateName="spark",
            LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "m7g.medium"},
        )["LaunchTemplate"]["LaunchTemplateId"]
        autoscaling = session.client("autoscaling")
        for name, maximum in ((MASTER, 1), (WORKERS, 4)):
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=name,
                LaunchTemplate={"LaunchTemplateId": template},
                MinSize=0,
                MaxSize=maximum,
                DesiredCapacity=0,
                VPCZoneIdentifier=subnet,
            )
        session.client("cloudformation").create_stack(
            StackName="dataplatform-dev-cluster", TemplateBody=json.dumps(STACK_TEMPLATE)
        )
        yield session


def desired(session: boto3.Session) -> dict[str, int]:
    groups = session.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    return {g["AutoScalingGroupName"]: g["DesiredCapacity"] for g in groups}


def test_start_then_stop(dev_cluster: boto3.Session, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["start", "--env", "dev"], session=dev_cluster) == 0
    assert desired(dev_cluster) == {MASTER: 1, WORKERS: 0}
    dev_cluster.client("autoscaling").set_desired_capacity(
        AutoScalingGroupName=WORKERS, DesiredCapacity=3
    )  # the load scaled the workers out
    assert main(["stop", "--env", "dev"], session=dev_cluster) == 0
    assert desired(dev_cluster) == {MASTER: 0, WORKERS: 0}
    out = capsys.readouterr().out
    assert f"{MASTER}: desired capacity 1" in out
    assert out.index(f"{WORKERS}: desired capacity 0") < out.index(f"{MASTER}: desired capacity 0")


def test_an_always_on_master_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["start", "--env", "prod"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "prod's master is always on (cluster.master_always_on true)" in err


def test_a_stack_not_deployed_is_one_line(
    aws_credentials: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_aws():
        assert main(["stop", "--env", "dev"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "stack dataplatform-dev-cluster is not deployed here" in err


def test_the_stack_name_is_the_synthesized_one(synthesized: Synthesized) -> None:
    config = load_profile(synthesized.profile, CDK_JSON)
    properties = synthesized.manifest()["artifacts"]["ClusterStack"]["properties"]
    assert properties["stackName"] == cluster_stack_name(config)
