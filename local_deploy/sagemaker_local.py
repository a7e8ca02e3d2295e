"""Make the emulator's SageMaker run what moto only stores: pipeline executions.

moto 5.2.5 records StartPipelineExecution as an instantly Succeeded execution that ran nothing,
and has no ListPipelineExecutionSteps. `install()` patches its backend and API (the pattern of
moto_cfn_models/_patches.py: idempotent, module attributes replaced) so that:

- StartPipelineExecution starts the execution as Executing and runs the stored definition with
  local_deploy.pipeline_run, in a background thread (the call returns at once, as in AWS) or,
  with `synchronous=True` (tests), before it returns;
- each step's status, start and end times, failure reason and metadata are recorded on the
  execution, and ListPipelineExecutionSteps returns them (newest first, as AWS does);
- DescribePipelineExecution reports the final status and FailureReason;
- InvokeEndpoint is served by the endpoint's model (local_deploy.endpoint_local).

The runner reaches S3 and SageMaker through boto3: against the server that received the call
(the request's Host) or, in-process under moto's mock, through the mock itself.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from local_deploy.access import clients_as

logger = logging.getLogger(__name__)

_MARK = "_local_sagemaker_installed"
_SETTINGS: dict[str, Any] = {"synchronous": False}


class BackendRecorder:
    """Writes step states onto a moto FakePipelineExecution."""

    def __init__(self, execution: Any, clock: Callable[[], datetime]) -> None:  # noqa: ANN401
        self.execution = execution
        self.clock = clock
        self.lock = threading.Lock()

    def step_started(self, name: str, step_type: str) -> None:
        with self.lock:
            self.execution.local_steps.append(
                {
                    "StepName": name,
                    "StepDisplayName": name,
                    "StepType": step_type,
                    "StartTime": self.clock(),
                    "StepStatus": "Executing",
                    "AttemptCount": 1,
                    "Metadata": {},
                }
            )

    def step_finished(
        self, name: str, status: str, metadata: Mapping[str, Any], failure: str | None
    ) -> None:
        with self.lock:
            step = next(s for s in reversed(self.execution.local_steps) if s["StepName"] == name)
            step.update(StepStatus=status, EndTime=self.clock(), Metadata=dict(metadata))
            if failure:
                step["FailureReason"] = failure
            self.execution.last_modified_time = self.clock()


def _clients(host: str | None, account_id: str, region: str) -> Callable[[str], Any]:
    """A factory of boto3 clients that reach the server this execution was started on."""
    local = host is not None and "amazonaws.com" not in host
    options: dict[str, Any] = {
        "region_name": region,
        # moto takes a 12-digit access key as the account the call acts in.
        "aws_access_key_id": account_id,
        "aws_secret_access_key": "local",
        "config": Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    }
    if local:
        options["endpoint_url"] = f"http://{host}"
    return lambda service: boto3.client(service, **options)


def run_execution(
    backend: Any,  # noqa: ANN401 - moto's SageMakerModelBackend
    pipeline_name: str,
    execution_arn: str,
    host: str | None,
    overrides: Mapping[str, str],
) -> None:
    """Run one recorded execution to its end and record the outcome on it."""
    from moto.core.utils import utcnow  # noqa: PLC0415

    from local_deploy.pipeline_run import (  # noqa: PLC0415 - heavy: boto3 clients, subprocesses
        ExecutionContext,
        PipelineRunner,
        parameter_values,
    )

    pipeline = backend.pipelines[pipeline_name]
    execution = pipeline.pipeline_executions[execution_arn]
    try:
        definition = json.loads(execution.pipeline_definition_for_execution)
        parameters = parameter_values(definition.get("Parameters", []), overrides)
        clients = _clients(host, backend.account_id, backend.region_name)
        # The steps read and write as the pipeline's role, authorized as AWS would.
        as_role = clients_as(clients, backend.region_name, pipeline.role_arn, ("s3",))
        s3, sagemaker = as_role("s3"), clients("sagemaker")
        runner = PipelineRunner(
            definition,
            ExecutionContext(pipeline_name, pipeline.arn, execution_arn, parameters),
            s3=s3,
            sagemaker=sagemaker,
            recorder=BackendRecorder(execution, utcnow),
            log=lambda line: logger.warning("%s %s", execution_arn.rsplit("/", 1)[-1], line),
        )
        outcome = runner.run()
        status, reason = outcome.status, outcome.failure_reason
    except Exception as error:  # an execution always ends with a status
        logger.exception("pipeline execution %s could not run", execution_arn)
        status, reason = "Failed", f"the local runner could not start: {error}"
    execution.pipeline_execution_status = status
    execution.pipeline_execution_failure_reason = reason
    execution.last_modified_time = utcnow()


def install(*, synchronous: bool = False) -> None:
    """Patch moto's SageMaker (once); `synchronous` runs executions inside the start call."""
    from moto.core.responses import ActionResult  # noqa: PLC0415
    from moto.sagemaker.models import SageMakerModelBackend  # noqa: PLC0415
    from moto.sagemaker.responses import SageMakerResponse  # noqa: PLC0415
    from moto.sagemaker.utils import get_pipeline_execution_from_arn  # noqa: PLC0415

    from local_deploy import endpoint_local  # noqa: PLC0415

    endpoint_local.install()  # InvokeEndpoint served by the model's own code
    _SETTINGS["synchronous"] = synchronous
    if getattr(SageMakerModelBackend, _MARK, False):
        return

    moto_start = SageMakerResponse.start_pipeline_execution
    moto_describe = SageMakerModelBackend.describe_pipeline_execution

    def start_pipeline_execution(self: SageMakerResponse) -> ActionResult:
        name = self._get_param("PipelineName")
        pipeline = self.sagemaker_backend.pipelines.get(name)
        before = set(pipeline.pipeline_executions) if pipeline is not None else set()
        result = moto_start(self)  # raises for an unknown pipeline
        pipeline = self.sagemaker_backend.pipelines[name]
        (execution_arn,) = set(pipeline.pipeline_executions) - before
        execution = pipeline.pipeline_executions[execution_arn]
        execution.pipeline_execution_status = "Executing"
        execution.local_steps = []
        overrides = {
            p["Name"]: str(p["Value"]) for p in self._get_param("PipelineParameters") or []
        }
        job = threading.Thread(
            target=run_execution,
            args=(self.sagemaker_backend, name, execution_arn, self.headers.get("Host"), overrides),
            name=f"pipeline-{execution_arn.rsplit('/', 1)[-1]}",
            daemon=True,
        )
        job.start()
        if _SETTINGS["synchronous"]:
            job.join()
        return result

    def describe_pipeline_execution(
        self: SageMakerModelBackend, pipeline_execution_arn: str
    ) -> dict[str, Any]:
        response = moto_describe(self, pipeline_execution_arn)
        execution = get_pipeline_execution_from_arn(self.pipelines, pipeline_execution_arn)
        response["FailureReason"] = execution.pipeline_execution_failure_reason or ""
        return response

    def list_pipeline_execution_steps(
        self: SageMakerModelBackend, pipeline_execution_arn: str, sort_order: str | None
    ) -> list[dict[str, Any]]:
        execution = get_pipeline_execution_from_arn(self.pipelines, pipeline_execution_arn)
        steps = [
            {k: v for k, v in step.items() if k != "StepType"}
            for step in getattr(execution, "local_steps", [])
        ]
        steps.sort(key=lambda s: s["StartTime"], reverse=sort_order != "Ascending")
        return steps

    def list_pipeline_execution_steps_response(self: SageMakerResponse) -> ActionResult:
        steps = self.sagemaker_backend.list_pipeline_execution_steps(
            self._get_param("PipelineExecutionArn"), self._get_param("SortOrder")
        )
        return ActionResult({"PipelineExecutionSteps": steps})

    SageMakerResponse.start_pipeline_execution = start_pipeline_execution  # type: ignore[method-assign]
    SageMakerModelBackend.describe_pipeline_execution = describe_pipeline_execution  # type: ignore[method-assign]
    SageMakerModelBackend.list_pipeline_execution_steps = list_pipeline_execution_steps  # type: ignore[attr-defined]
    SageMakerResponse.list_pipeline_execution_steps = list_pipeline_execution_steps_response  # type: ignore[attr-defined]
    setattr(SageMakerModelBackend, _MARK, True)
