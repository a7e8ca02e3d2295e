"""Render a node's cloud-init user data (at synth): the files it writes and the one script it runs.

Pure Python, no aws_cdk import: values that CloudFormation resolves at deploy time (bucket
names, the secret's ARN, the hosted zone's ID) arrive as CDK token strings and pass through
unchanged; CDK turns the finished text into `Fn::Join`.

The document is `#cloud-config` (JSON is valid YAML) with `write_files`:

- `/etc/spark-cluster/bootstrap.env`: shell variables, each value shell-quoted;
- `/etc/spark-cluster/boot.json`: what `spark_cluster.node_config` needs (no secret: the node
  reads it from Secrets Manager itself);
- `/etc/spark-cluster/cloudwatch-agent.json`: Spark's logs to the cluster's log group, memory
  and disk metrics;
- `/usr/local/sbin/spark-bootstrap`: `bootstrap.sh` from this package, the same for every node;

and `runcmd` runs the script. The script is static, so shellcheck checks exactly what runs.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from spark_cluster.node_config import UNITS, ClusterSettings, Role

BOOTSTRAP_SCRIPT = Path(__file__).with_name("bootstrap.sh")
ETC = "/etc/spark-cluster"
SCRIPT_PATH = "/usr/local/sbin/spark-bootstrap"

# Where Spark lives on a node (the same on every node and profile).
SPARK_HOME = "/opt/spark"
CONF_DIR = "/opt/spark/conf"
WORK_DIR = "/data/spark"
LOG_DIR = "/var/log/spark"
PACKAGE_DIR = "/opt/spark-cluster/lib"
# The data volume's block device name in the launch template. On Nitro instances it appears as
# an NVMe device; Amazon Linux's udev rules (amazon-ec2-utils) add this name as a link to it.
DATA_DEVICE = "/dev/sdb"
# Written by cloud-init; shipped too, so a failed boot can be read without a shell.
CLOUD_INIT_LOG = "/var/log/cloud-init-output.log"

# cloud-init's limit is EC2's: 16 KB of user data before base64.
MAX_USER_DATA_BYTES = 16 * 1024


@dataclass(frozen=True)
class Artifact:
    """A pinned download: https:// or s3:// URL, and its SHA-512 (None: boot refuses it)."""

    version: str
    url: str
    sha512: str | None


@dataclass(frozen=True)
class NodeBootstrap:
    """Everything one role's user data needs. Strings may be CDK tokens."""

    role: Role
    settings: Mapping[str, Any]
    """ClusterSettings fields except the secret (see ClusterSettings.without_secret)."""
    master_host: str
    """The master's DNS name in the private hosted zone."""
    secret_id: str
    """The ARN of the Secrets Manager secret holding spark.authenticate.secret."""
    package_url: str
    """s3:// URL of the spark_cluster package (a CDK zip asset)."""
    spark: Artifact
    hadoop_aws: Artifact
    aws_sdk_bundle: Artifact
    corretto_version: str
    log_group_name: str
    node_metrics_namespace: str
    """Namespace of the CloudWatch agent's memory and disk metrics."""
    hosted_zone_id: str = ""
    """Master only: the private hosted zone it upserts its record in."""
    record_ttl_seconds: int = 30
    event_log_bucket: str = ""
    """Master only: the bucket of the event logs, where it creates the folder marker."""
    event_log_key: str = ""
    signal_stack: str = ""
    """The stack whose operation waits for this node's boot signal (a token: AWS::StackName)."""
    signal_resource: str = ""
    """The logical ID of the node's Auto Scaling group; empty: the node signals nothing."""
    signal_region: str = ""
    ready_timeout_seconds: int = 600
    """How long the boot waits for the node to be up (master ALIVE, worker registered) before
    it signals FAILURE."""

    def __post_init__(self) -> None:
        allowed = {f.name for f in fields(ClusterSettings)} - {"auth_secret"}
        unknown = set(self.settings) - allowed
        if unknown:
            raise ValueError(f"settings: unknown key(s) {sorted(unknown)}")
        if self.role == "master" and not (self.hosted_zone_id and self.event_log_bucket):
            raise ValueError("the master needs hosted_zone_id and event_log_bucket")
        if self.signal_resource and not (self.signal_stack and self.signal_region):
            raise ValueError("signal_resource needs signal_stack and signal_region")


def bootstrap_env(node: NodeBootstrap) -> str:
    """/etc/spark-cluster/bootstrap.env: the variables bootstrap.sh reads, shell-quoted."""
    variables = {
        "ROLE": node.role,
        "UNITS": " ".join(UNITS[node.role]),
        "SPARK_HOME": SPARK_HOME,
        "CONF_DIR": CONF_DIR,
        "WORK_DIR": WORK_DIR,
        "LOG_DIR": LOG_DIR,
        "PACKAGE_DIR": PACKAGE_DIR,
        "DATA_DEVICE": DATA_DEVICE,
        "CORRETTO_VERSION": node.corretto_version,
        "SPARK_VERSION": node.spark.version,
        "SPARK_URL": node.spark.url,
        "SPARK_SHA512": node.spark.sha512 or "",
        "HADOOP_AWS_URL": node.hadoop_aws.url,
        "HADOOP_AWS_SHA512": node.hadoop_aws.sha512 or "",
        "AWS_SDK_BUNDLE_URL": node.aws_sdk_bundle.url,
        "AWS_SDK_BUNDLE_SHA512": node.aws_sdk_bundle.sha512 or "",
        "PACKAGE_URL": node.package_url,
        "MASTER_HOST": node.master_host,
        "HOSTED_ZONE_ID": node.hosted_zone_id,
        "RECORD_TTL": str(node.record_ttl_seconds),
        "EVENT_LOG_BUCKET": node.event_log_bucket,
        "EVENT_LOG_KEY": node.event_log_key,
        "SIGNAL_STACK": node.signal_stack,
        "SIGNAL_RESOURCE": node.signal_resource,
        "SIGNAL_REGION": node.signal_region,
        "READY_TIMEOUT": str(node.ready_timeout_seconds),
    }
    lines = [
        "# shellcheck shell=bash disable=SC2034",
        "# Rendered by spark_cluster.user_data at synth; sourced by spark-bootstrap.",
    ]
    lines += [f"{name}={_quote(value)}" for name, value in variables.items()]
    return "\n".join(lines) + "\n"


def _quote(value: str) -> str:
    # Always single-quoted, so a CDK token (which contains `$` and braces) stays one word.
    if "'" in value:
        return shlex.quote(value)
    return f"'{value}'"


def boot_config(node: NodeBootstrap) -> dict[str, Any]:
    """/etc/spark-cluster/boot.json, read by `python3 -m spark_cluster.node_config`."""
    return {
        "settings": dict(node.settings),
        "secret_id": node.secret_id,
        "master_host": node.master_host,
        "spark_home": SPARK_HOME,
        "conf_dir": CONF_DIR,
        "work_dir": WORK_DIR,
        "log_dir": LOG_DIR,
        "python": "/usr/bin/python3",
        "python_path": PACKAGE_DIR,
        "user": "spark",
    }


def cloudwatch_agent_config(node: NodeBootstrap) -> dict[str, Any]:
    """The CloudWatch agent's configuration: Spark's daemon and executor logs and the boot log
    to the cluster's (KMS-encrypted, retention-bound) log group; memory and disk use."""

    def stream(name: str, path: str) -> dict[str, str]:
        return {
            "file_path": path,
            "log_group_name": node.log_group_name,
            "log_stream_name": f"{{instance_id}}/{name}",
        }

    dimensions = {"Cluster": str(node.settings.get("cluster_name", "spark")), "Role": node.role}
    return {
        "agent": {"metrics_collection_interval": 60, "run_as_user": "root", "omit_hostname": True},
        "logs": {
            "logs_collected": {
                "files": {
                    "collect_list": [
                        stream(f"{node.role}-daemons", f"{LOG_DIR}/*.log"),
                        stream("executors", f"{WORK_DIR}/worker/app-*/*/std*"),
                        stream("cloud-init", CLOUD_INIT_LOG),
                    ]
                }
            }
        },
        # Static dimensions only (no host, no device): one series per role and mount, whatever
        # the instances (Spot churn would otherwise create a billed series per instance), and
        # no `${aws:...}` lookups, which would need ec2:DescribeTags on Resource *.
        "metrics": {
            "namespace": node.node_metrics_namespace,
            "metrics_collected": {
                "mem": {"measurement": ["mem_used_percent"], "append_dimensions": dimensions},
                "disk": {
                    "measurement": ["used_percent"],
                    "resources": ["/", "/data"],
                    "drop_device": True,
                    "append_dimensions": dimensions,
                },
            },
        },
    }


def bootstrap_script() -> str:
    """bootstrap.sh, the same for every node."""
    return BOOTSTRAP_SCRIPT.read_text(encoding="utf-8")


def render_user_data(node: NodeBootstrap) -> str:
    """The whole `#cloud-config` document for one role."""

    def write(path: str, content: str, permissions: str) -> dict[str, str]:
        return {"path": path, "content": content, "permissions": permissions, "owner": "root:root"}

    document = {
        "write_files": [
            write(f"{ETC}/bootstrap.env", bootstrap_env(node), "0600"),
            write(f"{ETC}/boot.json", json.dumps(boot_config(node), indent=1) + "\n", "0600"),
            write(
                f"{ETC}/cloudwatch-agent.json",
                json.dumps(cloudwatch_agent_config(node), indent=1) + "\n",
                "0644",
            ),
            write(SCRIPT_PATH, bootstrap_script(), "0755"),
        ],
        "runcmd": [[SCRIPT_PATH]],
    }
    return "#cloud-config\n" + json.dumps(document, indent=1) + "\n"
