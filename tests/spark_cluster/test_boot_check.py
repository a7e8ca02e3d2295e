"""The boot's readiness check: a master is up when its /json/ says ALIVE, a worker when the
master lists it ALIVE. Fake UIs on localhost; the wait's clock and sleep are injected."""

from __future__ import annotations

import http.server
import json
import threading
from typing import ClassVar

import pytest

from spark_cluster import boot_check
from spark_cluster.boot_check import BootCheckError, probe, read_env_file, wait_until_ready


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


@pytest.fixture
def uis():
    servers = [http.server.HTTPServer(("127.0.0.1", 0), _Json) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    master, worker = (s.server_port for s in servers)
    yield {
        "master_port": master,
        "worker_port": worker,
        "env": {
            "SPARK_MASTER_UI_URL": f"http://127.0.0.1:{master}",
            "SPARK_WORKER_UI_URL": f"http://127.0.0.1:{worker}",
        },
    }
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_master_is_up_when_alive(uis):
    _Json.documents = {uis["master_port"]: {"status": "ALIVE", "workers": []}}
    assert probe("master", uis["env"]) is None
    _Json.documents = {uis["master_port"]: {"status": "RECOVERING"}}
    assert probe("master", uis["env"]).endswith("is RECOVERING, not ALIVE")


def test_a_worker_is_up_when_the_master_lists_it_alive(uis):
    master, worker = uis["master_port"], uis["worker_port"]
    _Json.documents = {worker: {"id": "worker-7"}, master: {"status": "ALIVE", "workers": []}}
    assert "worker-7 is not registered with the master" in probe("worker", uis["env"])
    _Json.documents[master]["workers"] = [{"id": "worker-7", "state": "DEAD"}]
    assert probe("worker", uis["env"]).endswith("reports the worker worker-7 DEAD")
    _Json.documents[master]["workers"] = [{"id": "worker-7", "state": "ALIVE"}]
    assert probe("worker", uis["env"]) is None


def test_nothing_answering_is_the_reason():
    env = {"SPARK_MASTER_UI_URL": "http://127.0.0.1:9", "SPARK_WORKER_UI_URL": "http://127.0.0.1:9"}
    assert probe("master", env) == "the Spark master at http://127.0.0.1:9 did not answer"
    assert probe("worker", env) == "the Spark worker at http://127.0.0.1:9 did not answer"
    assert "lacks SPARK_MASTER_UI_URL" in probe("worker", {})


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_the_wait_polls_until_ready_or_times_out_with_the_last_reason():
    clock = _Clock()
    answers = iter(["not yet", "not yet", None])
    took = wait_until_ready(
        "master", {}, timeout_s=60, interval_s=5, check=lambda *_: next(answers),
        clock=clock, sleep=clock.sleep,
    )  # fmt: skip
    assert took == 10
    clock = _Clock()
    with pytest.raises(BootCheckError, match=r"^the master is away within 12 s$"):
        wait_until_ready(
            "master", {}, timeout_s=12, interval_s=5, check=lambda *_: "the master is away",
            clock=clock, sleep=clock.sleep,
        )  # fmt: skip
    assert clock.now == 12  # the last sleep is cut to the deadline


def test_main_reads_cluster_env_and_exits_1_with_the_reason(tmp_path, capsys):
    env_file = tmp_path / "cluster.env"
    env_file.write_text(
        "# rendered\nSPARK_ROLE=master\nSPARK_MASTER_UI_URL=http://127.0.0.1:9\n", encoding="utf-8"
    )
    assert read_env_file(env_file)["SPARK_MASTER_UI_URL"] == "http://127.0.0.1:9"
    status = boot_check.main(
        ["--role", "master", "--env-file", str(env_file), "--timeout-seconds", "0"]
    )
    assert status == 1
    assert capsys.readouterr().err == (
        "spark-boot-check: the Spark master at http://127.0.0.1:9 did not answer within 0 s\n"
    )
