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
from dataclasses import dataclass
from typing import Any

from local_deploy import deployment, model_events, server
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


@dataclass(frozen=True)
class PipelineRun:
    """One execution followed to its end: what `run-pipeline` prints and the demo checks."""

    arn: str
    status: str
    failure_reason: str
    steps: list[dict[str, Any]]

    @property
    def execution_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def registered(self) -> list[str]:
        """ARNs of the model packages the execution registered."""
        return [
            step["Metadata"]["RegisterModel"]["Arn"]
            for step in self.steps
            if step.get("Metadata", {}).get("RegisterModel", {}).get("Arn")
        ]


def follow_pipeline(
    settings: LocalSettings,
    overrides: Mapping[str, str],
    *,
    poll_seconds: float = 1.0,
    out: Callable[[str], None] = print,
) -> PipelineRun:
    """Start an execution of the deployed pipeline and follow it to a final status."""
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
    out(f"(the steps' own output goes to the emulator's log: {settings.log_file})")
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
    reason = execution.get("FailureReason", "") if status != "Succeeded" else ""
    return PipelineRun(arn=arn, status=status, failure_reason=reason, steps=steps)


def run_pipeline(
    settings: LocalSettings,
    overrides: Mapping[str, str],
    *,
    poll_seconds: float = 1.0,
    out: Callable[[str], None] = print,
) -> int:
    """Start an execution of the deployed pipeline and follow it; 0 when it Succeeded."""
    run = follow_pipeline(settings, overrides, poll_seconds=poll_seconds, out=out)
    reason = f": {run.failure_reason}" if run.status != "Succeeded" else ""
    out(f"execution {run.status}{reason}")
    for registered in run.registered:
        out(f"registered {registered} (PendingManualApproval); next: `local_deploy approve`")
    return 0 if run.status == "Succeeded" else 1


def newest_pending_package(sagemaker: Any, group: str) -> dict[str, Any]:  # noqa: ANN401
    """The newest PendingManualApproval package summary of a group."""
    packages = sagemaker.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus="PendingManualApproval",
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"]
    if not packages:
        raise MlLocalError(
            f"group {group} has no PendingManualApproval package; run "
            "`python -m local_deploy run-pipeline` first"
        )
    return max(packages, key=lambda p: int(p["ModelPackageArn"].rsplit("/", 1)[-1]))


def approve_and_deploy(
    sagemaker: Any,  # noqa: ANN401 - boto3 is untyped
    deployer: Any,  # noqa: ANN401 - an InProcessFunction (or a test double) with invoke(event)
    group: str,
    endpoint: str,
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Approve the newest pending package, then deliver the two EventBridge events AWS would
    send the deployer: the approval, and the endpoint's IN_SERVICE. Returns (package ARN,
    deployer result of the approval, endpoint description)."""
    package = newest_pending_package(sagemaker, group)
    arn = package["ModelPackageArn"]
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    result = deployer.invoke(model_events.package_approved(group, arn))
    if result.get("outcome") not in model_events.DEPLOYED_OUTCOMES:
        raise MlLocalError(f"the deployer did not deploy {arn}: {result}")
    described = sagemaker.describe_endpoint(EndpointName=endpoint)
    if described["EndpointStatus"] == "InService":
        deployer.invoke(model_events.endpoint_in_service(endpoint))
    return arn, result, described


def approve(settings: LocalSettings, *, out: Callable[[str], None] = print) -> int:
    """`approve`: the newest pending package goes live on the deployed endpoint."""
    from local_deploy.lambda_code import InProcessFunction  # noqa: PLC0415
    from local_deploy.smoke.ml import DEPLOYER_DIR, EMULATOR_GPU_INSTANCE_TYPE  # noqa: PLC0415

    if server.running_pid(settings) is None:
        raise MlLocalError(f"no emulator runs on port {settings.port}; run `make deploy-local`")
    _, outputs = ml_outputs(settings)
    configuration = deployment.client(settings, "lambda").get_function_configuration(
        FunctionName=outputs["DeployerFunctionName"]
    )
    overrides = {
        **settings.aws_environment(),
        # moto validates InstanceType against an enum without ml.g5/g6 (see local_deploy.smoke.ml)
        "INSTANCE_TYPE": EMULATOR_GPU_INSTANCE_TYPE,
    }
    deployer = InProcessFunction(configuration, DEPLOYER_DIR, overrides=overrides)
    sagemaker = deployment.client(settings, "sagemaker")
    arn, result, endpoint = approve_and_deploy(
        sagemaker, deployer, outputs["ModelPackageGroupName"], outputs["EndpointName"]
    )
    out(f"approved {arn}")
    out(f"deployer: {result.get('outcome')} {result.get('endpoint_config_name', '')}")
    out(f"endpoint {endpoint['EndpointName']}: {endpoint['EndpointStatus']}")
    out(
        "invoke it: aws sagemaker-runtime invoke-endpoint --endpoint-name "
        f"{endpoint['EndpointName']} --content-type text/csv --body fileb://rows.csv out.json"
    )
    return 0 if endpoint["EndpointStatus"] == "InService" else 1
