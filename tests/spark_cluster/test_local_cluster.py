"""A real local Spark 3.5 master and two workers, rendered by node_config, decommissioned by the
lifecycle agent: the part of `python -m local_deploy cluster` that needs no deployed stack.

The worker group is an in-process moto Auto Scaling group (with moto_cfn_models' lifecycle
actions) with one instance per local worker; each worker's agent reads a local IMDSv2 stand-in
that answers the instance's state in that group. Slow (two Spark jobs): marked local_deploy.
"""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

import moto_cfn_models
from local_deploy.cluster_scenario import expected_counts, play, write_sample_events
from local_deploy.cluster_spark import LocalClusterSpec, LocalSparkCluster

pytestmark = pytest.mark.local_deploy

GROUP = "local-spark-workers"
HOOK = "local-spark-worker-drain"


def _group(workers):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    template = ec2.create_launch_template(
        LaunchTemplateName="w", LaunchTemplateData={"ImageId": "ami-12c6146b"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling = boto3.client("autoscaling", region_name="us-east-1")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=GROUP,
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=workers,
        LaunchTemplate={"LaunchTemplateId": template},
        VPCZoneIdentifier=subnet,
    )
    autoscaling.put_lifecycle_hook(
        LifecycleHookName=HOOK,
        AutoScalingGroupName=GROUP,
        LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
        HeartbeatTimeout=300,
    )
    instances = autoscaling.describe_auto_scaling_instances()["AutoScalingInstances"]
    return [i["InstanceId"] for i in instances]


def test_local_cluster_decommissions_a_worker_through_the_agent(tmp_path, aws_credentials):
    events = tmp_path / "curated" / "events"
    write_sample_events(events)
    assert len(expected_counts(events)) == 15
    spec = LocalClusterSpec(
        root=tmp_path / "cluster",
        workers=2,
        auth_secret="local-test-secret-0123456789",
        worker_group_name=GROUP,
        lifecycle_hook_name=HOOK,
        lifecycle_hook_timeout_seconds=300,
    )
    with mock_aws():
        moto_cfn_models.register()
        instance_ids = _group(2)
        with LocalSparkCluster(spec) as spark:
            spark.start()
            defaults = (tmp_path / "cluster/master/conf/spark-defaults.conf").read_text()
            assert "spark.authenticate true" in defaults
            assert "spark.network.crypto.enabled true" in defaults
            report = play(
                spark,
                autoscaling_factory=lambda: boto3.client("autoscaling", region_name="us-east-1"),
                group_name=GROUP,
                hook_name=HOOK,
                instance_ids=instance_ids,
                input_dir=events,
                hook_timeout_s=300,
            )
        stopped = spark.stop()
    assert all(entry.how == "had exited" for entry in stopped)
    assert report.first_job_correct
    assert report.second_job_correct
    assert report.drain is not None
    assert report.drain.master_state == "DECOMMISSIONED"
    assert report.drain.executors_at_signal
    assert not report.drain.timed_out
    assert report.drain.lifecycle_completed
    assert report.instance_left_group
    assert report.other_agents_idle
    assert report.passed
    print(f"drain {report.drain.drain_s:.1f} s, job-2 {report.second_job_s:.1f} s")
