"""The local cluster's scenario, independent of where the Auto Scaling group lives.

Given a started :class:`~local_deploy.cluster_spark.LocalSparkCluster`, an Auto Scaling client
(the emulator's, or an in-process moto's in the tests) and the worker group's instances (one per
local worker), it:

1. runs the sample job on the staged curated events and checks its answer;
2. runs it again, slowed down, and while its executors work lowers the group's desired
   capacity by one: Auto Scaling holds the chosen instance in ``Terminating:Wait``, and every
   worker's lifecycle agent (the code that runs on EC2, in a thread here) reads a local
   stand-in for IMDSv2 whose ``target-lifecycle-state`` is the instance's state in Auto
   Scaling. The chosen worker's agent decommissions it (SIGPWR), waits for its executors,
   stops it and completes the lifecycle action;
3. checks that the master reported that worker DECOMMISSIONED, that the second job's answer
   is right, and that the instance left the group.

The drain time (SIGPWR to the last executor's exit) is measured by the agent itself.
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from local_deploy.cluster_spark import LocalClusterError, LocalSparkCluster
from spark_cluster import imds as imds_module
from spark_cluster.imds import ImdsClient, LocalImds
from spark_cluster.lifecycle_agent import AgentConfig, DrainReport, LifecycleAgent

SAMPLE_JOB = Path(__file__).resolve().parent.parent / "spark_cluster" / "sample_job.py"
EVENT_TYPES = ("page_view", "search", "add_to_cart", "checkout", "purchase")
#: Fixed days for generated sample events: nothing here reads today's date.
SAMPLE_DAYS = (date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22))
#: 15 result rows need no 200 shuffle partitions (Spark's default), locally.
SHUFFLE = ("--shuffle-partitions", "4")

Row = tuple[str, str, int, int]


def write_sample_events(folder: Path, *, rows_per_day: int = 400, seed: int = 7) -> int:
    """Deterministic curated events as the lake stores them: ``dt=YYYY-MM-DD/*.parquet``."""
    import pyarrow as pa  # noqa: PLC0415 - only the local cluster needs pyarrow
    import pyarrow.parquet as pq  # noqa: PLC0415

    rng = random.Random(seed)
    written = 0
    for day in SAMPLE_DAYS:
        start = datetime(day.year, day.month, day.day)
        table = pa.table(
            {
                "event_id": [f"{day.isoformat()}-{i:05d}" for i in range(rows_per_day)],
                "event_type": [rng.choice(EVENT_TYPES) for _ in range(rows_per_day)],
                "event_time": [
                    start + timedelta(seconds=rng.randrange(86400)) for _ in range(rows_per_day)
                ],
                "user_id": [f"user-{rng.randrange(60):03d}" for _ in range(rows_per_day)],
            }
        )
        partition = folder / f"dt={day.isoformat()}"
        partition.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, partition / "part-00000.parquet")
        written += rows_per_day
    return written


def expected_counts(folder: Path) -> list[Row]:
    """Events and distinct users per (dt, event_type), computed without Spark."""
    import pyarrow.dataset as ds  # noqa: PLC0415

    dataset = ds.dataset(str(folder), format="parquet", partitioning="hive")
    table = dataset.to_table(columns=["dt", "event_type", "user_id"])
    events: Counter[tuple[str, str]] = Counter()
    users: dict[tuple[str, str], set[str]] = defaultdict(set)
    for dt, event_type, user in zip(
        table["dt"].to_pylist(),
        table["event_type"].to_pylist(),
        table["user_id"].to_pylist(),
        strict=True,
    ):
        key = (str(dt), event_type)
        events[key] += 1
        users[key].add(user)
    return sorted((dt, kind, events[(dt, kind)], len(users[(dt, kind)])) for dt, kind in events)


def read_result(folder: Path) -> list[Row]:
    """The sample job's output rows, sorted."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    table = pq.read_table(str(folder))
    return sorted(
        (str(r["dt"]), r["event_type"], int(r["events"]), int(r["users"]))
        for r in table.to_pylist()
    )


@dataclass
class ScenarioReport:
    """What the scenario did and measured."""

    first_job_s: float = 0.0
    first_job_correct: bool = False
    second_job_s: float = 0.0
    second_job_correct: bool = False
    rows: int = 0
    chosen_instance: str = ""
    drained_worker: str = ""
    drain: DrainReport | None = None
    master_state_after_drain: str | None = None
    instance_left_group: bool = False
    other_agents_idle: bool = False
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        drain = self.drain
        return bool(
            self.first_job_correct
            and self.second_job_correct
            and drain
            and drain.master_state == "DECOMMISSIONED"
            and not drain.timed_out
            and drain.worker_stopped
            and drain.lifecycle_completed
            and self.instance_left_group
            and self.other_agents_idle
        )


def _lifecycle_state(autoscaling: Any, instance_id: str) -> str | None:  # noqa: ANN401
    """What IMDS's target-lifecycle-state would say for the instance, read from Auto Scaling."""
    found = autoscaling.describe_auto_scaling_instances(InstanceIds=[instance_id])
    states = [i["LifecycleState"] for i in found["AutoScalingInstances"]]
    if not states:
        return "Terminated"
    state = states[0]
    if state.startswith("Terminating") or state == "Terminated":
        return "Terminated"
    if state.startswith(("Pending", "Warmed")):
        return state.split(":")[0]
    return "InService" if state.startswith("InService") else state


@dataclass
class _AgentThread:
    worker_name: str
    instance_id: str
    imds: LocalImds
    agent: LifecycleAgent
    thread: threading.Thread | None = None
    report: DrainReport | None = None
    error: BaseException | None = None


def play(
    spark: LocalSparkCluster,
    *,
    autoscaling_factory: Callable[[], Any],
    group_name: str,
    hook_name: str,
    instance_ids: list[str],
    input_dir: Path,
    hook_timeout_s: int,
    log: Callable[[str], None] = print,
    job_timeout_s: float = 240.0,
) -> ScenarioReport:
    """Run the two jobs and the scale-in (see the module docstring); never raises on a wrong
    answer (the report says), only when the cluster itself breaks."""
    if len(instance_ids) != len(spark.workers):
        raise LocalClusterError(
            f"{len(instance_ids)} instance(s) for {len(spark.workers)} local worker(s)"
        )
    report = ScenarioReport()
    expected = expected_counts(input_dir)
    report.rows = len(expected)
    _first_job(
        spark, report, input_dir=input_dir, expected=expected, log=log, timeout_s=job_timeout_s
    )

    stop = threading.Event()
    agents = [
        _agent_thread(
            spark,
            index=index,
            instance_id=instance_id,
            autoscaling_factory=autoscaling_factory,
            group_name=group_name,
            hook_name=hook_name,
            hook_timeout_s=hook_timeout_s,
        )
        for index, instance_id in enumerate(instance_ids)
    ]
    try:
        for entry in agents:
            entry.imds.start()
            entry.thread = threading.Thread(target=_run_agent, args=(entry, stop), daemon=True)
            entry.thread.start()
        second = spark.spec.root / "output-second"
        started = time.monotonic()
        driver, deadline = _start_second_job(spark, input_dir, second, job_timeout_s)
        autoscaling = autoscaling_factory()
        chosen = _scale_in(
            autoscaling,
            group_name,
            instance_ids=instance_ids,
            agents=agents,
            report=report,
            log=log,
        )
        assert chosen.thread is not None
        chosen.thread.join(timeout=hook_timeout_s)
        if chosen.error is not None:
            raise LocalClusterError(f"the agent of {chosen.worker_name} failed: {chosen.error}")
        report.drain = chosen.report
        report.master_state_after_drain = spark.worker_state(
            next(n for n in spark.workers if n.name == chosen.worker_name)
        )
        spark.wait_for("job-2", driver, max(1.0, deadline - time.monotonic()))
        report.second_job_s = time.monotonic() - started
        report.second_job_correct = read_result(second) == expected
        report.outputs["second"] = second
        log(f"job-2: {report.second_job_s:.1f} s, right: {report.second_job_correct}")
        remaining = autoscaling.describe_auto_scaling_instances(InstanceIds=instance_ids)
        report.instance_left_group = report.chosen_instance not in {
            i["InstanceId"] for i in remaining["AutoScalingInstances"]
        }
        report.other_agents_idle = all(
            a.report is None and a.error is None for a in agents if a is not chosen
        )
    finally:
        stop.set()
        for entry in agents:
            if entry.thread is not None:
                entry.thread.join(timeout=10)
            entry.imds.close()
    return report


def _first_job(
    spark: LocalSparkCluster,
    report: ScenarioReport,
    *,
    input_dir: Path,
    expected: list[Row],
    log: Callable[[str], None],
    timeout_s: float,
) -> None:
    started = time.monotonic()
    first = spark.spec.root / "output-first"
    arguments = [str(SAMPLE_JOB), "--input", str(input_dir), "--output", str(first)]
    spark.submit([*arguments, *SHUFFLE], name="job-1", timeout_s=timeout_s)
    report.first_job_s = time.monotonic() - started
    report.first_job_correct = read_result(first) == expected
    report.outputs["first"] = first
    right = report.first_job_correct
    log(f"job-1: {report.rows} rows in {report.first_job_s:.1f} s, right: {right}")


def _start_second_job(
    spark: LocalSparkCluster, input_dir: Path, output: Path, timeout_s: float
) -> tuple[subprocess.Popen[bytes], float]:
    """Submit the slowed job; return once every worker's new executor runs its tasks."""
    earlier_logs = {log for node in spark.workers for log in spark.executor_logs(node)}
    driver = spark.submit(
        [
            str(SAMPLE_JOB),
            "--input",
            str(input_dir),
            "--output",
            str(output),
            "--partitions",
            "16",
            "--pause-per-partition",
            "0.5",
            "--app-name",
            "events-per-day-across-decommission",
            *SHUFFLE,
        ],
        name="job-2",
        wait=False,
    )
    deadline = time.monotonic() + timeout_s
    while not all(spark.busy_executor(n, ignore=earlier_logs) for n in spark.workers):
        if driver.poll() is not None or time.monotonic() > deadline:
            raise LocalClusterError("job-2 ended before every worker ran a task; see job-2.out")
        time.sleep(0.25)
    return driver, deadline


def _scale_in(
    autoscaling: Any,  # noqa: ANN401 - a boto3 Auto Scaling client
    group_name: str,
    *,
    instance_ids: list[str],
    agents: list[_AgentThread],
    report: ScenarioReport,
    log: Callable[[str], None],
) -> _AgentThread:
    """Lower the desired capacity by one; the agent of the instance Auto Scaling chose."""
    desired = _desired(autoscaling, group_name)
    log(f"every worker runs job-2's tasks: desired capacity {desired} -> {desired - 1}")
    autoscaling.set_desired_capacity(AutoScalingGroupName=group_name, DesiredCapacity=desired - 1)
    waiting = [i for i in instance_ids if _lifecycle_state(autoscaling, i) == "Terminated"]
    if len(waiting) != 1:
        raise LocalClusterError(f"expected one instance in Terminating:Wait, got {waiting}")
    report.chosen_instance = waiting[0]
    chosen = next(a for a in agents if a.instance_id == report.chosen_instance)
    report.drained_worker = chosen.worker_name
    log(f"Auto Scaling holds {report.chosen_instance} ({chosen.worker_name}) in Terminating:Wait")
    return chosen


def _desired(autoscaling: Any, group_name: str) -> int:  # noqa: ANN401
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])
    return int(groups["AutoScalingGroups"][0]["DesiredCapacity"])


def _agent_thread(
    spark: LocalSparkCluster,
    *,
    index: int,
    instance_id: str,
    autoscaling_factory: Callable[[], Any],
    group_name: str,
    hook_name: str,
    hook_timeout_s: int,
) -> _AgentThread:
    node = spark.workers[index]
    reader = autoscaling_factory()
    stand_in = LocalImds(
        {
            imds_module.INSTANCE_ID: instance_id,
            imds_module.TARGET_LIFECYCLE_STATE: lambda: _lifecycle_state(reader, instance_id),
            imds_module.SPOT_INSTANCE_ACTION: None,
        }
    )
    assert spark.master is not None
    config = AgentConfig(
        group_name=group_name,
        hook_name=hook_name,
        worker_ui_url=node.ui_url,
        master_ui_url=spark.master.ui_url,
        hook_timeout_s=hook_timeout_s,
        drain_timeout_s=spark.spec.decommission_timeout_seconds,
        poll_interval_s=0.5,
        drain_poll_s=0.25,
        stop_grace_s=20.0,
        imds_url=stand_in.url,
    )
    agent = LifecycleAgent(
        config,
        imds=ImdsClient(stand_in.url),
        autoscaling=autoscaling_factory(),
        worker_pid=lambda: node.pid,
    )
    return _AgentThread(worker_name=node.name, instance_id=instance_id, imds=stand_in, agent=agent)


def _run_agent(entry: _AgentThread, stop: threading.Event) -> None:
    try:
        entry.report = entry.agent.run(until=stop.is_set)
    except BaseException as error:  # reported by play(), not lost in the thread
        entry.error = error
