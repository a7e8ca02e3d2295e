"""`python -m local_deploy cluster` on the shared local deployment: a real Spark master and two
workers from the deployed ClusterStack, the sample job into the analytics zone, and a worker
drained through the lifecycle agent with its lifecycle action completed in the emulator."""

from __future__ import annotations

import pytest

from local_deploy import cluster, deployment

# The scale-in leaves the worker group one instance smaller: read-only checks come first.
pytestmark = [pytest.mark.local_deploy, pytest.mark.e2e, pytest.mark.changes_deployment]


def test_cluster_runs_the_job_and_drains_a_worker(deployed, capsys):
    group_name = cluster._outputs(deployed, cluster.CLUSTER_STACK)["WorkerGroupName"]
    before = deployment.client(deployed, "autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[group_name]
    )["AutoScalingGroups"][0]
    status = cluster.run(deployed)
    out = capsys.readouterr().out
    assert status == 0, out
    for line in (
        "ok   job-1 (events per day and type) right",
        "ok   job-2 (across the decommission) right",
        "ok   master reported the worker DECOMMISSIONED",
        "ok   lifecycle action completed (CONTINUE)",
        "ok   instance left the worker group",
    ):
        assert line in out
    assert "drain time (SIGPWR to the last executor's exit)" in out

    lake = cluster._outputs(deployed, cluster.LAKE_STACK)
    s3 = deployment.client(deployed, "s3")
    listed = s3.list_objects_v2(
        Bucket=lake["AnalyticsBucketName"], Prefix=cluster.OUTPUT_PREFIX
    ).get("Contents", [])
    assert sum(o["Key"].endswith(".parquet") for o in listed) == 2  # one file per job

    outputs = cluster._outputs(deployed, cluster.CLUSTER_STACK)
    autoscaling = deployment.client(deployed, "autoscaling")
    group = autoscaling.describe_auto_scaling_groups(
        AutoScalingGroupNames=[outputs["WorkerGroupName"]]
    )["AutoScalingGroups"][0]
    workers = max(cluster.MIN_WORKERS, before["DesiredCapacity"])
    assert group["DesiredCapacity"] == workers - 1  # the scale-in, completed
    assert [i["LifecycleState"] for i in group["Instances"]] == ["InService"] * (workers - 1)
    # Every process started was stopped, by PID.
    assert "Processes stopped (by PID):" in out
