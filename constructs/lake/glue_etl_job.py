"""GlueEtlJob: the Glue 5.0 PySpark job that curates raw events, with its code shipped as assets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets

from constructs import Construct
from constructs.core.bucket_grants import (
    KEY_READ,
    KEY_READ_WRITE,
    OBJECT_READ,
    OBJECT_READ_WRITE_DELETE,
    grant_objects,
)
from constructs.core.nag import acknowledge_wildcards
from constructs.lake.glue_security import (
    GLUE_LOG_GROUPS_REASON,
    GlueSecurityConfiguration,
    glue_log_groups_arn,
)

GLUE_VERSION = "5.0"
# Glue and observability metrics are published under this CloudWatch namespace.
GLUE_METRICS_NAMESPACE = "Glue"


@dataclass(frozen=True)
class BucketAccess:
    """Key prefixes of one bucket that a role may read, or read and write."""

    bucket: s3.IBucket
    prefixes: Sequence[str]
    write: bool = False


@dataclass(frozen=True)
class JobCode:
    """The job's files on this machine: the entry point, the modules it imports, and plain
    files, each handed to the script as the job argument it is keyed by."""

    script: Path
    python_modules: Sequence[Path]
    file_arguments: Mapping[str, Path]


@dataclass(frozen=True)
class JobRuns:
    """What each run gets and when runs start. A job is billed per DPU-second while it runs."""

    #: Glue worker type (G.1X: 4 vCPU, 16 GB; each size up doubles both).
    worker_type: str = "G.1X"
    #: workers per run, the driver included (Glue's minimum is 2).
    number_of_workers: int = 2
    #: STANDARD, or FLEX: spare capacity at a lower price, for runs that can wait to start.
    execution_class: str = "STANDARD"
    #: minutes before a run is stopped.
    timeout_minutes: int = 60
    #: times Glue reruns a failed run.
    max_retries: int = 0
    #: a schedule expression (cron(...)) for a trigger. Default: none, runs start on demand.
    schedule: str | None = None


class GlueEtlJob(Construct):
    """A PySpark job with bookmarks, metrics, real-time logs (Glue 5.0's own, encrypted by the
    security configuration) and at most one run at a time, a role that reaches only the
    prefixes and catalog tables it is given, and an optional scheduled trigger.

    :param name: the job's name.
    :param description: what the job does.
    :param code: the script, its modules and its file arguments, uploaded as assets.
    :param security: the lake's Glue security configuration (encrypted logs, bookmarks, S3).
    :param data_access: the bucket prefixes the role may read, or read and write.
    :param catalog_tables: the catalog tables the role may read and update, by database.
    :param arguments: the script's own arguments.
    :param runs: worker type and count, timeout, retries and schedule. Default: JobRuns().
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        description: str,
        code: JobCode,
        security: GlueSecurityConfiguration,
        data_access: Sequence[BucketAccess],
        catalog_tables: Mapping[str, Sequence[str]],
        arguments: Mapping[str, str],
        runs: JobRuns | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        runs = runs or JobRuns()
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"The {name} Glue job",
        )
        script, modules, files = self._upload(code)
        self._grant_code(script, modules, *files.values())
        self._grant_data(data_access)
        self._grant_catalog(catalog_tables)
        self._grant_logs_and_metrics()
        security.grant_use(self.role)

        self.name = name
        self.job = glue.CfnJob(
            self,
            "Resource",
            name=name,
            description=description,
            role=self.role.role_arn,
            glue_version=GLUE_VERSION,
            command=glue.CfnJob.JobCommandProperty(
                name="glueetl", python_version="3", script_location=script.s3_object_url
            ),
            worker_type=runs.worker_type,
            number_of_workers=runs.number_of_workers,
            execution_class=runs.execution_class,
            timeout=runs.timeout_minutes,
            max_retries=runs.max_retries,
            # Two runs appending at once could both curate the same late duplicate.
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=1),
            security_configuration=security.name,
            default_arguments=_default_arguments(modules, files, arguments),
        )
        self.job.node.add_dependency(security.configuration)
        self.trigger = self._schedule(name, runs.schedule)

    def _upload(
        self, code: JobCode
    ) -> tuple[s3_assets.Asset, s3_assets.Asset, dict[str, s3_assets.Asset]]:
        """The script, the zip of its Python modules, and one asset per file argument."""
        script = s3_assets.Asset(self, "Script", path=str(code.script))
        # Glue imports an --extra-py-files entry by its file name, and an asset's object is
        # named by its hash; a zip of the module keeps the module's name on the import path.
        modules = s3_assets.Asset(
            self,
            "PythonModules",
            path=str(_common_folder(code.python_modules)),
            exclude=["*", *(f"!{module.name}" for module in code.python_modules)],
        )
        files = {
            argument: s3_assets.Asset(self, f"File{argument.strip('-').title()}", path=str(path))
            for argument, path in code.file_arguments.items()
        }
        return script, modules, files

    def _schedule(self, name: str, schedule: str | None) -> glue.CfnTrigger | None:
        if not schedule:
            return None
        return glue.CfnTrigger(
            self,
            "Schedule",
            name=f"{name}-schedule",
            description=f"Runs {name} on {schedule}",
            type="SCHEDULED",
            schedule=schedule,
            start_on_creation=True,
            actions=[glue.CfnTrigger.ActionProperty(job_name=self.job.ref)],
        )

    def _grant_code(self, *assets: s3_assets.Asset) -> None:
        # The CDK asset bucket is S3-managed-key encrypted: no key grant.
        for asset in assets:
            grant_objects(
                self.role, asset.bucket, actions=OBJECT_READ, objects=[asset.s3_object_key]
            )

    def _grant_data(self, data_access: Sequence[BucketAccess]) -> None:
        for access in data_access:
            objects = [f"{p}*" for p in access.prefixes]
            # Spark's commit protocol writes under _temporary/ inside the output prefix and then
            # deletes it, hence delete; multipart aborts clean up failed large uploads.
            grant_objects(
                self.role,
                access.bucket,
                actions=OBJECT_READ_WRITE_DELETE if access.write else OBJECT_READ,
                objects=objects,
                list_prefixes=True,
                key_actions=KEY_READ_WRITE if access.write else KEY_READ,
            )
            acknowledge_wildcards(
                self.role,
                [access.bucket.arn_for_objects(o) for o in objects],
                reason="Objects under the job's own prefixes only: partition folders and Spark "
                "part files are named at run time.",
            )

    def _grant_catalog(self, catalog_tables: Mapping[str, Sequence[str]]) -> None:
        stack = cdk.Stack.of(self)

        def arn(resource: str, resource_name: str | None = None) -> str:
            return stack.format_arn(service="glue", resource=resource, resource_name=resource_name)

        resources = [arn("catalog")]
        for database, tables in catalog_tables.items():
            resources.append(arn("database", database))
            resources.extend(arn("table", f"{database}/{table}") for table in tables)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadTheLakeTables",
                actions=[
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                ],
                resources=resources,
            )
        )

    def _grant_logs_and_metrics(self) -> None:
        log_groups = glue_log_groups_arn(self)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteGlueLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_groups, f"{log_groups}:log-stream:*"],
            )
        )
        acknowledge_wildcards(
            self.role, [log_groups, f"{log_groups}:log-stream:*"], GLUE_LOG_GROUPS_REASON
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PublishGlueMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": GLUE_METRICS_NAMESPACE}},
            )
        )
        acknowledge_wildcards(
            self.role,
            ["*"],
            reason="cloudwatch:PutMetricData has no resource-level permissions; the statement "
            "is limited to the Glue namespace by condition.",
        )


def _common_folder(paths: Sequence[Path]) -> Path:
    folders = {path.resolve().parent for path in paths}
    if len(folders) != 1:
        raise ValueError(f"python modules must share one folder, got {sorted(map(str, folders))}")
    return folders.pop()


def _default_arguments(
    modules: s3_assets.Asset, files: Mapping[str, s3_assets.Asset], arguments: Mapping[str, str]
) -> dict[str, str]:
    """Bookmarks and metrics on; the modules and files; the script's own.

    No `--enable-continuous-cloudwatch-log`: continuous logging is a Glue 4.0-and-earlier option
    that does nothing on Glue 5.0, where every job streams its logs to CloudWatch in real time
    (system, Spark and GlueLogger logs to `/aws-glue/jobs/error`, the script's stdout and stderr
    to `/aws-glue/jobs/output`), encrypted under the security configuration's CloudWatch key. The
    role's `WriteGlueLogs` grant covers them (`/aws-glue/*`).
    """
    # --extra-files lands in the working directory under the object's name (<hash>.json),
    # which is why each file's name is handed to the script as an argument.
    file_arguments = {a: PurePosixPath(f.s3_object_key).name for a, f in files.items()}
    return {
        "--job-language": "python",
        "--job-bookmark-option": "job-bookmark-enable",
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--extra-py-files": modules.s3_object_url,
        "--extra-files": ",".join(f.s3_object_url for f in files.values()),
        **file_arguments,
        **arguments,
    }
