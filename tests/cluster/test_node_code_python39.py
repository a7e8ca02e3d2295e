"""The node code runs on Amazon Linux 2023's Python 3.9, checked with a real 3.9 interpreter."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cluster.test_cluster_node_config import SECRET, boot_config
from tests.required_tools import python39

REPO = Path(__file__).resolve().parents[2]


def test_node_config_renders_a_master_under_python39(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    result = subprocess.run(
        [str(python39()), str(REPO / "spark_cluster" / "node_config.py"),
         "--role", "master", "--boot-config", str(boot_config(tmp_path)),
         "--secret-file", str(secret), "--private-ip", "127.0.0.1", "--cores", "2",
         "--memory-mb", "2048", "--unit-dir", str(tmp_path / "units")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "units" / "spark-master.service").exists()


def test_boot_check_runs_under_python39(tmp_path: Path) -> None:
    env_file = tmp_path / "cluster.env"
    env_file.write_text("SPARK_MASTER_UI_URL=http://127.0.0.1:9\n", encoding="utf-8")
    result = subprocess.run(
        [str(python39()), "-m", "spark_cluster.boot_check", "--role", "master",
         "--env-file", str(env_file), "--timeout-seconds", "0"],
        capture_output=True, text=True, timeout=60, check=False, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "did not answer within 0 s" in result.stderr
