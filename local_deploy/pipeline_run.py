"""Run a deployed SageMaker pipeline definition locally, step by step, with no Docker.

The emulator stores the pipeline definition but runs nothing. This runner plays SageMaker: it
reads the definition (schema 2020-12-01, as ml_pipeline renders it), orders the steps by their
dependencies (DependsOn and every `Steps.X` reference) and runs each one as SageMaker would:

- Processing: the step's ContainerEntrypoint and ContainerArguments, run by this machine's
  bash and Python, with SageMaker's container paths (/opt/ml/...) mapped to a temporary root;
  S3 inputs are downloaded to their LocalPath first and outputs uploaded (KMS-encrypted with the
  step's KmsKeyId) afterwards.
- Training: script mode. The code channel's sourcedir archive is unpacked and
  `sagemaker_program` runs with the hyperparameters as `--name value`, SM_CHANNEL_*,
  SM_MODEL_DIR, SM_OUTPUT_DATA_DIR and the checkpoint directory; model.tar.gz is uploaded to
  `<S3OutputPath>/<job name>/output/`, checkpoints to the CheckpointConfig URI. On this
  machine's CPU: the image, instance type and spot settings are not emulated (said in the log).
- Condition: its conditions, with `Std:JsonGet` reading the property file from S3.
- RegisterModel: CreateModelPackage in the group with the step's arguments.
- Fail: the execution fails with the step's ErrorMessage.

Anything the runner cannot honour (another step type, Pipe mode, several instances, ...) fails
the step, and so the execution, with a reason naming the step: nothing is skipped.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from local_deploy.archives import extract_data

CONTAINER_ROOT = "/opt/ml"
SUPPORTED_TYPES = ("Processing", "Training", "Condition", "RegisterModel", "Fail")
_STEP_REFERENCE = re.compile(r"^Steps\.([A-Za-z0-9\-_]+)\.(.+)$")
_PATH_TOKEN = re.compile(r"([A-Za-z0-9_]+)|\[(?:'([^']*)'|(\d+))\]")


class StepError(RuntimeError):
    """A step could not run as defined; the message names the step and says why."""


class Recorder(Protocol):
    """Where step and execution states go (moto's backend, or a test's list)."""

    def step_started(self, name: str, step_type: str) -> None: ...

    def step_finished(
        self, name: str, status: str, metadata: Mapping[str, Any], failure: str | None
    ) -> None: ...


@dataclass
class ListRecorder:
    """A recorder that keeps (name, type, status, metadata, failure) tuples, for tests and logs."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def step_started(self, name: str, step_type: str) -> None:
        self.records.append({"name": name, "type": step_type, "status": "Executing"})

    def step_finished(
        self, name: str, status: str, metadata: Mapping[str, Any], failure: str | None
    ) -> None:
        record = next(r for r in reversed(self.records) if r["name"] == name)
        record.update(status=status, metadata=dict(metadata), failure=failure)


@dataclass(frozen=True)
class ExecutionContext:
    pipeline_name: str
    pipeline_arn: str
    execution_arn: str
    parameters: Mapping[str, Any]

    @property
    def execution_id(self) -> str:
        return self.execution_arn.rsplit("/", 1)[-1]


@dataclass
class Outcome:
    status: str  # Succeeded | Failed
    failure_reason: str | None = None
    steps: list[str] = field(default_factory=list)


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} is not an s3:// URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def parameter_values(
    declared: list[Mapping[str, Any]], overrides: Mapping[str, str]
) -> dict[str, Any]:
    """Defaults overlaid with a run's overrides, each cast to its declared type."""
    types = {p["Name"]: p.get("Type", "String") for p in declared}
    unknown = sorted(set(overrides) - set(types))
    if unknown:
        raise ValueError(f"unknown pipeline parameters {unknown}; declared: {sorted(types)}")
    values: dict[str, Any] = {p["Name"]: p.get("DefaultValue") for p in declared}
    for name, raw in overrides.items():
        kind = types[name]
        try:
            if kind == "Integer":
                values[name] = int(raw)
            elif kind == "Float":
                values[name] = float(raw)
            elif kind == "Boolean":
                if str(raw).lower() not in ("true", "false"):
                    raise ValueError(raw)
                values[name] = str(raw).lower() == "true"
            else:
                values[name] = str(raw)
        except ValueError:
            raise ValueError(f"parameter {name}={raw!r} is not a {kind}") from None
    missing = sorted(name for name, value in values.items() if value is None)
    if missing:
        raise ValueError(f"parameters {missing} have no default and no value")
    return values


def _text(value: Any) -> str:  # noqa: ANN401 - any JSON scalar
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _walk(document: Any, path: str, where: str) -> Any:  # noqa: ANN401 - any JSON value
    """Follow `A.B['name'].C[0]` through a JSON document; a list indexed by a string is searched
    for the element one of whose `*Name` fields equals it (OutputName, ChannelName)."""
    current = document
    for match in _PATH_TOKEN.finditer(path):
        attribute, key, index = match.groups()
        if attribute is not None:
            if not isinstance(current, Mapping) or attribute not in current:
                raise StepError(f"{where}: property {path!r} not found ({attribute})")
            current = current[attribute]
        elif index is not None:
            if not isinstance(current, list) or int(index) >= len(current):
                raise StepError(f"{where}: property {path!r} index {index} out of range")
            current = current[int(index)]
        else:
            found = [
                item
                for item in (current if isinstance(current, list) else [])
                if isinstance(item, Mapping)
                and any(k.endswith("Name") and v == key for k, v in item.items())
            ]
            if not found:
                raise StepError(f"{where}: property {path!r}: no element named {key!r}")
            current = found[0]
    return current


def _all_steps(steps: list[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for step in steps:
        found[step["Name"]] = step
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments", {})
            found.update(
                _all_steps([*arguments.get("IfSteps", []), *arguments.get("ElseSteps", [])])
            )
    return found


def _references(value: Any) -> set[str]:  # noqa: ANN401 - any JSON value
    if isinstance(value, Mapping):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            match = _STEP_REFERENCE.match(value["Get"])
            return {match.group(1)} if match else set()
        return set().union(*(_references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value)) if value else set()
    return set()


def dependency_order(steps: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Steps of one level in an order that runs each after what it depends on (stable)."""
    names = {s["Name"] for s in steps}
    known = _all_steps(steps)
    # A reference into a nested step counts as a dependency on the Condition that holds it.
    owner: dict[str, str] = {}
    for step in steps:
        for nested in _all_steps([step]):
            owner[nested] = step["Name"]
    pending = list(steps)
    ordered: list[Mapping[str, Any]] = []
    done: set[str] = set()
    while pending:
        for step in pending:
            needs = {*step.get("DependsOn", []), *_references(step.get("Arguments", {}))}
            if step.get("Type") == "Condition":
                needs = _references(step["Arguments"].get("Conditions", [])) | set(
                    step.get("DependsOn", [])
                )
            local = {owner.get(n, n) for n in needs if n in known} & names
            if local - done - {step["Name"]} == set():
                ordered.append(step)
                done.add(step["Name"])
                pending.remove(step)
                break
        else:
            raise StepError(f"steps {[s['Name'] for s in pending]} depend on each other in a cycle")
    return ordered


class PipelineRunner:
    """Runs one execution of a pipeline definition against S3 and SageMaker clients."""

    def __init__(
        self,
        definition: Mapping[str, Any],
        context: ExecutionContext,
        *,
        s3: BaseClient,
        sagemaker: BaseClient,
        recorder: Recorder,
        work_dir: Path | None = None,
        log: Callable[[str], None] = print,
        python: str = sys.executable,
    ) -> None:
        self.definition = definition
        self.context = context
        self.s3 = s3
        self.sagemaker = sagemaker
        self.recorder = recorder
        self.log = log
        self.python = python
        self.work_dir = work_dir
        self.properties: dict[str, dict[str, Any]] = {}
        self.property_files: dict[str, dict[str, Mapping[str, Any]]] = {}

    # --- expressions ------------------------------------------------------------------------

    def resolve(self, value: Any, where: str) -> Any:  # noqa: ANN401 - any JSON value
        if isinstance(value, Mapping):
            if set(value) == {"Get"}:
                return self._get(value["Get"], where)
            if set(value) == {"Std:Join"}:
                join = value["Std:Join"]
                parts = [_text(self.resolve(v, where)) for v in join.get("Values", [])]
                return join.get("On", "").join(parts)
            if set(value) == {"Std:JsonGet"}:
                return self._json_get(value["Std:JsonGet"], where)
            unknown = [k for k in value if k.startswith("Std:")]
            if unknown:
                raise StepError(f"{where}: function {unknown[0]} is not supported locally")
            return {k: self.resolve(v, where) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, where) for v in value]
        return value

    def _get(self, path: str, where: str) -> Any:  # noqa: ANN401 - any JSON value
        ctx = self.context
        variables = {
            "Execution.PipelineExecutionId": ctx.execution_id,
            "Execution.PipelineExecutionArn": ctx.execution_arn,
            "Execution.PipelineName": ctx.pipeline_name,
            "Execution.PipelineArn": ctx.pipeline_arn,
        }
        if path in variables:
            return variables[path]
        if path.startswith("Parameters."):
            name = path.removeprefix("Parameters.")
            if name not in ctx.parameters:
                raise StepError(f"{where}: no parameter {name!r}")
            return ctx.parameters[name]
        match = _STEP_REFERENCE.match(path)
        if match:
            step, rest = match.groups()
            if rest.startswith("PropertyFiles."):
                return {"PropertyFile": (step, rest.removeprefix("PropertyFiles."))}
            if step not in self.properties:
                raise StepError(f"{where}: reads {path!r} but step {step} has not run")
            return _walk(self.properties[step], rest, where)
        raise StepError(f"{where}: reference {path!r} is not supported locally")

    def _json_get(self, spec: Mapping[str, Any], where: str) -> Any:  # noqa: ANN401
        reference = self.resolve(spec["PropertyFile"], where)
        if not isinstance(reference, Mapping) or "PropertyFile" not in reference:
            raise StepError(f"{where}: Std:JsonGet needs a PropertyFile reference")
        step, name = reference["PropertyFile"]
        declared = self.property_files.get(step, {}).get(name)
        if declared is None:
            raise StepError(f"{where}: step {step} has no property file {name} (has it run?)")
        outputs = self.properties[step]["ProcessingOutputConfig"]["Outputs"]
        output = _walk(outputs, f"['{declared['OutputName']}']", where)
        bucket, prefix = split_s3_uri(output["S3Output"]["S3Uri"])
        key = f"{prefix.rstrip('/')}/{declared['FilePath']}"
        body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        document = json.loads(body)
        path = spec["Path"]
        try:
            return _walk(document, path, where)
        except StepError:
            raise StepError(
                f"{where}: Std:JsonGet path {path!r} not in s3://{bucket}/{key}"
            ) from None

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> Outcome:
        outcome = Outcome(status="Succeeded")
        with tempfile.TemporaryDirectory(prefix="pipeline-", dir=self.work_dir) as root:
            self.root = Path(root)
            try:
                self._run_level(list(self.definition.get("Steps", [])), outcome)
            except _ExecutionEnds as ended:
                outcome.status = "Failed"
                outcome.failure_reason = str(ended)
        return outcome

    def _run_level(self, steps: list[Mapping[str, Any]], outcome: Outcome) -> None:
        try:
            ordered = dependency_order(steps)
        except StepError as error:
            raise _ExecutionEnds(str(error)) from None
        for step in ordered:
            self._run_step(step, outcome)

    def _run_step(self, step: Mapping[str, Any], outcome: Outcome) -> None:
        name, step_type = step["Name"], step.get("Type", "?")
        self.recorder.step_started(name, step_type)
        outcome.steps.append(name)
        started = time.monotonic()
        self.log(f"[{name}] {step_type} step started")
        branch: list[Mapping[str, Any]] = []
        try:
            if step_type not in SUPPORTED_TYPES:
                raise StepError(
                    f"step {name}: type {step_type} is not supported by the local runner "
                    f"(supported: {', '.join(SUPPORTED_TYPES)}); the execution stops here"
                )
            if step_type == "Fail":
                message = _text(self.resolve(step["Arguments"].get("ErrorMessage", ""), name))
                self.recorder.step_finished(
                    name, "Failed", {"Fail": {"ErrorMessage": message}}, message
                )
                self.log(f"[{name}] Fail step: {message}")
                raise _ExecutionEnds(f"step {name}: {message}")
            if step_type == "Condition":
                holds = self._conditions(step, name)
                arguments = step["Arguments"]
                branch = list(arguments.get("IfSteps" if holds else "ElseSteps", []))
                # ConditionStepMetadata.Outcome is "True" or "False" in AWS.
                metadata: dict[str, Any] = {"Condition": {"Outcome": str(holds)}}
            elif step_type == "Processing":
                metadata = self._processing(step, name)
            elif step_type == "Training":
                metadata = self._training(step, name)
            else:
                metadata = self._register(step, name)
        except _ExecutionEnds:
            raise
        except Exception as error:  # every failure ends the execution, named
            reason = str(error) if str(error).startswith("step ") else f"step {name}: {error}"
            self.recorder.step_finished(name, "Failed", {}, reason)
            self.log(f"[{name}] FAILED after {time.monotonic() - started:.1f}s: {reason}")
            raise _ExecutionEnds(reason) from error
        self.recorder.step_finished(name, "Succeeded", metadata, None)
        self.log(f"[{name}] Succeeded in {time.monotonic() - started:.1f}s")
        if branch:
            self._run_level(branch, outcome)

    # --- Condition --------------------------------------------------------------------------

    def _conditions(self, step: Mapping[str, Any], name: str) -> bool:
        comparisons: dict[str, Callable[[Any, Any], bool]] = {
            "Equals": lambda a, b: a == b,
            "GreaterThan": lambda a, b: a > b,
            "GreaterThanOrEqualTo": lambda a, b: a >= b,
            "LessThan": lambda a, b: a < b,
            "LessThanOrEqualTo": lambda a, b: a <= b,
        }
        results = []
        for condition in step["Arguments"].get("Conditions", []):
            kind = condition.get("Type")
            if kind not in comparisons:
                raise StepError(f"step {name}: condition type {kind} is not supported locally")
            left = self.resolve(condition["LeftValue"], name)
            right = self.resolve(condition["RightValue"], name)
            holds = comparisons[kind](left, right)
            self.log(f"[{name}] {left!r} {kind} {right!r}: {holds}")
            results.append(holds)
        return all(results)

    # --- S3 -----------------------------------------------------------------------------

    def local(self, container_path: str) -> Path:
        """Where a container path lives on this machine (under the execution's root)."""
        if not container_path.startswith(CONTAINER_ROOT):
            raise StepError(f"path {container_path} is outside {CONTAINER_ROOT}")
        return self.root / container_path.removeprefix("/").replace("/", os.sep)

    def _map_paths(self, text: str) -> str:
        return text.replace(CONTAINER_ROOT, str(self.root / "opt" / "ml"))

    def download(self, uri: str, target: Path) -> int:
        bucket, prefix = split_s3_uri(uri)
        target.mkdir(parents=True, exist_ok=True)
        count = 0
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith("/"):
                    continue
                relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                destination.write_bytes(body)
                count += 1
        if count == 0:
            raise StepError(f"no objects under {uri}")
        return count

    def upload(self, source: Path, uri: str, kms_key: str | None) -> int:
        bucket, prefix = split_s3_uri(uri)
        extra: dict[str, str] = (
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}
        )
        count = 0
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            key = f"{prefix.rstrip('/')}/{path.relative_to(source).as_posix()}".lstrip("/")
            self.s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **extra)
            count += 1
        return count

    # --- Processing -------------------------------------------------------------------------

    def _job_name(self, step_name: str) -> str:
        return f"pipelines-{self.context.execution_id}-{step_name}"[:63]

    def _check_resources(self, resources: Mapping[str, Any], name: str) -> None:
        count = int(resources.get("InstanceCount", 1))
        if count != 1:
            raise StepError(f"step {name}: InstanceCount {count}; the local runner runs one")

    def _processing(self, step: Mapping[str, Any], name: str) -> dict[str, Any]:
        arguments = self.resolve(step["Arguments"], name)
        self._check_resources(arguments["ProcessingResources"]["ClusterConfig"], name)
        for item in arguments.get("ProcessingInputs", []):
            source = item.get("S3Input")
            if source is None:
                raise StepError(f"step {name}: input {item.get('InputName')} is not an S3Input")
            if (source.get("S3InputMode", "File"), source.get("S3DataType", "S3Prefix")) != (
                "File",
                "S3Prefix",
            ) or source.get("S3CompressionType", "None") != "None":
                raise StepError(
                    f"step {name}: input {item['InputName']} uses {source.get('S3InputMode')}/"
                    f"{source.get('S3DataType')}/{source.get('S3CompressionType')}; the local "
                    "runner supports File/S3Prefix/None"
                )
            files = self.download(source["S3Uri"], self.local(source["LocalPath"]))
            self.log(
                f"[{name}] input {item['InputName']}: {files} object(s) from {source['S3Uri']}"
            )
        output_config = arguments.get("ProcessingOutputConfig", {})
        for item in output_config.get("Outputs", []):
            mode = item["S3Output"].get("S3UploadMode", "EndOfJob")
            if mode != "EndOfJob":
                raise StepError(f"step {name}: output {item['OutputName']} uses {mode}")
            self.local(item["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
        app = arguments["AppSpecification"]
        command = [*app.get("ContainerEntrypoint", []), *app.get("ContainerArguments", [])]
        if not command:
            raise StepError(f"step {name}: no ContainerEntrypoint to run locally")
        env = {**arguments.get("Environment", {})}
        self._execute(
            [self._map_paths(str(part)) for part in command],
            env,
            name,
            cwd=self.root,
            max_seconds=_max_runtime(arguments),
        )
        for item in output_config.get("Outputs", []):
            output = item["S3Output"]
            files = self.upload(
                self.local(output["LocalPath"]), output["S3Uri"], output_config.get("KmsKeyId")
            )
            self.log(
                f"[{name}] output {item['OutputName']}: {files} object(s) to {output['S3Uri']}"
            )
        self.properties[name] = {**arguments, "ProcessingJobName": self._job_name(name)}
        self.property_files[name] = {
            p["PropertyFileName"]: p for p in step.get("PropertyFiles", [])
        }
        arn = self._record_job("processing-job", name, arguments)
        return {"ProcessingJob": {"Arn": arn}}

    def _record_job(self, kind: str, name: str, arguments: Mapping[str, Any]) -> str:
        """Record the finished job in the emulator (CreateProcessingJob / CreateTrainingJob,
        which moto stores as Completed), so the step's metadata ARN can be described."""
        job_name = self._job_name(name)
        try:
            if kind == "processing-job":
                response = self.sagemaker.create_processing_job(
                    ProcessingJobName=job_name, **arguments
                )
                return str(response["ProcessingJobArn"])
            response = self.sagemaker.create_training_job(TrainingJobName=job_name, **arguments)
            return str(response["TrainingJobArn"])
        except (BotoCoreError, ClientError) as error:
            self.log(f"[{name}] the emulator did not record the {kind} ({error})")
            return self._job_arn(kind, name)

    def _job_arn(self, kind: str, name: str) -> str:
        arn = self.context.pipeline_arn.split(":")
        return f"arn:aws:sagemaker:{arn[3]}:{arn[4]}:{kind}/{self._job_name(name)}"

    def _execute(
        self,
        command: list[str],
        env: Mapping[str, str],
        name: str,
        *,
        cwd: Path,
        max_seconds: float | None = None,
    ) -> None:
        python_dir = str(Path(self.python).parent)
        environment = {
            **os.environ,
            **env,
            "PATH": f"{python_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "TMPDIR": str(self.root / "tmp"),
        }
        (self.root / "tmp").mkdir(exist_ok=True)
        if command[0] in ("python", "python3"):
            command = [self.python, *command[1:]]
        try:
            completed = subprocess.run(
                command,
                cwd=cwd,
                env=environment,
                capture_output=True,
                text=True,
                check=False,
                timeout=max_seconds,
            )
        except subprocess.TimeoutExpired:
            raise StepError(
                f"step {name}: stopped after StoppingCondition.MaxRuntimeInSeconds={max_seconds}"
            ) from None
        for line in (completed.stdout + completed.stderr).splitlines()[-40:]:
            self.log(f"[{name}]   {line}")
        if completed.returncode != 0:
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or [""]
            raise StepError(
                f"step {name}: the job's command exited with {completed.returncode}: {tail[0]}"
            )

    # --- Training ---------------------------------------------------------------------------

    def _channels(
        self, arguments: Mapping[str, Any], name: str
    ) -> tuple[dict[str, str], list[str]]:
        """Download every channel to /opt/ml/input/data/<name>; SM_CHANNEL_* for each."""
        env: dict[str, str] = {}
        channels = []
        for channel in arguments.get("InputDataConfig", []):
            source = channel["DataSource"].get("S3DataSource")
            if source is None or source.get("S3DataType", "S3Prefix") != "S3Prefix":
                raise StepError(f"step {name}: channel {channel['ChannelName']} is not S3Prefix")
            if channel.get("InputMode", "File") != "File":
                raise StepError(f"step {name}: channel {channel['ChannelName']} is not File mode")
            target = self.local(f"{CONTAINER_ROOT}/input/data/{channel['ChannelName']}")
            self.download(source["S3Uri"], target)
            env[f"SM_CHANNEL_{channel['ChannelName'].upper()}"] = str(target)
            channels.append(channel["ChannelName"])
        return env, channels

    def _training(self, step: Mapping[str, Any], name: str) -> dict[str, Any]:
        arguments = self.resolve(step["Arguments"], name)
        self._check_resources(arguments["ResourceConfig"], name)
        algorithm = arguments["AlgorithmSpecification"]
        if algorithm.get("TrainingInputMode", "File") != "File":
            raise StepError(f"step {name}: TrainingInputMode {algorithm['TrainingInputMode']}")
        hyperparameters = {k: _decode(v) for k, v in arguments.get("HyperParameters", {}).items()}
        program = hyperparameters.pop("sagemaker_program", None)
        submit = hyperparameters.pop("sagemaker_submit_directory", None)
        if not program or not submit:
            raise StepError(
                f"step {name}: only script mode (sagemaker_program and "
                "sagemaker_submit_directory hyperparameters) runs locally"
            )
        env, channels = self._channels(arguments, name)
        code = self.root / "training-code"
        code.mkdir()
        archive = self.local(str(submit))
        if not archive.is_file():
            raise StepError(f"step {name}: sagemaker_submit_directory {submit} was not delivered")
        with tarfile.open(archive, "r:gz") as bundle:
            extract_data(bundle, code)
        model_dir = self.local(f"{CONTAINER_ROOT}/model")
        output_dir = self.local(f"{CONTAINER_ROOT}/output/data")
        checkpoint = arguments.get("CheckpointConfig")
        checkpoint_dir = self.local((checkpoint or {}).get("LocalPath", "/opt/ml/checkpoints"))
        for directory in (model_dir, output_dir, checkpoint_dir):
            directory.mkdir(parents=True, exist_ok=True)
        env.update(
            {
                "SM_MODEL_DIR": str(model_dir),
                "SM_OUTPUT_DATA_DIR": str(output_dir),
                "SM_CHANNELS": json.dumps(channels),
                "SM_HPS": json.dumps(hyperparameters),
                "SM_NUM_GPUS": "0",
                "SM_CURRENT_HOST": "algo-1",
                "SM_HOSTS": json.dumps(["algo-1"]),
                **arguments.get("Environment", {}),
            }
        )
        self.log(
            f"[{name}] script mode {program} on this machine's CPU (the job asks for "
            f"{arguments['ResourceConfig'].get('InstanceType')}"
            f"{', managed spot' if arguments.get('EnableManagedSpotTraining') else ''}; "
            "neither is emulated)"
        )
        command = [self.python, str(code / str(program))]
        for key, value in hyperparameters.items():
            command += [f"--{key}", _text(value)]
        command += ["--checkpoint-dir", str(checkpoint_dir)]
        self._execute(command, env, name, cwd=code, max_seconds=_max_runtime(arguments))
        output = arguments["OutputDataConfig"]
        kms = output.get("KmsKeyId")
        job_name = self._job_name(name)
        artifact = f"{output['S3OutputPath'].rstrip('/')}/{job_name}/output/model.tar.gz"
        bucket, key = split_s3_uri(artifact)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
            for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
                bundle.add(path, arcname=path.relative_to(model_dir).as_posix())
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms} if kms else {}
        self.s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue(), **extra)
        if checkpoint and any(checkpoint_dir.iterdir()):
            self.upload(checkpoint_dir, checkpoint["S3Uri"], kms)
        self.log(f"[{name}] model artifact {artifact}")
        self.properties[name] = {
            **arguments,
            "TrainingJobName": job_name,
            "ModelArtifacts": {"S3ModelArtifacts": artifact},
        }
        arn = self._record_job("training-job", name, arguments)
        return {"TrainingJob": {"Arn": arn}}

    # --- RegisterModel ----------------------------------------------------------------------

    def _register(self, step: Mapping[str, Any], name: str) -> dict[str, Any]:
        arguments = self.resolve(step["Arguments"], name)
        response = self.sagemaker.create_model_package(**arguments)
        arn = response["ModelPackageArn"]
        self.log(f"[{name}] registered {arn} ({arguments.get('ModelApprovalStatus')})")
        self.properties[name] = {**arguments, "ModelPackageArn": arn}
        return {"RegisterModel": {"Arn": arn}}


def _max_runtime(arguments: Mapping[str, Any]) -> float | None:
    seconds = arguments.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
    return float(seconds) if seconds else None


def _decode(value: str) -> Any:  # noqa: ANN401 - what the training toolkit json-decodes
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


class _ExecutionEnds(Exception):  # noqa: N818 - control flow, not an error type
    """The execution stops (a Fail step or a failed step); the message is its FailureReason."""
