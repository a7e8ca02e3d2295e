"""`run-pipeline` and `approve`: the ML part of the deployment, played on the emulator.

run-pipeline  StartPipelineExecution of the deployed pipeline (the emulator runs it with
              local_deploy.pipeline_run), then follows ListPipelineExecutionSteps to the end.
approve       approves the newest PendingManualApproval package of the deployed group, then runs
              the deployed deployer Lambda's code in this process on the EventBridge events AWS
              would send (approval, then IN_SERVICE), as the ML smoke check does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from local_deploy import deployment, server
from local_deploy.settings import LocalSettings

FINAL_STATUSES = frozenset({"Succeeded", "Failed", "Stopped"})


class MlLocalError(RuntimeError):
    """The ML stack is not deployed, or the emulator cannot run what was asked."""


def ml_outputs(settings: LocalSettings) -> tuple[str, dict[str, str]]:
    """(stack name, outputs) of the deployed stack that has a PipelineName output."""
    for stack in deployment.assembly_stacks(settings.assembly_dir):
        outputs = deployment.stack_outputs(settings, stack.stack_name) or {}
        if "PipelineName" in outputs:
            return stack.stack_name, outputs
    raise MlLocalError("no deployed stack has a PipelineName output; run `make deploy-local`")


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """`K=V` strings as a mapping; a malformed one is a one-line error."""
    overrides = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise MlLocalError(f"--param {pair!r}: expected NAME=VALUE")
        overrides[name] = value
    return overrides


def _seconds(step: Mapping[str, Any]) -> str:
    if "EndTime" not in step:
        return "-"
    return f"{(step['EndTime'] - step['StartTime']).total_seconds():.1f}s"


def run_pipeline(
    settings: LocalSettings,
    overrides: Mapping[str, str],
    *,
    poll_seconds: float = 1.0,
    out: Callable[[str], None] = print,
) -> int:
    """Start an execution of the deployed pipeline and follow it; 0 when it Succeeded."""
    if server.running_pid(settings) is None:
        raise MlLocalError(f"no emulator runs on port {settings.port}; run `make deploy-local`")
    _, outputs = ml_outputs(settings)
    name = outputs["PipelineName"]
    sagemaker = deployment.client(settings, "sagemaker")
    arn = sagemaker.start_pipeline_execution(
        PipelineName=name,
        PipelineParameters=[{"Name": k, "Value": v} for k, v in overrides.items()],
    )["PipelineExecutionArn"]
    out(f"execution {arn}")
    seen: dict[str, str] = {}
    while True:
        execution = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        try:
            steps = sagemaker.list_pipeline_execution_steps(
                PipelineExecutionArn=arn, SortOrder="Ascending"
            )["PipelineExecutionSteps"]
        except sagemaker.exceptions.ClientError as error:
            raise MlLocalError(
                "the emulator does not run pipelines (it was started before this feature); "
                f"restart it (`python -m local_deploy stop`, then `up`): {error}"
            ) from None
        for step in steps:
            if seen.get(step["StepName"]) != step["StepStatus"]:
                seen[step["StepName"]] = step["StepStatus"]
                out(f"  {step['StepName']:<22} {step['StepStatus']:<10} {_seconds(step)}")
        status = execution["PipelineExecutionStatus"]
        if status in FINAL_STATUSES:
            break
        time.sleep(poll_seconds)
    reason = f": {execution['FailureReason']}" if status != "Succeeded" else ""
    out(f"execution {status}{reason}")
    for step in steps:
        registered = step.get("Metadata", {}).get("RegisterModel", {}).get("Arn")
        if registered:
            out(f"registered {registered} (PendingManualApproval); next: `local_deploy approve`")
    return 0 if status == "Succeeded" else 1
