"""``python -m local_deploy cluster``: the deployed ClusterStack, run as a real local Spark.

It reads the emulator: the ClusterStack's outputs (worker group, lifecycle hook, secret), the
hook's timeout, the worker group's desired capacity, and the lake's curated and analytics
buckets. Then it

1. renders the master's and workers' configuration with ``spark_cluster.node_config`` (the
   code the instances run at boot) and the secret from the emulated Secrets Manager;
2. starts a real Spark 3.5 standalone master and one worker per instance of the worker group
   (at least 2: the group is raised to 2 in the emulator if it has fewer), authentication and
   encryption on;
3. stages the curated zone's ``events/`` from the emulated S3 into a local folder (pyspark's
   wheel has no ``hadoop-aws``, so no ``s3a://`` locally; an empty zone is first filled with
   deterministic sample events, and the summary says so), runs the sample job, checks its
   answer, and uploads its output to the analytics zone's ``spark/events_per_day/``;
4. plays a scale-in through the lifecycle agent (see ``local_deploy.cluster_scenario``);
5. stops every process it started, by PID, and prints a summary with the drain time.
"""

from __future__ import annotations

import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_deploy import deployment, server
from local_deploy.access import clients_as
from local_deploy.cluster_scenario import ScenarioReport, play, write_sample_events
from local_deploy.cluster_spark import LocalClusterError, LocalClusterSpec, LocalSparkCluster
from local_deploy.settings import LocalSettings

CLUSTER_STACK = "ClusterStack"
LAKE_STACK = "DataLakeStack"
EVENTS_PREFIX = "events/"
OUTPUT_PREFIX = "spark/events_per_day/"
MIN_WORKERS = 2


@dataclass(frozen=True)
class DeployedCluster:
    """What the local run takes from the emulator."""

    group_name: str
    hook_name: str
    hook_timeout_s: int
    secret: str
    worker_role_arn: str
    curated_bucket: str
    analytics_bucket: str
    cluster_name: str
    decommission_timeout_s: int


def _outputs(settings: LocalSettings, stack_id: str) -> dict[str, str]:
    stacks = {s.artifact_id: s for s in deployment.assembly_stacks(settings.assembly_dir)}
    if stack_id not in stacks:
        raise LocalClusterError(f"{stack_id} is not in the app of profile {settings.profile}")
    outputs = deployment.stack_outputs(settings, stacks[stack_id].stack_name)
    if outputs is None:
        raise LocalClusterError(f"{stack_id} is not deployed; run `make deploy-local` first")
    return outputs


def node_role_arn(settings: LocalSettings, group_name: str) -> str:
    """The role a group's instances run as: its launch template's instance profile's."""
    group = deployment.client(settings, "autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[group_name]
    )["AutoScalingGroups"][0]
    template = (
        group.get("LaunchTemplate")
        or group["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"]
    )
    version = deployment.client(settings, "ec2").describe_launch_template_versions(
        LaunchTemplateId=template["LaunchTemplateId"],
        Versions=[str(template.get("Version", "$Latest"))],
    )["LaunchTemplateVersions"][0]
    profile = version["LaunchTemplateData"]["IamInstanceProfile"]
    name = profile.get("Name") or profile["Arn"].rsplit("/", 1)[-1]
    roles = deployment.client(settings, "iam").get_instance_profile(InstanceProfileName=name)[
        "InstanceProfile"
    ]["Roles"]
    if len(roles) != 1:
        raise LocalClusterError(f"{group_name}: instance profile {name} holds {len(roles)} roles")
    return str(roles[0]["Arn"])


def as_node(settings: LocalSettings, role_arn: str, service: str) -> Any:  # noqa: ANN401 - boto3
    """A client of `service` whose calls are authorized as the node role `role_arn`."""
    return clients_as(
        lambda name: deployment.client(settings, name), settings.region, role_arn, (service,)
    )(service)


def cluster_deployed(settings: LocalSettings) -> bool:
    """Whether the emulator runs and holds the profile's ClusterStack."""
    if (
        server.running_pid(settings) is None
        or not (settings.assembly_dir / "manifest.json").exists()
    ):
        return False
    stacks = {s.artifact_id: s for s in deployment.assembly_stacks(settings.assembly_dir)}
    return CLUSTER_STACK in stacks and stacks[
        CLUSTER_STACK
    ].stack_name in deployment.deployed_stack_names(settings)


def deployed_cluster(settings: LocalSettings) -> DeployedCluster:
    """The deployed ClusterStack and lake, read from the emulator (and the profile's config)."""
    if not (settings.assembly_dir / "manifest.json").exists():
        raise LocalClusterError(
            f"no synthesized app in {settings.assembly_dir}; run `make deploy-local`"
        )
    cluster = _outputs(settings, CLUSTER_STACK)
    lake = _outputs(settings, LAKE_STACK)
    autoscaling = deployment.client(settings, "autoscaling")
    hooks = autoscaling.describe_lifecycle_hooks(
        AutoScalingGroupName=cluster["WorkerGroupName"],
        LifecycleHookNames=[cluster["LifecycleHookName"]],
    )["LifecycleHooks"]
    if not hooks:
        raise LocalClusterError(f"the worker group has no hook {cluster['LifecycleHookName']}")
    # Each node reads the secret at boot, as its instance profile's role: authorized as AWS would.
    roles = {
        group: node_role_arn(settings, cluster[output])
        for group, output in (("master", "MasterGroupName"), ("workers", "WorkerGroupName"))
    }
    secrets = [
        as_node(settings, role, "secretsmanager").get_secret_value(SecretId=cluster["SecretArn"])[
            "SecretString"
        ]
        for role in roles.values()
    ]
    secret = secrets[0]
    config = deployment.profile_config(settings.profile).cluster
    return DeployedCluster(
        group_name=cluster["WorkerGroupName"],
        hook_name=cluster["LifecycleHookName"],
        hook_timeout_s=int(hooks[0]["HeartbeatTimeout"]),
        secret=secret,
        worker_role_arn=roles["workers"],
        curated_bucket=lake["CuratedBucketName"],
        analytics_bucket=lake["AnalyticsBucketName"],
        cluster_name=config.name,
        decommission_timeout_s=config.workers.decommission_timeout_seconds,
    )


def worker_instances(autoscaling: Any, group_name: str, *, minimum: int) -> list[str]:  # noqa: ANN401
    """The group's InService instances, after raising its capacity to ``minimum`` if lower."""
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])[
        "AutoScalingGroups"
    ][0]
    if group["DesiredCapacity"] < minimum:
        autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=group_name,
            MaxSize=max(group["MaxSize"], minimum),
            DesiredCapacity=minimum,
        )
        group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])[
            "AutoScalingGroups"
        ][0]
    return [i["InstanceId"] for i in group["Instances"] if i["LifecycleState"] == "InService"]


def stage_curated_events(
    s3: Any,  # noqa: ANN401 - boto3: the workers' reads
    bucket: str,
    folder: Path,
    *,
    seeder: Any = None,  # noqa: ANN401 - boto3: who fills an empty zone (the cluster may not)
) -> tuple[int, bool]:
    """Download ``events/`` Parquet into ``folder``; fill an empty zone with sample events
    first. Returns (files staged, whether sample events were written)."""
    keys = _parquet_keys(s3, bucket, EVENTS_PREFIX)
    generated = False
    if not keys:
        sample = folder.parent / "sample-events"
        write_sample_events(sample)
        for path in sorted(sample.rglob("*.parquet")):
            (seeder or s3).upload_file(
                str(path), bucket, f"{EVENTS_PREFIX}{path.relative_to(sample)}"
            )
        keys = _parquet_keys(s3, bucket, EVENTS_PREFIX)
        generated = True
    for key in keys:
        target = folder / key.removeprefix(EVENTS_PREFIX)
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))
    return len(keys), generated


def _parquet_keys(s3: Any, bucket: str, prefix: str) -> list[str]:  # noqa: ANN401
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".parquet")]
    return keys


def upload_output(s3: Any, bucket: str, folder: Path, prefix: str) -> list[str]:  # noqa: ANN401
    """Upload a job's Parquet output (not Spark's _SUCCESS or .crc files) under ``prefix``."""
    uploaded = []
    for path in sorted(folder.glob("*.parquet")):
        key = f"{prefix}{path.name}"
        s3.upload_file(str(path), bucket, key)
        uploaded.append(f"s3://{bucket}/{key}")
    return uploaded


def run(settings: LocalSettings, *, workers: int | None = None, keep: bool = False) -> int:
    """The whole local run; 0 when every check held, 1 otherwise (the summary says which)."""
    began = time.monotonic()
    if server.running_pid(settings) is None:
        print(f"no emulator runs on port {settings.port}; start it with `make deploy-local`")
        return 1
    deployed = deployed_cluster(settings)
    autoscaling = deployment.client(settings, "autoscaling")
    # The jobs read the curated zone and write the analytics zone as the workers' role.
    s3 = as_node(settings, deployed.worker_role_arn, "s3")
    # One local worker per instance of the group (at least 2, so that one can be drained).
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[deployed.group_name])
    desired = int(group["AutoScalingGroups"][0]["DesiredCapacity"])
    count = max(MIN_WORKERS, desired, workers or 0)
    instance_ids = worker_instances(autoscaling, deployed.group_name, minimum=count)[:count]
    if len(instance_ids) < count:
        raise LocalClusterError(f"worker group has {len(instance_ids)} InService instance(s)")
    root = settings.state_dir / f"cluster-{settings.port}"
    shutil.rmtree(root, ignore_errors=True)
    input_dir = root / "input" / "events"
    staged, generated = stage_curated_events(
        s3, deployed.curated_bucket, input_dir, seeder=deployment.client(settings, "s3")
    )
    print(
        f"staged {staged} Parquet file(s) from s3://{deployed.curated_bucket}/{EVENTS_PREFIX}"
        + (" (the zone was empty: wrote deterministic sample events first)" if generated else "")
    )
    spec = LocalClusterSpec(
        root=root / "spark",
        workers=count,
        auth_secret=deployed.secret,
        cluster_name=deployed.cluster_name,
        decommission_timeout_seconds=deployed.decommission_timeout_s,
        worker_group_name=deployed.group_name,
        lifecycle_hook_name=deployed.hook_name,
        lifecycle_hook_timeout_seconds=deployed.hook_timeout_s,
    )
    spark = LocalSparkCluster(spec)
    report: ScenarioReport | None = None
    uploaded: list[str] = []
    error: LocalClusterError | None = None
    try:
        spark.start()
        print(f"master and {count} workers ALIVE ({time.monotonic() - began:.1f} s in)")
        report = play(
            spark,
            autoscaling_factory=lambda: deployment.client(settings, "autoscaling"),
            group_name=deployed.group_name,
            hook_name=deployed.hook_name,
            instance_ids=instance_ids,
            input_dir=input_dir,
            hook_timeout_s=deployed.hook_timeout_s,
        )
        run_id = uuid.uuid4().hex[:12]
        for name, folder in report.outputs.items():
            prefix = f"{OUTPUT_PREFIX}run={run_id}-{name}/"
            uploaded += upload_output(s3, deployed.analytics_bucket, folder, prefix)
    except LocalClusterError as failure:
        error = failure
    finally:
        stopped = spark.stop()  # every process, by PID, whatever happened above
    _summary(report, stopped, uploaded, deployed, elapsed=time.monotonic() - began)
    if not keep:
        shutil.rmtree(root / "input", ignore_errors=True)
    print(f"logs and rendered configuration: {root / 'spark'}")
    if error is not None:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0 if report is not None and report.passed else 1


def _summary(
    report: ScenarioReport | None,
    stopped: list[Any],
    uploaded: list[str],
    deployed: DeployedCluster,
    *,
    elapsed: float,
) -> None:
    print("\nProcesses stopped (by PID):")
    for entry in stopped:
        print(f"  {entry.name:<8} pid {entry.pid:<7} {entry.how}")
    print("\nSummary:")
    if report is None:
        print("  the scenario did not finish (see the error above)")
        return
    drain = report.drain
    lines = [
        ("job-1 (events per day and type) right", report.first_job_correct),
        ("job-2 (across the decommission) right", report.second_job_correct),
        (
            "master reported the worker DECOMMISSIONED",
            bool(drain and drain.master_state == "DECOMMISSIONED"),
        ),
        ("executors drained within the bound", bool(drain and not drain.timed_out)),
        ("worker stopped by the agent", bool(drain and drain.worker_stopped)),
        ("lifecycle action completed (CONTINUE)", bool(drain and drain.lifecycle_completed)),
        ("instance left the worker group", report.instance_left_group),
        ("other workers' agents stayed idle", report.other_agents_idle),
    ]
    for text, ok in lines:
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")
    if drain is not None:
        print(
            f"  drain time (SIGPWR to the last executor's exit): {drain.drain_s:.1f} s, "
            f"{len(drain.executors_at_signal)} executor(s), {drain.heartbeats} heartbeat(s); "
            f"{report.drained_worker} = {report.chosen_instance} in {deployed.group_name}"
        )
    jobs = f"job-1 {report.first_job_s:.1f} s, job-2 {report.second_job_s:.1f} s"
    print(f"  {jobs}; total {elapsed:.1f} s")
    for location in uploaded:
        print(f"  wrote {location}")
