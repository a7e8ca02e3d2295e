"""How the agent finds the worker JVM and its executors on the host: the worker's own /json/,
the master's /json/, and a /proc fallback (a fake /proc tree here)."""

from __future__ import annotations

import http.server
import json
import threading
from typing import ClassVar

import pytest

from spark_cluster.lifecycle_agent import WorkerStatus, executor_pids, find_worker_pid

WORKER = "org.apache.spark.deploy.worker.Worker"
EXECUTOR = "org.apache.spark.executor.CoarseGrainedExecutorBackend"


def _process(proc, pid, parent, *args, name="java"):
    folder = proc / str(pid)
    folder.mkdir()
    (folder / "cmdline").write_bytes(b"\0".join(a.encode() for a in args) + b"\0")
    (folder / "stat").write_text(f"{pid} ({name}) S {parent} {pid} {pid} 0 -1\n")


@pytest.fixture
def proc(tmp_path):
    _process(tmp_path, 1, 0, "/sbin/init", name="systemd")
    # spark-class of a restarting worker: its bash, and Spark's launcher JVM, name the class too
    _process(tmp_path, 200, 1, "bash", "/opt/spark/bin/spark-class", WORKER, name="bash")
    _process(tmp_path, 201, 200, "/usr/bin/java", "org.apache.spark.launcher.Main", WORKER)
    _process(
        tmp_path, 300, 1, "/usr/bin/java", "-cp", "/opt/spark/jars/*", WORKER, "spark://m:7077"
    )
    _process(tmp_path, 310, 300, "/usr/bin/java", EXECUTOR, "--executor-id", "0")
    _process(tmp_path, 311, 300, "/usr/bin/python3", "-m", "pyspark.daemon", name="python 3")
    _process(tmp_path, 320, 1, "/usr/bin/java", EXECUTOR, "--executor-id", "9")  # not ours
    (tmp_path / "self").mkdir()  # non-numeric entries are skipped
    return tmp_path


def test_worker_and_its_executors_from_proc(proc):
    assert find_worker_pid(proc) == 300
    assert executor_pids(300, proc) == [310]


def test_no_worker_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match=WORKER):
        find_worker_pid(tmp_path)


def test_unreachable_worker_ui_falls_back_to_proc(proc):
    status = WorkerStatus("http://127.0.0.1:9", "http://127.0.0.1:9", timeout_s=0.5, proc=proc)
    assert status.executors(300) == ["pid/310"]
    assert status.state_at_master() is None


class _Json(http.server.BaseHTTPRequestHandler):
    documents: ClassVar[dict] = {}

    def log_message(self, format, *args):
        return

    def do_GET(self):
        body = json.dumps(self.documents[self.server.server_port]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_executors_and_state_from_the_uis():
    servers = [http.server.HTTPServer(("127.0.0.1", 0), _Json) for _ in range(2)]
    worker_port, master_port = (s.server_port for s in servers)
    _Json.documents = {
        worker_port: {
            "id": "worker-1",
            "executors": [{"id": 0, "appid": "app-1"}, {"id": 3, "appid": "app-2"}],
        },
        master_port: {
            "workers": [
                {"id": "worker-0", "state": "ALIVE"},
                {"id": "worker-1", "state": "DECOMMISSIONED"},
            ]
        },
    }
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        status = WorkerStatus(f"http://127.0.0.1:{worker_port}", f"http://127.0.0.1:{master_port}")
        assert status.executors(300) == ["app-1/0", "app-2/3"]
        assert status.state_at_master() == "DECOMMISSIONED"
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
