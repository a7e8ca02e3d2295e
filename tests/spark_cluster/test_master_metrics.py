"""The master metrics publisher: parsing a master's /json/ status, and publishing to moto.

data/master_status.json has the shape a local Spark 3.5.7 master wrote here (the workers and
totals); the applications and drivers were added in the shape Spark's JsonProtocol writes
them, so that every metric has a non-trivial value.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from spark_cluster import master_metrics, node_config
from spark_cluster.master_metrics import NAMESPACE, MasterStatusError, cluster_metrics

SAMPLE = json.loads((Path(__file__).parent / "data" / "master_status.json").read_text())


def test_metrics_from_recorded_status():
    assert cluster_metrics(SAMPLE) == {
        "AliveWorkers": 2.0,
        "CoresTotal": 8.0,
        "CoresUsed": 6.0,
        "MemoryTotalMb": 28672.0,
        "MemoryUsedMb": 12288.0,
        "WaitingApps": 2.0,
        "WaitingDrivers": 1.0,
    }


def test_idle_master_without_workers():
    idle = {key: SAMPLE[key] for key in ("url", "status")}
    idle.update(aliveworkers=0, cores=0, coresused=0, memory=0, memoryused=0)
    assert set(cluster_metrics(idle).values()) == {0.0}


def test_garbled_status_is_a_clear_error():
    with pytest.raises(MasterStatusError, match="aliveworkers"):
        cluster_metrics({"status": "ALIVE"})


def test_publish_once_to_cloudwatch(aws_credentials):
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        published = master_metrics.publish_once(
            cloudwatch,
            master_ui_url="http://master:8080",
            cluster_name="platform-dev-spark",
            read_status=lambda url: SAMPLE,
        )
        assert published["WaitingApps"] == 2.0
        metrics = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert sorted(m["MetricName"] for m in metrics) == sorted(node_config.METRIC_NAMES)
    assert {json.dumps(m["Dimensions"]) for m in metrics} == {
        json.dumps([{"Name": node_config.METRIC_DIMENSION, "Value": "platform-dev-spark"}])
    }


def test_unreachable_master_publishes_nothing(aws_credentials, caplog):
    def refuse(url):
        raise OSError("connection refused")

    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        assert (
            master_metrics.publish_once(
                cloudwatch, master_ui_url="http://m:8080", cluster_name="c", read_status=refuse
            )
            is None
        )
        assert cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"] == []
    assert "connection refused" in caplog.text


def test_main_rounds_and_bad_settings(aws_credentials, capsys, monkeypatch):
    monkeypatch.setattr(master_metrics, "read_master_status", lambda url: SAMPLE)
    sleeps = []
    env = {"SPARK_MASTER_UI_URL": "http://m:8080", "SPARK_CLUSTER_NAME": "c"}
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        monkeypatch.setattr(
            master_metrics,
            "publish_once",
            lambda cw, **kw: master_metrics.cluster_metrics(SAMPLE),
        )
        assert master_metrics.main(env, cloudwatch=cloudwatch, sleep=sleeps.append, rounds=3) == 0
    assert sleeps == [60.0, 60.0]
    assert master_metrics.main({"SPARK_CLUSTER_NAME": "c"}, rounds=1) == 2
    assert "SPARK_MASTER_UI_URL" in capsys.readouterr().err


def test_namespace_matches_the_cluster_settings_default():
    default = node_config.ClusterSettings.__dataclass_fields__["metrics_namespace"].default
    assert default == NAMESPACE


def test_systemd_units_start_modules_that_exist():
    # The rendered units run `python3 -m <module>`: both modules must ship in spark_cluster.
    for module in (node_config.LIFECYCLE_AGENT_MODULE, node_config.METRICS_PUBLISHER_MODULE):
        assert importlib.util.find_spec(module) is not None, module
