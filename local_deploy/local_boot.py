"""The local boot: what a deployed Spark node does at the end of its boot, done on this machine
while the CDK CLI waits for it.

The ClusterStack's Auto Scaling groups have a CreationPolicy: CloudFormation (and the emulator,
see ``moto_cfn_models.cfn_signals``) keeps the stack CREATE_IN_PROGRESS until each group has
its SUCCESS signals, and rolls it back on a FAILURE or when the timeout passes. moto runs no
instance, so nothing would boot and nothing would signal. During ``cdk deploy``
(``local_deploy.cdk_cli.deploy``) a :class:`LocalBootWatcher` polls the emulator instead: for
each stack in CREATE_IN_PROGRESS whose groups wait for signals, it

1. reads each group's launch template user data (the ``bootstrap.env`` and ``boot.json`` the
   stack rendered: the node's role, its Spark settings, the secret's ARN);
2. boots those nodes as ``local_deploy.cluster`` runs them: a real local Spark master and
   workers, configured by ``spark_cluster.node_config`` with the secret from the emulated
   Secrets Manager, as many workers as the worker groups wait for (at least one);
3. waits until each node is up with the nodes' own check, ``spark_cluster.boot_check``
   (the master ALIVE, each worker registered with it);
4. sends SignalResource for each group: SUCCESS with one of the group's instance IDs per
   local node that came up, or FAILURE when the boot failed, printing the reason as a node's
   boot log would (the API carries no reason). Then it stops every process it started.

So a boot that fails is a failed deploy: the CLI reports the stack ROLLBACK_COMPLETE and the
group's ``Received FAILURE signal with UniqueId i-...`` event. A group whose user data is not a
Spark node's has no local boot: it is signalled FAILURE with that reason, not left to time out.
The CLI's deploy is synchronous per stack, so the boot runs on this thread beside it, while
the stack stays CREATE_IN_PROGRESS.
"""

from __future__ import annotations

import base64
import json
import shlex
import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_deploy.settings import LocalSettings
from moto_cfn_models.cfn_signals import WAITING_REASON
from spark_cluster import boot_check

SIGNALLED_TYPE = "AWS::AutoScaling::AutoScalingGroup"
BOOT_ENV = "/etc/spark-cluster/bootstrap.env"
BOOT_JSON = "/etc/spark-cluster/boot.json"
Clients = Callable[[str], Any]
"""A boto3 client by service name (the emulator's)."""


class LocalBootError(RuntimeError):
    """The local boot failed; the message is the reason signalled (and printed)."""


@dataclass(frozen=True)
class WaitingGroup:
    """A group of a stack being created whose CreationPolicy waits for signals."""

    stack_name: str
    logical_id: str
    group_name: str
    count: int
    instance_ids: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    """The launch template's bootstrap.env (ROLE, SIGNAL_*...); empty if it has none."""
    boot: Mapping[str, Any] = field(default_factory=dict)
    """The launch template's boot.json (settings, secret_id...); empty if it has none."""

    @property
    def role(self) -> str | None:
        return self.env.get("ROLE")


BootFunction = Callable[[list[WaitingGroup]], dict[str, int]]
"""Boots one stack's waiting groups; the number of nodes of each group (by logical ID) that
came up. Raises LocalBootError (the reason) when the boot failed."""


def parse_env(text: str) -> dict[str, str]:
    """A bootstrap.env (``NAME='value'`` lines, shell-quoted) as a dict."""
    env = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            words = shlex.split(value) or [""]
            env[name] = words[0]
    return env


def user_data_files(user_data_b64: str) -> dict[str, str]:
    """The files a ``#cloud-config`` user data writes, by path ({} for other user data)."""
    text = base64.b64decode(user_data_b64).decode("utf-8", errors="replace")
    header, _, body = text.partition("\n")
    if header.strip() != "#cloud-config":
        return {}
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return {f["path"]: f.get("content", "") for f in document.get("write_files", [])}


def _launch_template_id(group: Mapping[str, Any]) -> str | None:
    spec = group.get("LaunchTemplate") or (
        (group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate", {})
    ).get("LaunchTemplateSpecification")
    return (spec or {}).get("LaunchTemplateId")


def _node_files(ec2: Any, group: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:  # noqa: ANN401
    template_id = _launch_template_id(group)
    if template_id is None:
        return {}, {}
    versions = ec2.describe_launch_template_versions(
        LaunchTemplateId=template_id, Versions=["$Latest"]
    )["LaunchTemplateVersions"]
    user_data = versions[0]["LaunchTemplateData"].get("UserData", "") if versions else ""
    files = user_data_files(user_data) if user_data else {}
    env = parse_env(files.get(BOOT_ENV, ""))
    boot = json.loads(files[BOOT_JSON]) if BOOT_JSON in files else {}
    return env, boot


def _waiting_resources(cloudformation: Any, stack_id: str) -> dict[str, str]:  # noqa: ANN401
    """Logical ID -> physical ID of the stack's groups that wait for signals, from the event
    the emulator adds once every resource of the stack exists. Only events are read: listing
    the resources of a stack still being created would make moto create them (its resource
    map is lazy) on this thread too."""
    events = cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
    return {
        e["LogicalResourceId"]: e["PhysicalResourceId"]
        for e in events
        if e["ResourceType"] == SIGNALLED_TYPE
        and e["ResourceStatus"] == "CREATE_IN_PROGRESS"
        and (e.get("ResourceStatusReason") or "").startswith(WAITING_REASON)
    }


def waiting_groups(
    clients: Clients, handled: set[tuple[str, str]]
) -> dict[str, list[WaitingGroup]]:
    """Stack name -> its groups that wait for signals and have not been booted yet."""
    cloudformation, autoscaling, ec2 = (
        clients(s) for s in ("cloudformation", "autoscaling", "ec2")
    )
    found: dict[str, list[WaitingGroup]] = {}
    # ListStacks, not DescribeStacks: moto resolves a stack's Outputs when it describes it,
    # and would create the resources they name on this thread while the CLI's CreateStack
    # creates them on another. A summary names no output.
    in_progress = cloudformation.list_stacks(StackStatusFilter=["CREATE_IN_PROGRESS"])
    for stack in in_progress["StackSummaries"]:
        name, stack_id = stack["StackName"], stack["StackId"]
        waiting = {
            logical_id: physical_id
            for logical_id, physical_id in _waiting_resources(cloudformation, stack_id).items()
            if (stack_id, logical_id) not in handled
        }
        if not waiting:
            continue
        body = cloudformation.get_template(StackName=stack_id)["TemplateBody"]
        template = json.loads(body) if isinstance(body, str) else body
        for logical_id, group_name in waiting.items():
            resource = template["Resources"][logical_id]
            count = int(resource["CreationPolicy"]["ResourceSignal"].get("Count", 1))
            groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])[
                "AutoScalingGroups"
            ]
            if not groups:
                continue
            env, boot = _node_files(ec2, groups[0])
            found.setdefault(name, []).append(
                WaitingGroup(
                    stack_name=stack_id,
                    logical_id=logical_id,
                    group_name=group_name,
                    count=count,
                    instance_ids=tuple(i["InstanceId"] for i in groups[0]["Instances"]),
                    env=env,
                    boot=boot,
                )
            )
    return found


def signal_groups(
    clients: Clients,
    groups: list[WaitingGroup],
    booted: Mapping[str, int] | None,
    reason: str | None,
    log: Callable[[str], None] = print,
) -> None:
    """SUCCESS from one instance per node that came up; FAILURE for a group whose boot failed
    (``booted`` None, ``reason`` why) or came up short."""
    cloudformation = clients("cloudformation")
    for group in groups:
        up = (booted or {}).get(group.logical_id, 0)
        instances = list(group.instance_ids) or [f"local-{group.logical_id}"]
        if booted is None or up < group.count:
            why = reason or f"{up} of {group.count} node(s) came up"
            log(f"local boot: FAILED: {group.logical_id} ({group.group_name}): {why}")
            statuses = [("FAILURE", instances[0])]
        else:
            statuses = [("SUCCESS", instance) for instance in instances[: group.count]]
            if len(instances) < group.count:  # moto launched fewer: local IDs make up the count
                statuses += [
                    ("SUCCESS", f"local-{group.logical_id}-{index}")
                    for index in range(len(instances), group.count)
                ]
        for status, unique_id in statuses:
            cloudformation.signal_resource(
                StackName=group.stack_name,
                LogicalResourceId=group.logical_id,
                UniqueId=unique_id,
                Status=status,
            )
        log(f"local boot: signalled {statuses[0][0]} x{len(statuses)} to {group.logical_id}")


def boot_stack(
    clients: Clients,
    groups: list[WaitingGroup],
    boot: BootFunction,
    log: Callable[[str], None] = print,
) -> bool:
    """Boot one stack's waiting groups and signal each; whether every group came up."""
    if any(group.role is None for group in groups):
        missing = [g.logical_id for g in groups if g.role is None]
        reason = f"no local boot for {', '.join(missing)}: its user data is not a Spark node's"
        signal_groups(clients, groups, None, reason, log)
        return False
    try:
        booted = boot(groups)
    except LocalBootError as error:
        signal_groups(clients, groups, None, str(error), log)
        return False
    except Exception as error:  # a bug here must fail the stack now, not at its timeout
        signal_groups(clients, groups, None, f"{type(error).__name__}: {error}", log)
        raise
    signal_groups(clients, groups, booted, None, log)
    return all(booted.get(g.logical_id, 0) >= g.count for g in groups)


def spark_boot(
    state_dir: Path, clients: Clients, log: Callable[[str], None] = print
) -> BootFunction:
    """The boot of Spark nodes: a local master and workers (see the module's docstring)."""

    def boot(groups: list[WaitingGroup]) -> dict[str, int]:
        # Imported here: local Spark is needed only when a stack waits for it.
        from local_deploy.cluster_spark import (  # noqa: PLC0415
            LocalClusterError,
            LocalClusterSpec,
            LocalSparkCluster,
        )

        masters = [g for g in groups if g.role == "master"]
        workers = [g for g in groups if g.role == "worker"]
        first = (masters or workers)[0]
        settings = first.boot.get("settings", {})
        secret_id = first.boot.get("secret_id")
        if not secret_id:
            raise LocalBootError(f"{first.logical_id}: its boot.json names no secret_id")
        try:
            secret = clients("secretsmanager").get_secret_value(SecretId=secret_id)
        except Exception as error:  # the reason, as the node would log it
            raise LocalBootError(f"reading the Spark secret {secret_id}: {error}") from None
        root = state_dir / first.group_name
        shutil.rmtree(root, ignore_errors=True)  # a previous deploy's boot
        spec = LocalClusterSpec(
            root=root,
            workers=max(1, sum(g.count for g in workers)),
            auth_secret=secret["SecretString"],
            cluster_name=str(settings.get("cluster_name", "spark")),
            decommission_timeout_seconds=int(settings.get("decommission_timeout_seconds", 120)),
            worker_group_name=str(settings.get("worker_group_name", "")),
            lifecycle_hook_name=str(settings.get("lifecycle_hook_name", "")),
        )
        booted: dict[str, int] = {}
        with LocalSparkCluster(spec, log=lambda line: log(f"local boot: {line}")) as spark:
            try:
                spark.start()
                if spark.master is None:
                    raise LocalBootError("the local master was not started")
                master_env = {"SPARK_MASTER_UI_URL": spark.master.ui_url}
                boot_check.wait_until_ready("master", master_env, timeout_s=60, interval_s=0.5)
                up_workers = 0
                for node in spark.workers:
                    env = {**master_env, "SPARK_WORKER_UI_URL": node.ui_url}
                    boot_check.wait_until_ready("worker", env, timeout_s=60, interval_s=0.5)
                    up_workers += 1
            except (LocalClusterError, boot_check.BootCheckError) as error:
                raise LocalBootError(str(error)) from None
        for group in masters:
            booted[group.logical_id] = group.count
        for group in workers:  # the local workers, shared out over the worker groups in turn
            booted[group.logical_id] = min(group.count, up_workers)
            up_workers -= booted[group.logical_id]
        log(f"local boot: master and {spec.workers} worker(s) came up, then were stopped")
        return booted

    return boot


class LocalBootWatcher:
    """While the CLI deploys: boot and signal every stack's waiting groups, once each.

    A context manager; its thread polls every ``interval_s`` until the block ends, then
    finishes the boot in progress, if any."""

    def __init__(
        self,
        clients: Clients,
        boot: BootFunction,
        *,
        interval_s: float = 1.0,
        log: Callable[[str], None] = print,
    ) -> None:
        self.clients, self.boot, self.interval_s, self.log = clients, boot, interval_s, log
        self.handled: set[tuple[str, str]] = set()
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-boot", daemon=True)

    def poll_once(self) -> None:
        for stack_name, groups in waiting_groups(self.clients, self.handled).items():
            self.handled.update((g.stack_name, g.logical_id) for g in groups)
            names = ", ".join(f"{g.logical_id} ({g.role or 'unknown'})" for g in groups)
            self.log(f"local boot: {stack_name} waits for the boot of {names}")
            if not boot_stack(self.clients, groups, self.boot, self.log):
                self.failed.append(stack_name)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as error:  # the emulator may be mid-request: retry
                self.log(f"local boot: polling the emulator failed ({error}); retrying")
            self._stop.wait(self.interval_s)

    def __enter__(self) -> LocalBootWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def watch(settings: LocalSettings) -> LocalBootWatcher:
    """The watcher of one local deployment (``cdk_cli.deploy`` runs the CLI inside it); the
    local nodes' configuration and logs stay under ``.local/boot-PORT/``."""
    from local_deploy import deployment  # noqa: PLC0415 - boto3, only when deploying

    def clients(service: str) -> Any:  # noqa: ANN401 - boto3 is untyped
        return deployment.client(settings, service)

    return LocalBootWatcher(
        clients, spark_boot(settings.state_dir / f"boot-{settings.port}", clients)
    )
