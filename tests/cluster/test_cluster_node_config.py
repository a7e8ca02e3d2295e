"""spark_cluster.node_config: each role's files, for each profile's settings, and the CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from platform_config import PlatformConfig, parse_profile
from spark_cluster import node_config
from spark_cluster.node_config import (
    UNITS,
    ClusterSettings,
    NodeConfigError,
    NodeFacts,
    render_node_files,
)
from tests.synthesis import PROFILES, cdk_json_context

SECRET = "S3cretS3cretS3cretS3cretS3cretS3cret0123456789abcdefABCDEF012345"


def profile_config(name: str) -> PlatformConfig:
    return parse_profile(name, cdk_json_context()["profiles"][name])


def settings_for(name: str, **overrides: Any) -> ClusterSettings:
    """The settings the stack would write for profile `name`, with a concrete bucket."""
    cluster = profile_config(name).cluster
    ports = cluster.ports
    values: dict[str, Any] = {
        "event_log_dir": "s3a://analytics-bucket/spark-events/",
        "fallback_storage_path": "s3a://analytics-bucket/spark-fallback/",
        "auth_secret": SECRET,
        "master_port": ports.master,
        "master_ui_port": ports.master_ui,
        "worker_port": ports.worker,
        "worker_ui_port": ports.worker_ui,
        "block_manager_port": ports.block_manager,
        "driver_port": ports.driver,
        "history_ui_port": ports.history_ui,
        "driver_ui_port": ports.driver_ui,
        "port_max_retries": ports.max_retries,
        "decommission_timeout_seconds": cluster.workers.decommission_timeout_seconds,
        "region": "us-east-1",
        "metrics_namespace": cluster.metrics_namespace,
        "cluster_name": cluster.name,
        "worker_group_name": f"dataplatform-{name}-spark-workers",
        "lifecycle_hook_name": f"dataplatform-{name}-spark-worker-drain",
        "lifecycle_hook_timeout_seconds": cluster.workers.lifecycle_hook_timeout_seconds,
    }
    return ClusterSettings(**{**values, **overrides})


def facts(role: str, **overrides: Any) -> NodeFacts:
    values: dict[str, Any] = {
        "role": role,
        "private_ip": "10.20.3.7",
        "master_host": "master.spark.dataplatform-dev.internal",
        "cores": 2,
        "memory_mb": 6963,
        "spark_home": "/opt/spark",
        "conf_dir": "/opt/spark/conf",
        "work_dir": "/data/spark",
        "log_dir": "/var/log/spark",
        "python_path": "/opt/spark-cluster/lib",
    }
    return NodeFacts(**{**values, **overrides})


def properties(text: str) -> dict[str, str]:
    pairs = [line.split(" ", 1) for line in text.splitlines() if not line.startswith("#")]
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), "a property is set twice"
    return dict(pairs)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("role", ["master", "worker"])
def test_spark_defaults_are_secure_and_drain(profile: str, role: str) -> None:
    settings = settings_for(profile)
    files = render_node_files(facts(role), settings)
    conf = properties(files["spark-defaults.conf"])
    assert {
        "spark.authenticate": "true",
        "spark.authenticate.secret": SECRET,
        "spark.network.crypto.enabled": "true",
        "spark.io.encryption.enabled": "true",
        "spark.master.rest.enabled": "false",
        "spark.decommission.enabled": "true",
        "spark.storage.decommission.enabled": "true",
        "spark.storage.decommission.shuffleBlocks.enabled": "true",
        "spark.storage.decommission.rddBlocks.enabled": "true",
        "spark.storage.decommission.fallbackStorage.path": (
            "s3a://analytics-bucket/spark-fallback/"
        ),
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": "s3a://analytics-bucket/spark-events/",
        "spark.history.fs.logDirectory": "s3a://analytics-bucket/spark-events/",
        "spark.master": "spark://master.spark.dataplatform-dev.internal:7077",
        "spark.hadoop.fs.s3a.aws.credentials.provider": (
            "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider"
        ),
    }.items() <= conf.items()
    cluster = profile_config(profile).cluster
    assert conf["spark.driver.port"] == str(cluster.ports.driver)
    assert conf["spark.blockManager.port"] == str(cluster.ports.block_manager)
    assert conf["spark.port.maxRetries"] == str(cluster.ports.max_retries)
    assert conf["spark.executor.decommission.forceKillTimeout"] == (
        f"{cluster.workers.decommission_timeout_seconds}s"
    )


@pytest.mark.parametrize("role", ["master", "worker"])
def test_every_listener_binds_to_the_private_address(role: str) -> None:
    files = render_node_files(facts(role), settings_for("dev"))
    env = files["spark-env.sh"]
    assert "export SPARK_LOCAL_IP=10.20.3.7\n" in env
    assert "export SPARK_PUBLIC_DNS=10.20.3.7\n" in env
    unit = files["spark-master.service" if role == "master" else "spark-worker.service"]
    assert "--host 10.20.3.7" in unit


def test_master_runs_master_history_and_metrics() -> None:
    files = render_node_files(facts("master"), settings_for("prod"))
    assert set(files) == {"spark-defaults.conf", "spark-env.sh", "cluster.env", *UNITS["master"]}
    assert (
        "ExecStart=/opt/spark/bin/spark-class org.apache.spark.deploy.master.Master "
        "--host 10.20.3.7 --port 7077 --webui-port 8080\n"
    ) in files["spark-master.service"]
    assert "org.apache.spark.deploy.history.HistoryServer" in files["spark-history.service"]
    assert "-m spark_cluster.master_metrics" in files["spark-metrics.service"]
    # The master binds to its address; workers reach it by the zone's name.
    assert "export SPARK_MASTER_HOST=10.20.3.7\n" in files["spark-env.sh"]
    env = dict(line.split("=", 1) for line in files["cluster.env"].splitlines())
    assert env["SPARK_MASTER_UI_URL"] == "http://10.20.3.7:8080"


def test_worker_offers_its_cores_and_memory_to_the_master_by_name() -> None:
    files = render_node_files(facts("worker"), settings_for("dev"))
    assert set(files) == {"spark-defaults.conf", "spark-env.sh", "cluster.env", *UNITS["worker"]}
    unit = files["spark-worker.service"]
    assert (
        "--cores 2 --memory 6963m --work-dir /data/spark/worker "
        "spark://master.spark.dataplatform-dev.internal:7077\n"
    ) in unit
    assert "User=spark\n" in unit
    # The drain agent stops the decommissioned worker with SIGTERM: systemd must not restart it.
    assert "Restart=on-failure\n" in unit
    assert "SuccessExitStatus=143\n" in unit
    assert "-m spark_cluster.lifecycle_agent" in files["spark-lifecycle-agent.service"]
    env = dict(line.split("=", 1) for line in files["cluster.env"].splitlines())
    assert env["SPARK_WORKER_GROUP_NAME"] == "dataplatform-dev-spark-workers"
    assert env["SPARK_LIFECYCLE_HOOK_NAME"] == "dataplatform-dev-spark-worker-drain"
    assert env["SPARK_LIFECYCLE_HOOK_TIMEOUT_SECONDS"] == "600"
    assert env["SPARK_WORKER_UI_URL"] == "http://10.20.3.7:8081"
    assert env["PYTHONPATH"] == "/opt/spark-cluster/lib"
    assert env["AWS_REGION"] == "us-east-1"


def test_local_settings_leave_s3a_out() -> None:
    settings = settings_for(
        "dev",
        event_log_dir="file:///tmp/cluster/events/",
        fallback_storage_path="file:///tmp/cluster/fallback/",
        region=None,
    )
    local = facts("worker", private_ip="127.0.0.1", master_host="127.0.0.1", java_home="/j")
    files = render_node_files(local, settings)
    conf = properties(files["spark-defaults.conf"])
    assert not any(key.startswith("spark.hadoop.fs.s3a") for key in conf)
    assert conf["spark.master"] == "spark://127.0.0.1:7077"
    assert "export JAVA_HOME=/j\n" in files["spark-env.sh"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"auth_secret": "short"}, "auth_secret"),
        ({"auth_secret": "has space in it ok?"}, "auth_secret"),
        ({"event_log_dir": "s3a://bucket/no-slash"}, "event_log_dir"),
        ({"fallback_storage_path": "hdfs://x/"}, "fallback_storage_path"),
        ({"driver_port": 7110}, "overlaps"),
        ({"master_port": 80}, "master_port"),
    ],
)
def test_bad_settings_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(NodeConfigError, match=message):
        settings_for("dev", **overrides)


def test_bad_facts_are_refused() -> None:
    with pytest.raises(NodeConfigError, match="role"):
        facts("driver")
    with pytest.raises(NodeConfigError, match="private_ip"):
        facts("worker", private_ip="10.0.0.1; rm -rf /")
    with pytest.raises(NodeConfigError, match="work_dir"):
        facts("worker", work_dir="relative/path")


def test_offered_memory_keeps_room_for_the_os() -> None:
    assert node_config.offered_memory_mb("MemTotal:        8000000 kB\n") == 6788
    assert node_config.offered_memory_mb("MemTotal:        2000000 kB\n") == 929
    with pytest.raises(NodeConfigError):
        node_config.offered_memory_mb("nothing here")


def boot_config(tmp_path: Path) -> Path:
    settings = settings_for("dev").without_secret()
    boot = {
        "settings": settings,
        "secret_id": "arn:aws:secretsmanager:us-east-1:123456789012:secret:spark-AbCdEf",
        "master_host": "master.spark.dataplatform-dev.internal",
        "spark_home": "/opt/spark",
        "conf_dir": str(tmp_path / "conf"),
        "work_dir": str(tmp_path / "work"),
        "log_dir": str(tmp_path / "logs"),
        "python_path": "/opt/spark-cluster/lib",
    }
    path = tmp_path / "boot.json"
    path.write_text(json.dumps(boot), encoding="utf-8")
    return path


def test_main_reads_imds_and_the_secret_and_writes_private_files(tmp_path: Path) -> None:
    asked: list[tuple[str, str | None]] = []

    def read_secret(secret_id: str, region: str | None) -> str:
        asked.append((secret_id, region))
        return SECRET

    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:        8000000 kB\n", encoding="utf-8")
    status = node_config.main(
        ["--role", "worker", "--boot-config", str(boot_config(tmp_path)), "--cores", "4",
         "--unit-dir", str(tmp_path / "units")],
        imds={"meta-data/local-ipv4": "10.20.9.9"}.__getitem__,
        read_secret=read_secret,
        meminfo_path=meminfo,
    )  # fmt: skip
    assert status == 0
    assert asked == [
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:spark-AbCdEf", "us-east-1")
    ]
    defaults = tmp_path / "conf" / "spark-defaults.conf"
    assert stat.S_IMODE(defaults.stat().st_mode) == 0o600
    assert f"spark.authenticate.secret {SECRET}\n" in defaults.read_text(encoding="utf-8")
    unit = (tmp_path / "units" / "spark-worker.service").read_text(encoding="utf-8")
    assert "--host 10.20.9.9" in unit
    assert "--cores 4 --memory 6788m" in unit


def test_main_with_a_local_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n", encoding="utf-8")

    def no_aws(*_: object) -> str:
        raise AssertionError("must not call AWS")

    status = node_config.main(
        ["--role", "master", "--boot-config", str(boot_config(tmp_path)),
         "--secret-file", str(secret), "--private-ip", "127.0.0.1", "--cores", "2",
         "--memory-mb", "2048", "--unit-dir", str(tmp_path / "units")],
        imds=no_aws,
        read_secret=no_aws,
    )  # fmt: skip
    assert status == 0
    assert (tmp_path / "units" / "spark-master.service").exists()


def test_main_refuses_a_bad_secret_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = node_config.main(
        ["--role", "worker", "--boot-config", str(boot_config(tmp_path)),
         "--private-ip", "10.0.0.1", "--cores", "1", "--memory-mb", "1024"],
        read_secret=lambda *_: "bad secret",
    )  # fmt: skip
    assert status == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "auth_secret" in error
    assert "bad secret" not in error
    assert not (tmp_path / "conf").exists()
