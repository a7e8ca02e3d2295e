"""The master's cluster metrics, published to CloudWatch every minute.

EC2 Auto Scaling on CPU is the wrong signal for Spark: a cluster with waiting applications may
idle its CPUs, and a busy one may be near its core limit at low CPU. The master knows the
truth (its own ``/json/`` status: workers, cores, memory, applications and drivers), so it
publishes that, and the worker group scales and alarms on it.

Runs on the master under systemd (``python3 -m spark_cluster.master_metrics``) with the
environment from ``cluster.env``: SPARK_MASTER_UI_URL, SPARK_CLUSTER_NAME,
SPARK_METRICS_NAMESPACE, AWS_REGION. Metric names and the dimension name come from
``spark_cluster.node_config`` (the stack scales and alarms on the same names). Standard library
plus boto3 only. CloudWatch stamps each datum itself: nothing here reads the date.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from spark_cluster.node_config import METRIC_DIMENSION, METRIC_NAMES

logger = logging.getLogger("spark_cluster.master_metrics")

#: The CloudWatch namespace of the cluster metrics (the stack's scaling policies and alarms
#: must use the same one; ClusterSettings.metrics_namespace defaults to it).
NAMESPACE = "Platform/Spark"
PUBLISH_INTERVAL_S = 60.0

_UNITS = {
    "AliveWorkers": "Count",
    "CoresTotal": "Count",
    "CoresUsed": "Count",
    "MemoryTotalMb": "Megabytes",
    "MemoryUsedMb": "Megabytes",
    "WaitingApps": "Count",
    "WaitingDrivers": "Count",
}


class MasterStatusError(ValueError):
    """The master's /json/ answer is not what a Spark 3.5 standalone master writes."""


def cluster_metrics(status: Mapping[str, Any]) -> dict[str, float]:
    """The published metrics from the master's ``/json/`` document.

    Totals count ALIVE workers only (as the master's own ``cores``/``memory`` do), so a
    DECOMMISSIONED worker's capacity is gone from CoresTotal the moment it starts draining.
    An application waits (WAITING) until it gets executors; a driver waits (SUBMITTED) until
    a worker launches it.
    """
    try:
        metrics = {
            "AliveWorkers": float(status["aliveworkers"]),
            "CoresTotal": float(status["cores"]),
            "CoresUsed": float(status["coresused"]),
            "MemoryTotalMb": float(status["memory"]),
            "MemoryUsedMb": float(status["memoryused"]),
            "WaitingApps": float(
                sum(1 for app in status.get("activeapps", []) if app.get("state") == "WAITING")
            ),
            "WaitingDrivers": float(
                sum(1 for d in status.get("activedrivers", []) if d.get("state") == "SUBMITTED")
            ),
        }
    except (KeyError, TypeError, ValueError) as error:
        raise MasterStatusError(f"master status lacks or garbles {error}") from error
    if set(metrics) != set(METRIC_NAMES):  # pragma: no cover - guards the shared contract
        raise MasterStatusError(f"metric names drifted from node_config: {sorted(metrics)}")
    return metrics


def metric_data(metrics: Mapping[str, float], cluster_name: str) -> list[dict[str, Any]]:
    """PutMetricData's MetricData for ``metrics``, with the cluster dimension."""
    dimensions = [{"Name": METRIC_DIMENSION, "Value": cluster_name}]
    return [
        {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": _UNITS[name]}
        for name, value in metrics.items()
    ]


def read_master_status(master_ui_url: str, timeout_s: float = 5.0) -> dict[str, Any]:
    with urllib.request.urlopen(f"{master_ui_url.rstrip('/')}/json/", timeout=timeout_s) as reply:
        status: dict[str, Any] = json.loads(reply.read().decode())
        return status


def publish_once(
    cloudwatch: Any,  # noqa: ANN401 - a boto3 CloudWatch client
    *,
    master_ui_url: str,
    cluster_name: str,
    namespace: str = NAMESPACE,
    read_status: Callable[[str], dict[str, Any]] = read_master_status,
) -> dict[str, float] | None:
    """Read the master and publish; None (nothing published) when the master does not answer:
    the "master missing" alarm treats missing data as breaching."""
    try:
        metrics = cluster_metrics(read_status(master_ui_url))
    except (OSError, ValueError) as error:
        logger.error("master status at %s unreadable: %s", master_ui_url, error)
        return None
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=metric_data(metrics, cluster_name))
    return metrics


def main(
    env: Mapping[str, str] | None = None,
    *,
    cloudwatch: Any = None,  # noqa: ANN401 - a boto3 CloudWatch client
    sleep: Callable[[float], None] = time.sleep,
    rounds: int | None = None,
) -> int:
    """Publish every minute for ever (``rounds`` bounds it in tests); exit 2 on bad settings."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    env = os.environ if env is None else env
    master_ui_url = env.get("SPARK_MASTER_UI_URL", "")
    cluster_name = env.get("SPARK_CLUSTER_NAME", "")
    if not master_ui_url.startswith("http"):
        print(
            f"error: SPARK_MASTER_UI_URL: got {master_ui_url!r}; allowed: http://host:port",
            file=sys.stderr,
        )
        return 2
    if not cluster_name:
        print("error: SPARK_CLUSTER_NAME: empty; allowed: the cluster's name", file=sys.stderr)
        return 2
    if cloudwatch is None:
        import boto3  # noqa: PLC0415 - only the running publisher needs it

        cloudwatch = boto3.client("cloudwatch", region_name=env.get("AWS_REGION") or None)
    namespace = env.get("SPARK_METRICS_NAMESPACE") or NAMESPACE
    done = 0
    while rounds is None or done < rounds:
        publish_once(
            cloudwatch, master_ui_url=master_ui_url, cluster_name=cluster_name, namespace=namespace
        )
        done += 1
        if rounds is None or done < rounds:
            sleep(PUBLISH_INTERVAL_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
