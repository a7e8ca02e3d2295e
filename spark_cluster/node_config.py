"""Render one Spark standalone node's configuration: spark-defaults.conf, spark-env.sh, the
environment file the node's agents read, and the systemd units.

Pure Python (standard library only; boto3 only inside `main` on EC2), so that it runs in three
places with one behaviour:

- on EC2 at boot, as `python3 -m spark_cluster.node_config --role worker --boot-config FILE`,
  reading the instance's facts from IMDSv2 and the shared secret from Secrets Manager;
- in the tests, with injected facts;
- in `python -m local_deploy cluster`, with local paths and 127.0.0.1, to start a real Spark
  3.5 standalone master and workers from the pyspark wheel.

Security settings are not optional here: RPC authentication with a shared secret, AES-based
RPC encryption, local-disk (I/O) encryption, and every UI bound to the node's private address.
The REST submission server is off (it does not authenticate); submit with `spark-submit` to
the master's RPC port, which does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

Role = Literal["master", "worker"]
ROLES: tuple[Role, ...] = ("master", "worker")

# Python modules of the node's own agents (spark_cluster package), started by the units below.
LIFECYCLE_AGENT_MODULE = "spark_cluster.lifecycle_agent"
METRICS_PUBLISHER_MODULE = "spark_cluster.master_metrics"

# The master's cluster metrics: published every minute by METRICS_PUBLISHER_MODULE to the
# settings' metrics_namespace, with one dimension, METRIC_DIMENSION = settings.cluster_name.
# The stack scales and alarms on these names.
METRIC_DIMENSION = "Cluster"
METRIC_NAMES = (
    "AliveWorkers",
    "CoresTotal",
    "CoresUsed",
    "MemoryTotalMb",
    "MemoryUsedMb",
    "WaitingApps",
    "WaitingDrivers",
)

# File names in the mapping render_node_files returns.
SPARK_DEFAULTS = "spark-defaults.conf"
SPARK_ENV = "spark-env.sh"
CLUSTER_ENV = "cluster.env"
MASTER_UNIT = "spark-master.service"
HISTORY_UNIT = "spark-history.service"
METRICS_UNIT = "spark-metrics.service"
WORKER_UNIT = "spark-worker.service"
AGENT_UNIT = "spark-lifecycle-agent.service"
UNITS: dict[Role, tuple[str, ...]] = {
    "master": (MASTER_UNIT, HISTORY_UNIT, METRICS_UNIT),
    "worker": (WORKER_UNIT, AGENT_UNIT),
}

# Memory kept back from executors on a worker: the OS, the CloudWatch agent, SSM agent and the
# worker daemon itself.
MIN_RESERVED_MEMORY_MB = 1024
RESERVED_MEMORY_FRACTION = 0.1

IMDS_URL = "http://169.254.169.254/latest"
IMDS_TOKEN_TTL_SECONDS = 300

# Java properties files treat backslash, and leading '#'/'!', specially; spark-env.sh is shell.
# A generated secret without punctuation always passes.
_SECRET = re.compile(r"^[A-Za-z0-9+/=_.-]{16,512}$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_URI = re.compile(r"^(s3a://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]|file://)/?[^\s\\]*/$")


class NodeConfigError(ValueError):
    """Facts or settings that would produce a broken or insecure node."""


@dataclass(frozen=True)
class ClusterSettings:
    """What every node of one cluster shares (from the stack's config, plus the secret).

    Ports are pinned so that the security groups can name them. A port that is busy is retried
    upward `port_max_retries` times (Spark's `spark.port.maxRetries`): each executor on a worker,
    and each driver on a node, takes the next free port of its range, so the security groups
    open `port .. port + port_max_retries` for the driver and block-manager ports.
    """

    event_log_dir: str
    """Event logs, read back by the History Server; `s3a://bucket/prefix/` or `file:///path/`."""
    fallback_storage_path: str
    """Where decommissioning executors put blocks no peer can take; same forms as above."""
    auth_secret: str
    """`spark.authenticate.secret`, shared by every node and application."""
    master_port: int = 7077
    master_ui_port: int = 8080
    worker_port: int = 7078
    worker_ui_port: int = 8081
    block_manager_port: int = 7100
    driver_port: int = 7200
    history_ui_port: int = 18080
    driver_ui_port: int = 4040
    port_max_retries: int = 16
    decommission_timeout_seconds: int = 600
    """`spark.executor.decommission.forceKillTimeout`: a draining executor exits by then."""
    region: str | None = None
    """AWS Region of the lake buckets (S3A's endpoint region); None locally."""
    metrics_namespace: str = "Platform/Spark"
    cluster_name: str = "spark"
    """The `Cluster` dimension of the published metrics."""
    worker_group_name: str = ""
    """The worker Auto Scaling group, for the lifecycle agent ("" where there is none)."""
    lifecycle_hook_name: str = ""
    lifecycle_hook_timeout_seconds: int = 900
    daemon_memory_mb: int = 1024
    """`SPARK_DAEMON_MEMORY` for the master, worker and History Server JVMs."""

    def __post_init__(self) -> None:
        for name in ("event_log_dir", "fallback_storage_path"):
            value = getattr(self, name)
            if not _URI.match(value):
                raise NodeConfigError(
                    f"{name}: got {value!r}; allowed: s3a://bucket/prefix/ or file:///path/ "
                    "ending with '/'"
                )
        if not _SECRET.match(self.auth_secret):
            raise NodeConfigError(
                "auth_secret: 16-512 characters from A-Z a-z 0-9 + / = _ . - (value not shown)"
            )
        ports = self.port_ranges()
        for name, (low, high) in ports.items():
            if not (low >= 1024 and high <= 65535):
                raise NodeConfigError(f"{name}: got {low}; allowed: 1024..{65535 - (high - low)}")
        spans = sorted((low, high, name) for name, (low, high) in ports.items())
        # Index pairs, not itertools.pairwise (3.10+): AL2023's /usr/bin/python3 is 3.9.
        for index in range(1, len(spans)):
            (_, high, name), (low, _, other) = spans[index - 1], spans[index]
            if low <= high:
                raise NodeConfigError(f"{other}: got {low}; it overlaps the range of {name}")

    def port_ranges(self) -> dict[str, tuple[int, int]]:
        """Every pinned port as an inclusive (first, last) range, by setting name."""
        retries = self.port_max_retries
        return {
            "master_port": (self.master_port, self.master_port),
            "master_ui_port": (self.master_ui_port, self.master_ui_port),
            "worker_port": (self.worker_port, self.worker_port),
            "worker_ui_port": (self.worker_ui_port, self.worker_ui_port),
            "history_ui_port": (self.history_ui_port, self.history_ui_port),
            "block_manager_port": (self.block_manager_port, self.block_manager_port + retries),
            "driver_port": (self.driver_port, self.driver_port + retries),
            "driver_ui_port": (self.driver_ui_port, self.driver_ui_port + retries),
        }

    def without_secret(self) -> dict[str, Any]:
        """The settings as JSON-ready data, less the secret (for the boot config file)."""
        data = asdict(self)
        del data["auth_secret"]
        return data


@dataclass(frozen=True)
class NodeFacts:
    """What one node is: its role and address, its size, and where Spark lives on it."""

    role: Role
    private_ip: str
    master_host: str
    """The master's stable name (the private hosted zone's record), or its address locally."""
    cores: int
    """Cores a worker offers to executors (`--cores`)."""
    memory_mb: int
    """Memory a worker offers to executors (`--memory`), the OS's share already taken off."""
    spark_home: str
    conf_dir: str
    work_dir: str
    log_dir: str
    java_home: str | None = None
    """None: the JVM on PATH (on EC2, Corretto 17 from its RPM sets it system-wide)."""
    python: str = "/usr/bin/python3"
    """The interpreter the node's agents run under."""
    python_path: str | None = None
    """A directory to put on PYTHONPATH for the agents (where spark_cluster is unpacked)."""
    user: str = "spark"
    """The system user the units run as."""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise NodeConfigError(f"role: got {self.role!r}; allowed: master, worker")
        for name in ("private_ip", "master_host"):
            value = getattr(self, name)
            if not _HOST.match(value):
                raise NodeConfigError(f"{name}: got {value!r}; allowed: an IP address or DNS name")
        if self.cores < 1:
            raise NodeConfigError(f"cores: got {self.cores}; allowed: 1 or more")
        if self.memory_mb < 512:
            raise NodeConfigError(f"memory_mb: got {self.memory_mb}; allowed: 512 or more")
        for name in ("spark_home", "conf_dir", "work_dir", "log_dir"):
            value = getattr(self, name)
            if not value.startswith("/") or any(c.isspace() for c in value):
                raise NodeConfigError(
                    f"{name}: got {value!r}; allowed: an absolute path without spaces"
                )


def master_url(facts: NodeFacts, settings: ClusterSettings) -> str:
    return f"spark://{facts.master_host}:{settings.master_port}"


def spark_defaults(facts: NodeFacts, settings: ClusterSettings) -> dict[str, str]:
    """spark-defaults.conf as ordered properties. Daemons (master, worker, History Server) and
    spark-submit all read this file."""
    properties = {
        "spark.master": master_url(facts, settings),
        # Security: RPC authentication, AES RPC encryption, local-disk encryption.
        "spark.authenticate": "true",
        "spark.authenticate.secret": settings.auth_secret,
        "spark.network.crypto.enabled": "true",
        "spark.network.crypto.saslFallback": "false",
        "spark.io.encryption.enabled": "true",
        # The REST submission server does not authenticate: off. The UIs are reached through
        # the master (reverse proxy), which listens on the private address only.
        "spark.master.rest.enabled": "false",
        "spark.ui.reverseProxy": "true",
        "spark.ui.killEnabled": "false",
        # Pinned ports, for the security groups.
        "spark.driver.port": str(settings.driver_port),
        "spark.blockManager.port": str(settings.block_manager_port),
        "spark.driver.blockManager.port": str(settings.block_manager_port),
        "spark.ui.port": str(settings.driver_ui_port),
        "spark.port.maxRetries": str(settings.port_max_retries),
        "spark.master.ui.port": str(settings.master_ui_port),
        "spark.worker.ui.port": str(settings.worker_ui_port),
        "spark.history.ui.port": str(settings.history_ui_port),
        # Graceful decommissioning (SIGPWR to the worker): migrate shuffle and cached blocks to
        # peers, or to the fallback storage when no peer can take them.
        "spark.decommission.enabled": "true",
        "spark.worker.decommission.signal": "PWR",
        "spark.storage.decommission.enabled": "true",
        "spark.storage.decommission.shuffleBlocks.enabled": "true",
        "spark.storage.decommission.rddBlocks.enabled": "true",
        "spark.storage.decommission.fallbackStorage.path": settings.fallback_storage_path,
        "spark.storage.decommission.fallbackStorage.cleanUp": "true",
        # Spark retries block migration in rounds 30 s apart by default; a Spot notice leaves
        # two minutes in all, so a drain must not sit idle between rounds.
        "spark.storage.decommission.replicationReattemptInterval": "5s",
        "spark.executor.decommission.forceKillTimeout": (
            f"{settings.decommission_timeout_seconds}s"
        ),
        # Event logs are the cluster's only state: they live in S3, so a replaced master loses
        # no history.
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": settings.event_log_dir,
        "spark.eventLog.compress": "true",
        "spark.history.fs.logDirectory": settings.event_log_dir,
        "spark.history.fs.update.interval": "30s",
        # Executors' own logs and work directories do not fill the disk.
        "spark.worker.cleanup.enabled": "true",
        "spark.worker.cleanup.appDataTtl": "86400",
        "spark.executor.logs.rolling.strategy": "size",
        "spark.executor.logs.rolling.maxSize": "134217728",
        "spark.executor.logs.rolling.maxRetainedFiles": "5",
    }
    if "s3a://" in settings.event_log_dir + settings.fallback_storage_path:
        # S3A authenticates with the instance profile (no keys anywhere on disk).
        properties["spark.hadoop.fs.s3a.aws.credentials.provider"] = (
            "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider"
        )
        if settings.region:
            properties["spark.hadoop.fs.s3a.endpoint.region"] = settings.region
            properties["spark.hadoop.fs.s3a.endpoint"] = f"s3.{settings.region}.amazonaws.com"
    return properties


def _properties_file(properties: Mapping[str, str]) -> str:
    lines = ["# Rendered by spark_cluster.node_config; do not edit by hand."]
    lines += [f"{key} {value}" for key, value in properties.items()]
    return "\n".join(lines) + "\n"


def spark_env(facts: NodeFacts, settings: ClusterSettings) -> dict[str, str]:
    """spark-env.sh as ordered variables (spark-class sources it before starting a daemon)."""
    env = {
        # Every listener, UIs included, binds to the private address only.
        "SPARK_LOCAL_IP": facts.private_ip,
        "SPARK_PUBLIC_DNS": facts.private_ip,
        "SPARK_LOG_DIR": facts.log_dir,
        "SPARK_PID_DIR": facts.work_dir,
        "SPARK_LOCAL_DIRS": f"{facts.work_dir}/local",
        "SPARK_DAEMON_MEMORY": f"{settings.daemon_memory_mb}m",
        "SPARK_MASTER_HOST": facts.private_ip if facts.role == "master" else facts.master_host,
        "SPARK_MASTER_PORT": str(settings.master_port),
        "SPARK_MASTER_WEBUI_PORT": str(settings.master_ui_port),
        "SPARK_WORKER_PORT": str(settings.worker_port),
        "SPARK_WORKER_WEBUI_PORT": str(settings.worker_ui_port),
        "SPARK_WORKER_CORES": str(facts.cores),
        "SPARK_WORKER_MEMORY": f"{facts.memory_mb}m",
        "SPARK_WORKER_DIR": f"{facts.work_dir}/worker",
    }
    if facts.java_home:
        env["JAVA_HOME"] = facts.java_home
    return env


def _shell_env_file(variables: Mapping[str, str]) -> str:
    lines = ["#!/usr/bin/env bash", "# Rendered by spark_cluster.node_config; do not edit."]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    return "\n".join(lines) + "\n"


def cluster_env(facts: NodeFacts, settings: ClusterSettings) -> dict[str, str]:
    """The environment the node's own agents (lifecycle agent, metrics publisher) run with."""
    env = {
        "SPARK_ROLE": facts.role,
        "SPARK_HOME": facts.spark_home,
        "SPARK_CONF_DIR": facts.conf_dir,
        "SPARK_LOG_DIR": facts.log_dir,
        "SPARK_PRIVATE_IP": facts.private_ip,
        "SPARK_MASTER_URL": master_url(facts, settings),
        "SPARK_MASTER_UI_URL": f"http://{facts.master_host}:{settings.master_ui_port}",
        "SPARK_WORKER_UI_URL": f"http://{facts.private_ip}:{settings.worker_ui_port}",
        "SPARK_CLUSTER_NAME": settings.cluster_name,
        "SPARK_METRICS_NAMESPACE": settings.metrics_namespace,
        "SPARK_WORKER_GROUP_NAME": settings.worker_group_name,
        "SPARK_LIFECYCLE_HOOK_NAME": settings.lifecycle_hook_name,
        "SPARK_LIFECYCLE_HOOK_TIMEOUT_SECONDS": str(settings.lifecycle_hook_timeout_seconds),
        "SPARK_DECOMMISSION_TIMEOUT_SECONDS": str(settings.decommission_timeout_seconds),
    }
    if facts.role == "master":
        env["SPARK_MASTER_UI_URL"] = f"http://{facts.private_ip}:{settings.master_ui_port}"
    if settings.region:
        env["AWS_REGION"] = settings.region
        env["AWS_DEFAULT_REGION"] = settings.region
    if facts.python_path:
        env["PYTHONPATH"] = facts.python_path
    return env


def _systemd_env_file(variables: Mapping[str, str]) -> str:
    # systemd EnvironmentFile: KEY=value per line; values here never hold quotes or newlines.
    return "".join(f"{name}={value}\n" for name, value in variables.items())


def _unit(
    description: str,
    exec_start: Sequence[str],
    facts: NodeFacts,
    *,
    environment_file: str,
    after: str = "network-online.target",
    stop_timeout_seconds: int = 90,
) -> str:
    command = " ".join(shlex.quote(part) for part in exec_start)
    log_name = description.split(":", maxsplit=1)[0].lower().replace(" ", "-")
    return "\n".join(
        [
            "[Unit]",
            f"Description={description}",
            "Wants=network-online.target",
            f"After={after}",
            "",
            "[Service]",
            "Type=simple",
            f"User={facts.user}",
            f"Group={facts.user}",
            f"EnvironmentFile={environment_file}",
            f"ExecStart={command}",
            "Restart=on-failure",
            "RestartSec=10",
            # A JVM stopped with SIGTERM exits 143: a stop (by systemd or by the drain agent),
            # not a failure to restart from.
            "SuccessExitStatus=143",
            f"TimeoutStopSec={stop_timeout_seconds}",
            "KillMode=mixed",
            "NoNewPrivileges=true",
            "PrivateTmp=true",
            "ProtectSystem=full",
            f"StandardOutput=append:{facts.log_dir}/{log_name}.log",
            f"StandardError=append:{facts.log_dir}/{log_name}.log",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )


def _units(facts: NodeFacts, settings: ClusterSettings) -> dict[str, str]:
    env_file = f"{facts.conf_dir}/{CLUSTER_ENV}"
    spark_class = f"{facts.spark_home}/bin/spark-class"
    if facts.role == "master":
        return {
            MASTER_UNIT: _unit(
                "spark-master: Apache Spark standalone master",
                [
                    spark_class,
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    facts.private_ip,
                    "--port",
                    str(settings.master_port),
                    "--webui-port",
                    str(settings.master_ui_port),
                ],
                facts,
                environment_file=env_file,
            ),
            HISTORY_UNIT: _unit(
                "spark-history: Apache Spark History Server over the event logs",
                [spark_class, "org.apache.spark.deploy.history.HistoryServer"],
                facts,
                environment_file=env_file,
                after=MASTER_UNIT,
            ),
            METRICS_UNIT: _unit(
                "spark-metrics: publishes the master's status to CloudWatch every minute",
                [facts.python, "-m", METRICS_PUBLISHER_MODULE],
                facts,
                environment_file=env_file,
                after=MASTER_UNIT,
            ),
        }
    return {
        WORKER_UNIT: _unit(
            "spark-worker: Apache Spark standalone worker",
            [
                spark_class,
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                facts.private_ip,
                "--port",
                str(settings.worker_port),
                "--webui-port",
                str(settings.worker_ui_port),
                "--cores",
                str(facts.cores),
                "--memory",
                f"{facts.memory_mb}m",
                "--work-dir",
                f"{facts.work_dir}/worker",
                master_url(facts, settings),
            ],
            facts,
            environment_file=env_file,
            # The lifecycle agent stops the worker only after its executors have drained.
            stop_timeout_seconds=120,
        ),
        AGENT_UNIT: _unit(
            "spark-lifecycle-agent: drains this worker on scale-in or a Spot notice",
            [facts.python, "-m", LIFECYCLE_AGENT_MODULE],
            facts,
            environment_file=env_file,
            after=WORKER_UNIT,
        ),
    }


def render_node_files(facts: NodeFacts, settings: ClusterSettings) -> dict[str, str]:
    """Every file one node needs, by file name: spark-defaults.conf, spark-env.sh, cluster.env
    (the agents' environment) and the role's systemd units (see UNITS). spark-defaults.conf
    holds the secret: write it readable by the Spark user only."""
    files = {
        SPARK_DEFAULTS: _properties_file(spark_defaults(facts, settings)),
        SPARK_ENV: _shell_env_file(spark_env(facts, settings)),
        CLUSTER_ENV: _systemd_env_file(cluster_env(facts, settings)),
    }
    files.update(_units(facts, settings))
    return files


def file_modes() -> dict[str, int]:
    """The mode each rendered file is written with (the secret's file is private)."""
    return {SPARK_DEFAULTS: 0o600, SPARK_ENV: 0o644, CLUSTER_ENV: 0o644} | {
        unit: 0o644 for units in UNITS.values() for unit in units
    }


def write_node_files(files: Mapping[str, str], *, conf_dir: Path, unit_dir: Path) -> list[Path]:
    """Write rendered files: units into `unit_dir`, the rest into `conf_dir`."""
    modes = file_modes()
    written = []
    for name, text in files.items():
        directory = unit_dir if name.endswith(".service") else conf_dir
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        # Create with the final mode, so the secret is never readable by others, even briefly.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, modes.get(name, 0o644))
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        path.chmod(modes.get(name, 0o644))
        written.append(path)
    return written


# --- On EC2 -------------------------------------------------------------------------------


def imds_get(path: str, *, base_url: str = IMDS_URL, timeout: float = 2.0) -> str:
    """One IMDSv2 read (token first: the launch templates refuse IMDSv1)."""
    token_request = urllib.request.Request(
        f"{base_url}/api/token",
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": str(IMDS_TOKEN_TTL_SECONDS)},
    )
    with urllib.request.urlopen(token_request, timeout=timeout) as response:
        token = response.read().decode()
    request = urllib.request.Request(
        f"{base_url}/{path}", headers={"X-aws-ec2-metadata-token": token}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body: bytes = response.read()
    return body.decode().strip()


def secrets_manager_secret(secret_id: str, region: str | None) -> str:
    """The secret's string value (boto3 is imported here only: nothing else needs it)."""
    import boto3  # noqa: PLC0415

    client = boto3.client("secretsmanager", region_name=region)
    return str(client.get_secret_value(SecretId=secret_id)["SecretString"])


def offered_memory_mb(meminfo: str) -> int:
    """What a worker offers to executors: MemTotal less max(1 GiB, 10%)."""
    match = re.search(r"^MemTotal:\s+(\d+) kB$", meminfo, re.MULTILINE)
    if match is None:
        raise NodeConfigError("/proc/meminfo has no MemTotal line")
    total_mb = int(match.group(1)) // 1024
    reserved = max(MIN_RESERVED_MEMORY_MB, int(total_mb * RESERVED_MEMORY_FRACTION))
    return max(512, total_mb - reserved)


def settings_from_boot_config(boot: Mapping[str, Any], auth_secret: str) -> ClusterSettings:
    """ClusterSettings from the boot config's `settings` object (which has no secret)."""
    known = {f.name for f in fields(ClusterSettings)} - {"auth_secret"}
    raw = dict(boot["settings"])
    unknown = set(raw) - known
    if unknown:
        raise NodeConfigError(f"settings: unknown key(s) {sorted(unknown)}")
    return ClusterSettings(auth_secret=auth_secret, **raw)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m spark_cluster.node_config",
        description="Write this node's Spark configuration and systemd units.",
    )
    parser.add_argument("--role", choices=ROLES, required=True)
    parser.add_argument(
        "--boot-config",
        type=Path,
        required=True,
        help="JSON written by the user data: settings (no secret), master_host, paths, secret_id",
    )
    parser.add_argument("--unit-dir", type=Path, default=Path("/etc/systemd/system"))
    parser.add_argument("--private-ip", help="instead of IMDSv2 local-ipv4")
    parser.add_argument("--secret-file", type=Path, help="instead of Secrets Manager")
    parser.add_argument("--cores", type=int, help="instead of this machine's CPU count")
    parser.add_argument("--memory-mb", type=int, help="instead of /proc/meminfo")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    imds: Callable[[str], str] = imds_get,
    read_secret: Callable[[str, str | None], str] = secrets_manager_secret,
    meminfo_path: Path = Path("/proc/meminfo"),
) -> int:
    """Render and write this node's files; exit status 0, or 2 with one line on bad input."""
    args = _parser().parse_args(argv)
    try:
        boot = json.loads(args.boot_config.read_text(encoding="utf-8"))
        region = boot["settings"].get("region")
        if args.secret_file is not None:
            secret = args.secret_file.read_text(encoding="utf-8").strip()
        else:
            secret = read_secret(boot["secret_id"], region)
        settings = settings_from_boot_config(boot, secret)
        facts = NodeFacts(
            role=args.role,
            private_ip=args.private_ip or imds("meta-data/local-ipv4"),
            master_host=boot["master_host"],
            cores=args.cores or os.cpu_count() or 1,
            memory_mb=args.memory_mb or offered_memory_mb(meminfo_path.read_text(encoding="utf-8")),
            spark_home=boot["spark_home"],
            conf_dir=boot["conf_dir"],
            work_dir=boot["work_dir"],
            log_dir=boot["log_dir"],
            java_home=boot.get("java_home"),
            python=boot.get("python", "/usr/bin/python3"),
            python_path=boot.get("python_path"),
            user=boot.get("user", "spark"),
        )
    except (KeyError, TypeError, ValueError, OSError) as error:
        print(f"error: node_config: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    files = render_node_files(facts, settings)
    for path in write_node_files(files, conf_dir=Path(facts.conf_dir), unit_dir=args.unit_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
