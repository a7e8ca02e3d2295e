"""ClusterStack: a self-managed Apache Spark standalone cluster on EC2 Auto Scaling."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets

from constructs import Construct
from constructs.cluster.alarms import ClusterAlarms
from constructs.cluster.keys import VolumeKey
from constructs.cluster.metrics import ClusterMetrics
from constructs.cluster.node_group import (
    BootSignals,
    Capacity,
    RollingUpdate,
    SignalTarget,
    SparkNodeGroup,
    SpotDistribution,
    TerminationHook,
    Volumes,
)
from constructs.cluster.private_dns import MasterDnsName
from constructs.cluster.scaling import ScheduledCapacity, WorkerScaling, scale_on_schedules
from constructs.cluster.secret import ClusterSecret
from constructs.cluster.security_groups import SparkPorts, SparkSecurityGroups
from constructs.core.alarm_topic import AlarmTopic
from constructs.core.encrypted_log_group import EncryptedLogGroup
from platform_config import PlatformConfig
from platform_config.cluster import ClusterConfig, Download
from spark_cluster.user_data import Artifact, NodeBootstrap, render_user_data
from stacks.platform_stack import PlatformStack
from stacks.props import log_retention, removal_policy

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "spark_cluster"
EVENT_LOG_PREFIX = "spark-events/"
FALLBACK_PREFIX = "spark-fallback/"
# A boot installs packages, downloads Spark (about 400 MB, from archive.apache.org unless
# staged in S3) and its jars, then waits for the node to be up: a worker waits for a master
# that boots beside it. CloudFormation waits this long for a group's signals.
BOOT_TIMEOUT = cdk.Duration.minutes(20)
READY_TIMEOUT_SECONDS = 600
Role = Literal["master", "worker"]


class VpcProvider(Protocol):
    """What the cluster needs from the network (NetworkStack provides it)."""

    vpc: ec2.IVpc


class LakeZones(Protocol):
    """What the cluster needs from the lake (DataLakeStack provides it)."""

    curated_bucket: s3.IBucket
    analytics_bucket: s3.IBucket


class ClusterStack(PlatformStack):
    """A Spark standalone master (an Auto Scaling group of one, On-Demand, always on or started
    when used) found by a name in a Route 53 private hosted zone, Spot-first workers with a
    draining termination hook and scaling on the master's metrics, a generated secret for
    Spark's authentication, encrypted volumes and logs, and alarms to the platform alarm topic
    (a prop)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        network: VpcProvider,
        lake: LakeZones,
        alarm_topic: AlarmTopic,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            config=config,
            name_suffix="cluster",
            description="Data and ML platform: self-managed Spark standalone cluster on EC2",
        )
        cluster, names = config.cluster, _Names(config.name_prefix)
        self._shared_resources(network, alarm_topic)
        package = s3_assets.Asset(
            self, "Package", path=str(PACKAGE_DIR), exclude=["__pycache__", "*.pyc"]
        )
        self.master = self._node_group("master", network, lake, package, names)
        self.workers = self._node_group("worker", network, lake, package, names)
        self._grant(lake, package, names)
        self._scale_workers()
        self._stop_master_on_schedule()
        ClusterAlarms(
            self,
            "Alarms",
            topic=self.alarm_topic,
            master_group_name=self.master.group_name,
            worker_group_name=self.workers.group_name,
            metrics=self.metrics,
            evaluation_periods=cluster.alarms.evaluation_periods,
            spot_rule_name=names.of("spot-interruptions"),
            master_always_on=cluster.master_always_on,
        )
        self._outputs()

    def _shared_resources(self, network: VpcProvider, alarm_topic: AlarmTopic) -> None:
        """What both node groups use: log group, keys, secret, DNS, security groups; the
        platform alarm topic and the master's Spark metrics."""
        config, cluster = self.config, self.config.cluster
        removal = removal_policy(config.storage)
        self.alarm_topic = alarm_topic
        self.metrics = ClusterMetrics(
            namespace=cluster.metrics_namespace, cluster_name=cluster.name
        )
        self.logs = EncryptedLogGroup(
            self,
            "Logs",
            retention=log_retention(cluster.log_retention_days),
            removal_policy=removal,
            log_group_name=f"/{config.name_prefix}/spark",
        )
        self.volume_key = VolumeKey(
            self, "VolumeKey", description="Spark volumes", removal_policy=removal
        )
        self.secret = ClusterSecret(
            self,
            "Secret",
            secret_name=f"{config.name_prefix}/spark/authenticate",
            description="spark.authenticate.secret of the Spark cluster",
            removal_policy=removal,
        )
        self.dns = MasterDnsName(
            self,
            "Dns",
            vpc=network.vpc,
            zone_name=cluster.dns.zone_name,
            master_record=cluster.dns.master_record,
        )
        self.security_groups = SparkSecurityGroups(
            self, "SecurityGroups", vpc=network.vpc, ports=_ports(cluster)
        )

    def _scale_workers(self) -> None:
        WorkerScaling(
            self,
            "Scaling",
            group=self.workers.group,
            metrics=self.metrics,
            notify=self.alarm_topic,
            **_scaling_props(self.config.cluster),
        )

    def _stop_master_on_schedule(self) -> None:
        cluster = self.config.cluster
        if cluster.master_stop_cron is not None:
            scale_on_schedules(
                self.master.group,
                [
                    ScheduledCapacity(
                        name="MasterStop", cron=cluster.master_stop_cron, desired_capacity=0
                    )
                ],
                time_zone=cluster.workers.time_zone,
            )

    def _node_group(
        self,
        role: Role,
        network: VpcProvider,
        lake: LakeZones,
        package: s3_assets.Asset,
        names: _Names,
    ) -> SparkNodeGroup:
        groups = self.security_groups
        return SparkNodeGroup(
            self,
            "Master" if role == "master" else "Workers",
            vpc=network.vpc,
            volume_key=self.volume_key.key,
            security_group=groups.master if role == "master" else groups.workers,
            user_data=lambda target: render_user_data(
                _bootstrap(self, role, names, lake, package, target=target)
            ),
            **_group_props(self.config.cluster, role, names),
        )

    def _grant(self, lake: LakeZones, package: s3_assets.Asset, names: _Names) -> None:
        cluster = self.config.cluster
        staged = [d.url for d in _downloads(cluster) if d.url.startswith("s3://")]
        _warn_about_unpinned_downloads(self, cluster)
        for node in (self.master, self.workers):
            self.secret.grant_read(node.role)
            node.grant_lake_access(read=[lake.curated_bucket], read_write=[lake.analytics_bucket])
            node.grant_read_package(package)
            node.grant_read_objects(staged)
            self.logs.log_group.grant(
                node.role, "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"
            )
        self.secret.restrict_reads_to([self.master.role, self.workers.role])
        self.dns.grant_upsert_master_record(self.master.role)
        self.workers.grant_complete_lifecycle_actions()
        self.master.grant_put_metric_data([cluster.metrics_namespace, names.node_metrics(cluster)])
        self.workers.grant_put_metric_data([names.node_metrics(cluster)])

    def _outputs(self) -> None:
        for output_id, value in {
            "MasterGroupName": self.master.group_name,
            "WorkerGroupName": self.workers.group_name,
            "MasterLaunchTemplateId": self.master.launch_template.launch_template_id or "",
            "WorkerLaunchTemplateId": self.workers.launch_template.launch_template_id or "",
            "MasterHost": self.dns.master_host,
            "HostedZoneId": self.dns.zone.hosted_zone_id,
            "SecretArn": self.secret.secret.secret_arn,
            "LogGroupName": self.logs.log_group.log_group_name,
            "AlarmTopicArn": self.alarm_topic.topic.topic_arn,
            "LifecycleHookName": self.workers.termination_hook_name or "",
        }.items():
            cdk.CfnOutput(self, output_id, value=value)


class _Names:
    """Physical names, unique per profile so that two profiles can share an account."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def of(self, suffix: str) -> str:
        return f"{self.prefix}-spark-{suffix}"

    def group(self, role: Role) -> str:
        return self.of("master" if role == "master" else "workers")

    def node_metrics(self, cluster: ClusterConfig) -> str:
        return f"{cluster.metrics_namespace}/Nodes"


def _ports(cluster: ClusterConfig) -> SparkPorts:
    ports = cluster.ports
    return SparkPorts(
        master=ports.master,
        master_ui=ports.master_ui,
        worker=ports.worker,
        worker_ui=ports.worker_ui,
        block_manager=ports.block_manager,
        driver=ports.driver,
        driver_ui=ports.driver_ui,
        max_retries=ports.max_retries,
    )


def _downloads(cluster: ClusterConfig) -> list[Download]:
    distribution = cluster.distribution
    return [distribution.spark, distribution.hadoop_aws, distribution.aws_sdk_bundle]


def _warn_about_unpinned_downloads(stack: ClusterStack, cluster: ClusterConfig) -> None:
    """A download without its SHA-512 still synthesizes, but every instance refuses it at boot:
    say so at synth, where it can be fixed, rather than in a boot log on EC2."""
    distribution = cluster.distribution
    for key, download in (
        ("spark", distribution.spark),
        ("hadoop_aws", distribution.hadoop_aws),
        ("aws_sdk_bundle", distribution.aws_sdk_bundle),
    ):
        if download.sha512 is None:
            cdk.Annotations.of(stack).add_warning_v2(
                f"platform:cluster-unpinned-{key}",
                f"cluster.distribution.{key}.sha512 is not set: instances will refuse to "
                f"install {download.url} until it is; `make stage-artifacts ENV="
                f"{stack.config.profile}` verifies, stages and pins it (docs/cluster.md, "
                "Bootstrap)",
            )


def _artifact(download: Download) -> Artifact:
    return Artifact(version=download.version, url=download.url, sha512=download.sha512)


def _bootstrap(
    stack: ClusterStack,
    role: Role,
    names: _Names,
    lake: LakeZones,
    package: s3_assets.Asset,
    *,
    target: SignalTarget,
) -> NodeBootstrap:
    """The user data's inputs for one role: config values and the stack's resources."""
    cluster = stack.config.cluster
    ports, workers = cluster.ports, cluster.workers
    analytics = lake.analytics_bucket.bucket_name
    settings = {
        "event_log_dir": f"s3a://{analytics}/{EVENT_LOG_PREFIX}",
        "fallback_storage_path": f"s3a://{analytics}/{FALLBACK_PREFIX}",
        "master_port": ports.master,
        "master_ui_port": ports.master_ui,
        "worker_port": ports.worker,
        "worker_ui_port": ports.worker_ui,
        "block_manager_port": ports.block_manager,
        "driver_port": ports.driver,
        "history_ui_port": ports.history_ui,
        "driver_ui_port": ports.driver_ui,
        "port_max_retries": ports.max_retries,
        "decommission_timeout_seconds": workers.decommission_timeout_seconds,
        "region": cdk.Aws.REGION,
        "metrics_namespace": cluster.metrics_namespace,
        "cluster_name": cluster.name,
        "worker_group_name": names.group("worker"),
        "lifecycle_hook_name": names.of("worker-drain"),
        "lifecycle_hook_timeout_seconds": workers.lifecycle_hook_timeout_seconds,
    }
    master_only = role == "master"
    return NodeBootstrap(
        role=role,
        settings=settings,
        master_host=stack.dns.master_host,
        secret_id=stack.secret.secret.secret_arn,
        package_url=package.s3_object_url,
        spark=_artifact(cluster.distribution.spark),
        hadoop_aws=_artifact(cluster.distribution.hadoop_aws),
        aws_sdk_bundle=_artifact(cluster.distribution.aws_sdk_bundle),
        corretto_version=cluster.distribution.corretto_version,
        log_group_name=stack.logs.log_group.log_group_name,
        node_metrics_namespace=names.node_metrics(cluster),
        hosted_zone_id=stack.dns.zone.hosted_zone_id if master_only else "",
        record_ttl_seconds=cluster.dns.record_ttl_seconds,
        event_log_bucket=analytics if master_only else "",
        event_log_key=EVENT_LOG_PREFIX if master_only else "",
        signal_stack=target.stack_name,
        signal_resource=target.logical_id,
        signal_region=target.region,
        ready_timeout_seconds=READY_TIMEOUT_SECONDS,
    )


def _group_props(cluster: ClusterConfig, role: Role, names: _Names) -> dict[str, Any]:
    """SparkNodeGroup's config-derived props for one role."""
    volumes = Volumes(root_gib=cluster.volumes.root_gib, data_gib=cluster.volumes.data_gib)
    common = {
        "node_role": role,
        "launch_template_name": names.group(role),
        "group_name": names.group(role),
        "architecture": cluster.architecture,
        "volumes": volumes,
        "detailed_monitoring": cluster.detailed_monitoring,
    }
    if role == "master":
        return {
            **common,
            "instance_types": [cluster.master_instance_type],
            # Always on: exactly one. Else none until started (make cluster-start), at most one.
            "capacity": Capacity(min=1, desired=1, max=1)
            if cluster.master_always_on
            else Capacity(min=0, desired=0, max=1),
            # The only master: an update replaces it (running applications end with it), and
            # waits for the new one's signal.
            "boot_signals": BootSignals(
                timeout=BOOT_TIMEOUT,
                rolling_update=RollingUpdate(max_batch_size=1, min_instances_in_service=0),
            ),
        }
    workers = cluster.workers
    return {
        **common,
        "instance_types": list(cluster.worker_instance_types),
        "capacity": Capacity(
            min=workers.min_capacity, desired=workers.desired_capacity, max=workers.max_capacity
        ),
        "spot": SpotDistribution(
            on_demand_base_capacity=workers.on_demand_base_capacity,
            on_demand_percentage_above_base_capacity=cluster.on_demand_percentage_above_base,
        ),
        "termination_hook": TerminationHook(
            name=names.of("worker-drain"), timeout_seconds=workers.lifecycle_hook_timeout_seconds
        ),
        # Replaced as many at a time as the floor, the floor kept in service (CloudFormation
        # wants it below the max); the termination hook drains each replaced worker.
        "boot_signals": BootSignals(
            timeout=BOOT_TIMEOUT,
            rolling_update=RollingUpdate(
                max_batch_size=max(1, workers.min_capacity),
                min_instances_in_service=min(workers.min_capacity, workers.max_capacity - 1),
            ),
        ),
    }


def _scaling_props(cluster: ClusterConfig) -> dict[str, Any]:
    scaling, workers = cluster.scaling, cluster.workers
    return {
        "target_cores_used_percent": scaling.target_cores_used_percent,
        "workers_per_waiting_app": scaling.workers_per_waiting_app,
        "warmup_seconds": scaling.instance_warmup_seconds,
        "schedules": [
            ScheduledCapacity(
                name=s.name,
                cron=s.cron,
                min_capacity=s.min_capacity,
                desired_capacity=s.desired_capacity,
                max_capacity=s.max_capacity,
            )
            for s in workers.schedules
        ],
        "time_zone": workers.time_zone,
    }
