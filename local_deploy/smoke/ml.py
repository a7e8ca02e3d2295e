"""MlStack: pipeline definition, model registry, deployer wiring, and one approval end to end.

The last check plays EventBridge: it registers an Approved model package in the stack's group
(pointing at an artifact uploaded to the artifacts bucket), runs the deployer's handler in this
process (local_deploy.lambda_code) against the emulator with the deployed function's own
environment, and expects the endpoint and then, after the IN_SERVICE event, its scaling target.
"""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local_deploy import model_events
from local_deploy.lambda_code import InProcessFunction
from local_deploy.smoke import Check, SmokeContext, expect

STACK_ID = "MlStack"

DEPLOYER_DIR = Path(__file__).resolve().parents[2] / "lambda" / "model_deployer"
PIPELINE_STEPS = ("Prepare", "Train", "Evaluate", "CheckMetric", "RegisterModel")
# moto validates InstanceType against an enum that predates ml.g5/g6; the in-process run swaps
# in the newest GPU type it knows with the same local-NVMe storage class (so the volume-key rule
# is exercised the same way). deployer_function_is_configured checks the real, deployed value.
EMULATOR_GPU_INSTANCE_TYPE = "ml.g4dn.xlarge"


def _output(ctx: SmokeContext, name: str) -> str:
    value = ctx.outputs.get(name)
    expect(bool(value), f"stack output {name} is missing; outputs: {sorted(ctx.outputs)}")
    return str(value)


def _step_names(steps: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for step in steps:
        yield step["Name"], step["Type"]
        if step["Type"] == "Condition":
            yield from _step_names(step["Arguments"].get("IfSteps", []))
            yield from _step_names(step["Arguments"].get("ElseSteps", []))


def pipeline_definition_has_its_steps(ctx: SmokeContext) -> str:
    name = _output(ctx, "PipelineName")
    pipeline = ctx.client("sagemaker").describe_pipeline(PipelineName=name)
    definition = json.loads(pipeline["PipelineDefinition"])
    steps = dict(_step_names(definition["Steps"]))
    missing = [step for step in PIPELINE_STEPS if step not in steps]
    expect(not missing, f"pipeline {name} lacks steps {missing}; has {sorted(steps)}")
    expect(steps["Train"] == "Training", f"step Train is {steps['Train']}, not Training")
    train = next(s for s in definition["Steps"] if s["Name"] == "Train")["Arguments"]
    spot = train.get("EnableManagedSpotTraining", False)
    expect(spot == ctx.config.ml.spot_training, f"training step spot is {spot}, config differs")
    return f"pipeline {name} with steps {', '.join(PIPELINE_STEPS)}"


def model_package_group_exists(ctx: SmokeContext) -> str:
    name = _output(ctx, "ModelPackageGroupName")
    group = ctx.client("sagemaker").describe_model_package_group(ModelPackageGroupName=name)
    expect(group["ModelPackageGroupName"] == name, f"group {name} not found")
    return f"model package group {name}"


def eventbridge_rules_match_group_and_endpoint(ctx: SmokeContext) -> str:
    events = ctx.client("events")
    patterns = []
    for rule_name in ctx.physical_ids("AWS::Events::Rule"):
        rule = events.describe_rule(Name=rule_name.split("|")[-1])
        if "EventPattern" in rule:
            patterns.append(json.loads(rule["EventPattern"]))
    group, endpoint = _output(ctx, "ModelPackageGroupName"), _output(ctx, "EndpointName")
    details = [p.get("detail", {}) for p in patterns]
    expect(
        {"ModelPackageGroupName": [group], "ModelApprovalStatus": ["Approved"]} in details,
        f"no Approved rule for {group}; patterns {patterns}",
    )
    expect(
        {"EndpointName": [endpoint], "EndpointStatus": ["IN_SERVICE"]} in details,
        f"no IN_SERVICE rule for {endpoint}; patterns {patterns}",
    )
    return f"rules: Approved packages of {group}, IN_SERVICE of {endpoint}"


def _deployer_configuration(ctx: SmokeContext) -> dict[str, Any]:
    function = _output(ctx, "DeployerFunctionName")
    return ctx.client("lambda").get_function_configuration(FunctionName=function)


def _deployer_environment(ctx: SmokeContext) -> dict[str, str]:
    config = _deployer_configuration(ctx)
    return dict(config.get("Environment", {}).get("Variables", {}))


def deployer_function_is_configured(ctx: SmokeContext) -> str:
    env = _deployer_environment(ctx)
    expect(
        env.get("MODEL_PACKAGE_GROUP_NAME") == _output(ctx, "ModelPackageGroupName"),
        f"deployer MODEL_PACKAGE_GROUP_NAME is {env.get('MODEL_PACKAGE_GROUP_NAME')!r}",
    )
    expect(
        env.get("INSTANCE_TYPE") == ctx.config.ml.endpoint_instance_type,
        f"deployer INSTANCE_TYPE is {env.get('INSTANCE_TYPE')!r}",
    )
    return f"deployer {_output(ctx, 'DeployerFunctionName')} with {len(env)} variables"


def _emulator_overrides(ctx: SmokeContext) -> dict[str, str]:
    """Endpoint and credentials of the emulator, so the handler's AWS calls reach it."""
    credentials = ctx.session.get_credentials()
    return {
        "AWS_ENDPOINT_URL": ctx.endpoint,
        "AWS_DEFAULT_REGION": ctx.session.region_name,
        "AWS_REGION": ctx.session.region_name,
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
        "AWS_SESSION_TOKEN": credentials.token or "",
        "INSTANCE_TYPE": EMULATOR_GPU_INSTANCE_TYPE,
    }


def _model_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        payload = b'{"smoke": true}\n'
        info = tarfile.TarInfo("model_metadata.json")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def approval_deploys_endpoint_with_autoscaling(ctx: SmokeContext) -> str:
    group, endpoint = _output(ctx, "ModelPackageGroupName"), _output(ctx, "EndpointName")
    bucket, pipeline = _output(ctx, "ArtifactsBucketName"), _output(ctx, "PipelineName")
    key = f"pipelines/{pipeline}/smoke-{uuid.uuid4().hex[:8]}/package/model.tar.gz"
    ctx.client("s3").put_object(Bucket=bucket, Key=key, Body=_model_archive())
    sagemaker = ctx.client("sagemaker")
    package = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0",
                    "ModelDataUrl": f"s3://{bucket}/{key}",
                    "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )
    arn = package["ModelPackageArn"]
    deployer = InProcessFunction(
        _deployer_configuration(ctx), DEPLOYER_DIR, overrides=_emulator_overrides(ctx)
    )
    approved = model_events.package_approved(group, arn)
    result = deployer.invoke(approved)
    expect(result.get("outcome") in model_events.DEPLOYED_OUTCOMES, f"deployer answered {result}")
    status = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"]
    scaled = deployer.invoke(model_events.endpoint_in_service(endpoint))
    targets = ctx.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"endpoint/{endpoint}/variant/AllTraffic"]
    )["ScalableTargets"]
    expect(len(targets) == 1, f"no scaling target for {endpoint} after IN_SERVICE: {scaled}")
    bounds = (targets[0]["MinCapacity"], targets[0]["MaxCapacity"])
    ml = ctx.config.ml
    expected = (ml.endpoint_min_capacity, ml.endpoint_max_capacity)
    expect(bounds == expected, f"scaling bounds {bounds}, expected {expected}")
    version = approved["detail"]["ModelPackageVersion"]
    return f"v{version} approved -> endpoint {endpoint} ({status}), scaling {bounds[0]}-{bounds[1]}"


CHECKS: list[Check] = [
    pipeline_definition_has_its_steps,
    model_package_group_exists,
    eventbridge_rules_match_group_and_endpoint,
    deployer_function_is_configured,
    approval_deploys_endpoint_with_autoscaling,
]
