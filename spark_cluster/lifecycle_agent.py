"""The worker's lifecycle agent: drains a Spark worker before EC2 Auto Scaling or Spot takes
its instance away.

Runs under systemd on every worker (``python3 -m spark_cluster.lifecycle_agent``, the
environment from ``cluster.env``). Every 5 s it reads IMDSv2:

* ``autoscaling/target-lifecycle-state`` is ``Terminated`` when a scale-in chose this
  instance; the group's termination hook holds it in ``Terminating:Wait`` meanwhile.
* ``spot/instance-action`` appears two minutes before Spot reclaims the instance.

On either it sends SIGPWR to the worker JVM: Spark's decommission
(``spark.decommission.enabled``). The worker tells the master, the drivers stop scheduling on
its executors, and each executor finishes its running tasks, migrates its shuffle and cached
blocks to peers (or the fallback storage), and exits. The worker JVM itself stays up in state
DECOMMISSIONED, so the agent waits for the *executors* to exit, not for the JVM, recording
lifecycle heartbeats meanwhile so that the hook does not time out. The wait is bounded: by the
executor force-kill timeout for a scale-in (and the hook's global timeout), by the two-minute
notice for Spot. Then it stops the worker and calls ``CompleteLifecycleAction`` (CONTINUE).

Everything that touches the world is injected (IMDS, the Auto Scaling client, the worker's PID
and status, signals, the clock and sleep), so the same code runs on EC2, in the tests against a
fake IMDS and moto, and in ``python -m local_deploy cluster`` against a real local Spark.
Standard library plus boto3 only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spark_cluster.imds import IMDS_BASE_URL, ImdsClient, ImdsError

logger = logging.getLogger("spark_cluster.lifecycle_agent")

SCALE_IN = "scale-in"
SPOT_INTERRUPTION = "spot-interruption"
WORKER_MAIN_CLASS = "org.apache.spark.deploy.worker.Worker"
EXECUTOR_MAIN_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend"
LAUNCHER_MAIN_CLASS = "org.apache.spark.launcher.Main"
#: A Spot instance is reclaimed two minutes after the notice; leave time to stop and complete.
SPOT_DRAIN_LIMIT_S = 100.0
#: The hook's global timeout is 100 x its heartbeat timeout, at most 48 hours.
GLOBAL_TIMEOUT_CAP_S = 172_800


class AgentConfigError(ValueError):
    """Missing or malformed settings; the message names the variable and what is allowed."""


@dataclass(frozen=True)
class AgentConfig:
    """What the agent needs to know; on EC2 it comes from ``cluster.env``."""

    group_name: str
    hook_name: str
    worker_ui_url: str
    master_ui_url: str | None = None
    hook_timeout_s: int = 900
    """The termination hook's heartbeat timeout: heartbeats go out every third of it."""
    drain_timeout_s: int = 600
    """How long executors may take to drain (Spark force-kills them by then anyway)."""
    poll_interval_s: float = 5.0
    drain_poll_s: float = 1.0
    stop_grace_s: float = 60.0
    imds_url: str = IMDS_BASE_URL
    worker_pid_file: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        if not self.group_name:
            raise AgentConfigError("SPARK_WORKER_GROUP_NAME: empty; allowed: the worker group")
        if not self.hook_name:
            raise AgentConfigError("SPARK_LIFECYCLE_HOOK_NAME: empty; allowed: the hook's name")
        if not 30 <= self.hook_timeout_s <= 7200:
            raise AgentConfigError(
                f"SPARK_LIFECYCLE_HOOK_TIMEOUT_SECONDS: got {self.hook_timeout_s}; allowed: 30-7200"
            )
        if self.drain_timeout_s < 1:
            raise AgentConfigError(
                f"SPARK_DECOMMISSION_TIMEOUT_SECONDS: got {self.drain_timeout_s}; allowed: >= 1"
            )
        if self.poll_interval_s <= 0:
            raise AgentConfigError(
                f"SPARK_AGENT_POLL_SECONDS: got {self.poll_interval_s}; allowed: > 0"
            )

    @property
    def heartbeat_interval_s(self) -> float:
        return self.hook_timeout_s / 3

    @property
    def drain_limit_s(self) -> float:
        """A scale-in's drain bound: the decommission timeout, within the global timeout."""
        global_timeout = min(100 * self.hook_timeout_s, GLOBAL_TIMEOUT_CAP_S)
        return float(min(self.drain_timeout_s + 30, global_timeout - self.stop_grace_s - 30))

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> AgentConfig:
        """The variables ``node_config.cluster_env`` writes, plus optional SPARK_AGENT_*."""

        def number(name: str, default: float) -> float:
            raw = env.get(name, "")
            if not raw:
                return default
            try:
                return float(raw)
            except ValueError:
                raise AgentConfigError(f"{name}: got {raw!r}; allowed: a number") from None

        return cls(
            group_name=env.get("SPARK_WORKER_GROUP_NAME", ""),
            hook_name=env.get("SPARK_LIFECYCLE_HOOK_NAME", ""),
            worker_ui_url=env.get("SPARK_WORKER_UI_URL", "http://127.0.0.1:8081"),
            master_ui_url=env.get("SPARK_MASTER_UI_URL") or None,
            hook_timeout_s=int(number("SPARK_LIFECYCLE_HOOK_TIMEOUT_SECONDS", 900)),
            drain_timeout_s=int(number("SPARK_DECOMMISSION_TIMEOUT_SECONDS", 600)),
            poll_interval_s=number("SPARK_AGENT_POLL_SECONDS", 5.0),
            imds_url=env.get("SPARK_AGENT_IMDS_URL") or IMDS_BASE_URL,
            worker_pid_file=env.get("SPARK_WORKER_PID_FILE") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        )


# --- the worker, seen from its host ----------------------------------------------------------


def _get_json(url: str, timeout_s: float = 2.0) -> Any:  # noqa: ANN401 - any JSON document
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.loads(response.read().decode())


def _proc_cmdline(pid: int, proc: Path) -> str:
    try:
        return (proc / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _proc_parent(pid: int, proc: Path) -> int | None:
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces: the parent is the 2nd field after it.
    return int(stat.rsplit(")", 1)[1].split()[1])


def find_worker_pid(proc: Path = Path("/proc")) -> int:
    """The PID of this host's Spark worker JVM (systemd's spark-class execs into it).

    While spark-class starts, its bash process and Spark's launcher JVM also carry the main
    class on their command lines; only a ``java`` process that is not the launcher counts.
    """
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        words = _proc_cmdline(int(entry.name), proc).split()
        if (
            words
            and words[0].endswith("java")
            and WORKER_MAIN_CLASS in words
            and LAUNCHER_MAIN_CLASS not in words
        ):
            return int(entry.name)
    raise RuntimeError(f"no process runs {WORKER_MAIN_CLASS} on this host")


def executor_pids(worker_pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Executor JVMs the worker started (its children running CoarseGrainedExecutorBackend)."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if _proc_parent(pid, proc) == worker_pid and EXECUTOR_MAIN_CLASS in _proc_cmdline(
            pid, proc
        ):
            found.append(pid)
    return found


class WorkerStatus:
    """The worker's executors (its own ``/json/``) and its state at the master's ``/json/``.

    When the worker's UI does not answer, the process tree stands in: executors are the
    worker JVM's ``CoarseGrainedExecutorBackend`` children.
    """

    def __init__(
        self,
        worker_ui_url: str,
        master_ui_url: str | None = None,
        *,
        timeout_s: float = 2.0,
        proc: Path = Path("/proc"),
    ) -> None:
        self.worker_ui_url = worker_ui_url.rstrip("/")
        self.master_ui_url = master_ui_url.rstrip("/") if master_ui_url else None
        self.timeout_s = timeout_s
        self.proc = proc
        self._worker_id: str | None = None

    def worker_id(self) -> str | None:
        if self._worker_id is None:
            try:
                self._worker_id = _get_json(f"{self.worker_ui_url}/json/", self.timeout_s)["id"]
            except (OSError, ValueError, KeyError):
                return None
        return self._worker_id

    def executors(self, worker_pid: int) -> list[str]:
        """IDs (``app/executor``) of the executors still running on this worker."""
        try:
            status = _get_json(f"{self.worker_ui_url}/json/", self.timeout_s)
        except (OSError, ValueError):
            return [f"pid/{pid}" for pid in executor_pids(worker_pid, self.proc)]
        self._worker_id = status.get("id", self._worker_id)
        return [f"{e.get('appid')}/{e.get('id')}" for e in status.get("executors", [])]

    def state_at_master(self) -> str | None:
        """ALIVE, DECOMMISSIONED, DEAD... as the master reports this worker; None if unknown."""
        worker_id = self.worker_id()
        if not (self.master_ui_url and worker_id):
            return None
        try:
            status = _get_json(f"{self.master_ui_url}/json/", self.timeout_s)
        except (OSError, ValueError):
            return None
        for worker in status.get("workers", []):
            if worker.get("id") == worker_id:
                return str(worker.get("state"))
        return None


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# --- the agent -------------------------------------------------------------------------------


@dataclass
class DrainReport:
    """What one drain did, for the log and for the local run's summary."""

    reason: str
    worker_pid: int
    executors_at_signal: list[str] = field(default_factory=list)
    drain_s: float = 0.0
    """Seconds from SIGPWR until no executor ran on the worker (or the bound was reached)."""
    timed_out: bool = False
    heartbeats: int = 0
    master_state: str | None = None
    """The worker's state at the master once drained (DECOMMISSIONED when all went well)."""
    worker_stopped: bool = False
    lifecycle_completed: bool = False


class LifecycleAgent:
    """Polls IMDS; drains, stops and releases the worker when its instance is going away."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        imds: ImdsClient,
        autoscaling: Any,  # noqa: ANN401 - a boto3 Auto Scaling client
        worker_pid: Callable[[], int] | None = None,
        status: WorkerStatus | None = None,
        send_signal: Callable[[int, int], None] = os.kill,
        alive: Callable[[int], bool] = process_alive,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.imds = imds
        self.autoscaling = autoscaling
        self._worker_pid = worker_pid or self._default_worker_pid
        self.status = status or WorkerStatus(config.worker_ui_url, config.master_ui_url)
        self.send_signal = send_signal
        self.alive = alive
        self.monotonic = monotonic
        self.sleep = sleep
        self._instance_id: str | None = None

    def _default_worker_pid(self) -> int:
        if self.config.worker_pid_file:
            return int(Path(self.config.worker_pid_file).read_text().strip())
        return find_worker_pid()

    @property
    def instance_id(self) -> str:
        if self._instance_id is None:
            self._instance_id = self.imds.instance_id()
        return self._instance_id

    def poll(self) -> str | None:
        """SCALE_IN, SPOT_INTERRUPTION or None. Raises ImdsError when IMDS cannot be read."""
        if self.imds.target_lifecycle_state() == "Terminated":
            return SCALE_IN
        notice = self.imds.spot_instance_action()
        if notice and notice.get("action") in ("terminate", "stop", "hibernate"):
            return SPOT_INTERRUPTION
        return None

    def _heartbeat(self) -> bool:
        try:
            self.autoscaling.record_lifecycle_action_heartbeat(
                LifecycleHookName=self.config.hook_name,
                AutoScalingGroupName=self.config.group_name,
                InstanceId=self.instance_id,
            )
        except Exception as error:  # a missed heartbeat must not stop the drain
            logger.warning("lifecycle heartbeat failed: %s", error)
            return False
        return True

    def drain(self, reason: str) -> DrainReport:
        """SIGPWR the worker, wait for its executors to exit (bounded), then stop the worker."""
        pid = self._worker_pid()
        report = DrainReport(reason=reason, worker_pid=pid)
        report.executors_at_signal = self.status.executors(pid)
        limit = SPOT_DRAIN_LIMIT_S if reason == SPOT_INTERRUPTION else self.config.drain_limit_s
        logger.info(
            "%s: SIGPWR to worker %d with %d executor(s): %s; waiting up to %.0f s",
            reason,
            pid,
            len(report.executors_at_signal),
            ", ".join(report.executors_at_signal) or "none",
            limit,
        )
        self.send_signal(pid, signal.SIGPWR)
        started = self.monotonic()
        next_heartbeat = started + self.config.heartbeat_interval_s
        while True:
            remaining = self.status.executors(pid)
            now = self.monotonic()
            if not remaining:
                break
            if now - started >= limit:
                report.timed_out = True
                logger.warning("drain bound of %.0f s reached; %s still run", limit, remaining)
                break
            if reason == SCALE_IN and now >= next_heartbeat:
                report.heartbeats += self._heartbeat()
                next_heartbeat = now + self.config.heartbeat_interval_s
            self.sleep(self.config.drain_poll_s)
        report.drain_s = self.monotonic() - started
        report.master_state = self.status.state_at_master()
        logger.info(
            "executors drained in %.1f s (%d heartbeat(s)); master reports the worker %s",
            report.drain_s,
            report.heartbeats,
            report.master_state or "unknown",
        )
        report.worker_stopped = self.stop_worker(pid)
        return report

    def stop_worker(self, pid: int) -> bool:
        """SIGTERM, then SIGKILL after the grace period; True once the JVM is gone."""
        try:
            self.send_signal(pid, signal.SIGTERM)
        except ProcessLookupError:
            return True
        deadline = self.monotonic() + self.config.stop_grace_s
        while self.monotonic() < deadline:
            if not self.alive(pid):
                logger.info("worker %d stopped", pid)
                return True
            self.sleep(0.5)
        logger.warning(
            "worker %d ignored SIGTERM for %.0f s: SIGKILL", pid, self.config.stop_grace_s
        )
        with contextlib.suppress(ProcessLookupError):
            self.send_signal(pid, signal.SIGKILL)
        return not self.alive(pid)

    def complete(self) -> bool:
        """CompleteLifecycleAction(CONTINUE): Auto Scaling may now terminate the instance."""
        try:
            self.autoscaling.complete_lifecycle_action(
                LifecycleHookName=self.config.hook_name,
                AutoScalingGroupName=self.config.group_name,
                LifecycleActionResult="CONTINUE",
                InstanceId=self.instance_id,
            )
        except Exception as error:  # e.g. the hook already timed out: the instance goes anyway
            logger.error("CompleteLifecycleAction failed: %s", error)
            return False
        logger.info(
            "lifecycle action completed (CONTINUE) for %s in %s",
            self.instance_id,
            self.config.group_name,
        )
        return True

    def run(
        self, *, max_polls: int | None = None, until: Callable[[], bool] | None = None
    ) -> DrainReport | None:
        """Poll until the instance is terminated; returns the drain's report.

        ``max_polls`` and ``until`` (checked before each poll) end the loop early: tests, and a
        local run whose agents are threads, use them; on EC2 the agent polls for ever.

        A Spot notice drains at once and stops the worker; the lifecycle action is completed
        when Auto Scaling then moves the instance to Terminated. IMDS errors are logged and
        retried at the next poll: the agent must outlive a transient failure.
        """
        drained: DrainReport | None = None
        polls = 0
        while max_polls is None or polls < max_polls:
            if until is not None and until():
                break
            polls += 1
            try:
                event = self.poll()
            except ImdsError as error:
                logger.error("%s", error)
                event = None
            if event == SCALE_IN:
                report = drained or self.drain(SCALE_IN)
                report.lifecycle_completed = self.complete()
                return report
            if event == SPOT_INTERRUPTION and drained is None:
                drained = self.drain(SPOT_INTERRUPTION)
            self.sleep(self.config.poll_interval_s)
        return drained


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the agent under systemd; exit 2 with one line when its settings are wrong."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = AgentConfig.from_environment(os.environ if env is None else env)
    except AgentConfigError as error:
        print(f"error: lifecycle_agent: {error}", file=sys.stderr)
        return 2
    import boto3  # noqa: PLC0415 - only the running agent needs it

    agent = LifecycleAgent(
        config,
        imds=ImdsClient(config.imds_url),
        autoscaling=boto3.client("autoscaling", region_name=config.region),
    )
    agent.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
