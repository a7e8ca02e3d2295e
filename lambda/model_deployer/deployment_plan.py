"""Pure logic of the model deployer: reading events, deriving names, building API requests.

Nothing here calls AWS, so every rule (what is rejected, how names are derived, what the blue/green
policy looks like) is testable without moto.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from deployer_config import DeployerConfig

MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"
APPROVED = "Approved"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCALING_METRIC = "SageMakerVariantInvocationsPerInstance"

_MODEL_PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[a-zA-Z0-9-]+/\d+$"
)
_NAME_LIMIT = 63

# Instance families with local NVMe instance storage. CreateEndpointConfig fails if KmsKeyId is set
# for them: their local volumes are always encrypted by the instance's hardware module instead.
# Nearly every GPU family is in this list, so the KMS key on the volume is only sent for the rest.
# A copy of ml_pipeline/instance_storage.py's list (this asset is self-contained); a test in
# tests/lambda/model_deployer/test_deployer_plan.py keeps the two equal.
_LOCAL_STORAGE_FAMILIES = frozenset(
    {
        "c5d", "c6gd", "c6id", "g4ad", "g4dn", "g5", "g6", "g6e", "gr6", "m5d", "m6gd", "m6id",
        "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "r5d", "r6gd", "r6id", "trn1", "trn1n",
    }
)  # fmt: skip


class MalformedEventError(ValueError):
    """The event does not have the shape SageMaker documents; the message names the field."""


class ModelPackageError(ValueError):
    """The described model package cannot be deployed as it stands (for example no containers)."""


@dataclass(frozen=True)
class ModelApproval:
    model_package_arn: str
    model_package_version: int


@dataclass(frozen=True)
class EndpointInService:
    endpoint_name: str


@dataclass(frozen=True)
class Ignored:
    reason: str


def classify_event(
    event: object, config: DeployerConfig
) -> ModelApproval | EndpointInService | Ignored:
    """Decide what an incoming EventBridge event asks for.

    Events that are well formed but not for us (another group, another endpoint, a status other
    than Approved/IN_SERVICE) are Ignored: they are normal traffic on a shared bus, and raising
    would only make Lambda retry them and page someone.

    Malformed events raise MalformedEventError instead. The rule only matches SageMaker's own
    events, so a malformed one means the schema changed or someone hand-crafted it; either way a
    person must look. Raising makes the invocation count as an error (alarmed), and after Lambda's
    two bounded async retries the event lands in the function's failure destination rather than
    vanishing into a log line. Retries are bounded, so this never loops forever.
    """
    if not isinstance(event, dict):
        raise MalformedEventError(f"event must be a JSON object, got {type(event).__name__}")
    detail_type = event.get("detail-type")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise MalformedEventError("event.detail is missing or not an object")
    if detail_type == MODEL_PACKAGE_STATE_CHANGE:
        return _classify_model_package_event(detail, config)
    if detail_type == ENDPOINT_STATE_CHANGE:
        return _classify_endpoint_event(detail, config)
    raise MalformedEventError(
        f"event.detail-type={detail_type!r} is not handled: expected "
        f"{MODEL_PACKAGE_STATE_CHANGE!r} or {ENDPOINT_STATE_CHANGE!r} (check the EventBridge rule)"
    )


def _required_str(detail: dict[str, Any], field: str) -> str:
    value = detail.get(field)
    if not isinstance(value, str) or not value:
        raise MalformedEventError(f"event.detail.{field} is missing or not a non-empty string")
    return value


def _classify_model_package_event(
    detail: dict[str, Any], config: DeployerConfig
) -> ModelApproval | Ignored:
    group = _required_str(detail, "ModelPackageGroupName")
    if group != config.model_package_group_name:
        return Ignored(
            f"model package group {group!r} is not this stack's {config.model_package_group_name!r}"
        )
    status = _required_str(detail, "ModelApprovalStatus")
    if status != APPROVED:
        return Ignored(f"ModelApprovalStatus is {status!r}, only {APPROVED!r} is deployed")
    arn = _required_str(detail, "ModelPackageArn")
    if not _MODEL_PACKAGE_ARN.match(arn):
        raise MalformedEventError(
            f"event.detail.ModelPackageArn={arn!r} is not a versioned model package ARN"
        )
    version = detail.get("ModelPackageVersion")
    # bool is an int subclass; True must not pass as version 1.
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MalformedEventError(
            f"event.detail.ModelPackageVersion={version!r} is not a positive integer"
        )
    if not arn.endswith(f"/{version}"):
        raise MalformedEventError(
            f"event.detail.ModelPackageVersion={version} does not match ModelPackageArn={arn!r}"
        )
    return ModelApproval(model_package_arn=arn, model_package_version=version)


def _classify_endpoint_event(
    detail: dict[str, Any], config: DeployerConfig
) -> EndpointInService | Ignored:
    name = _required_str(detail, "EndpointName")
    if name != config.endpoint_name:
        return Ignored(f"endpoint {name!r} is not this stack's {config.endpoint_name!r}")
    status = _required_str(detail, "EndpointStatus")
    if status != "IN_SERVICE":
        return Ignored(f"EndpointStatus is {status!r}; autoscaling is applied on IN_SERVICE")
    return EndpointInService(endpoint_name=name)


def check_package_still_approved(package: dict[str, Any], config: DeployerConfig) -> str | None:
    """Return a rejection reason if describe_model_package contradicts the event, else None.

    Events are delivered late and sometimes more than once; the approval may have been revoked
    since, and describe_model_package is the truth."""
    group = package.get("ModelPackageGroupName")
    if group != config.model_package_group_name:
        return f"model package belongs to group {group!r}, not {config.model_package_group_name!r}"
    status = package.get("ModelApprovalStatus")
    if status != APPROVED:
        return f"model package is now {status!r} (approval revoked since the event was sent)"
    return None


def package_containers(package: dict[str, Any]) -> list[dict[str, Any]]:
    """The model containers of a described package, as CreateModel container definitions."""
    containers = package.get("InferenceSpecification", {}).get("Containers") or []
    if not containers:
        raise ModelPackageError(
            f"model package {package.get('ModelPackageArn')!r} has no "
            "InferenceSpecification.Containers to deploy"
        )
    definitions = []
    for index, container in enumerate(containers):
        where = f"InferenceSpecification.Containers[{index}]"
        if not container.get("Image"):
            raise ModelPackageError(f"{where}.Image is missing")
        if not container.get("ModelDataUrl"):
            raise ModelPackageError(f"{where}.ModelDataUrl is missing; nothing to deploy")
        definition = {
            "Image": container["Image"],
            "ModelDataUrl": container["ModelDataUrl"],
        }
        if container.get("Environment"):
            definition["Environment"] = dict(container["Environment"])
        definitions.append(definition)
    return definitions


def split_s3_url(url: str) -> tuple[str, str]:
    """Split s3://bucket/key into (bucket, key); raise ModelPackageError for anything else."""
    match = re.match(r"^s3://([^/]+)/(.+)$", url)
    if not match:
        raise ModelPackageError(f"ModelDataUrl {url!r} is not an s3://bucket/key URL")
    return match.group(1), match.group(2)


def _digest(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:8]


def versioned_name(endpoint_name: str, version: int, request: dict[str, Any]) -> str:
    """`<endpoint>-v<version>-<hash of the request>`, at most 63 characters.

    Same package version and same settings give the same name, which is what makes a duplicate
    event a no-op. The hash makes a settings change (instance type, sampling, role...) produce a new
    resource on the next approval instead of silently reusing the stale one."""
    suffix = f"-v{version}-{_digest(request)}"
    return endpoint_name[: _NAME_LIMIT - len(suffix)].rstrip("-") + suffix


def _tags(model_package_arn: str, version: int) -> list[dict[str, str]]:
    return [
        {"Key": "ModelPackageArn", "Value": model_package_arn},
        {"Key": "ModelPackageVersion", "Value": str(version)},
        {"Key": "ManagedBy", "Value": "model-deployer"},
    ]


def build_model_request(
    config: DeployerConfig, package: dict[str, Any], containers: list[dict[str, Any]]
) -> dict[str, Any]:
    """CreateModel arguments: the package's containers in the VPC, with network isolation."""
    version = int(package["ModelPackageVersion"])
    body: dict[str, Any] = {
        "ExecutionRoleArn": config.execution_role_arn,
        "VpcConfig": {
            "Subnets": list(config.subnet_ids),
            "SecurityGroupIds": list(config.security_group_ids),
        },
        "EnableNetworkIsolation": True,
    }
    if len(containers) == 1:
        body["PrimaryContainer"] = containers[0]
    else:
        body["Containers"] = containers
    return {
        "ModelName": versioned_name(config.endpoint_name, version, body),
        **body,
        "Tags": _tags(package["ModelPackageArn"], version),
    }


def has_local_instance_storage(instance_type: str) -> bool:
    return instance_type.split(".")[1] in _LOCAL_STORAGE_FAMILIES


def build_endpoint_config_request(
    config: DeployerConfig, package: dict[str, Any], model_name: str
) -> dict[str, Any]:
    """CreateEndpointConfig arguments: one GPU variant, data capture to the lake, KMS throughout."""
    version = int(package["ModelPackageVersion"])
    body: dict[str, Any] = {
        "ProductionVariants": [
            {
                "VariantName": config.variant_name,
                "ModelName": model_name,
                "InstanceType": config.instance_type,
                "InitialInstanceCount": config.initial_instance_count,
                "InitialVariantWeight": 1.0,
            }
        ],
        "DataCaptureConfig": {
            "EnableCapture": config.data_capture_sampling_percentage > 0,
            "InitialSamplingPercentage": config.data_capture_sampling_percentage,
            "DestinationS3Uri": config.data_capture_s3_uri,
            "KmsKeyId": config.kms_key_arn,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            # Without these, captured CSV/JSON payloads are stored base64-encoded, which the lake's
            # readers would have to decode.
            "CaptureContentTypeHeader": {
                "CsvContentTypes": ["text/csv"],
                "JsonContentTypes": ["application/json"],
            },
        },
    }
    if not has_local_instance_storage(config.instance_type):
        body["KmsKeyId"] = config.kms_key_arn
    return {
        "EndpointConfigName": versioned_name(config.endpoint_name, version, body),
        **body,
        "Tags": _tags(package["ModelPackageArn"], version),
    }


def build_deployment_config(config: DeployerConfig) -> dict[str, Any]:
    """UpdateEndpoint DeploymentConfig: blue/green, canary then the rest, alarms roll back.

    The canary may be at most half of the new (green) fleet, whose size is INITIAL_INSTANCE_COUNT.
    A one-instance fleet cannot have a canary, so it shifts all at once; it still bakes for
    TERMINATION_WAIT_SECONDS with the alarms armed before the old fleet is terminated."""
    fleet = config.initial_instance_count
    canary_instances = max(1, fleet * config.canary_percent // 100)
    routing: dict[str, Any]
    if canary_instances * 2 <= fleet:
        routing = {
            "Type": "CANARY",
            "CanarySize": {"Type": "INSTANCE_COUNT", "Value": canary_instances},
            "WaitIntervalInSeconds": config.canary_wait_seconds,
        }
    else:
        routing = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": config.termination_wait_seconds,
            "MaximumExecutionTimeoutInSeconds": config.max_deployment_seconds,
        },
        "AutoRollbackConfiguration": {
            "Alarms": [{"AlarmName": name} for name in config.alarm_names]
        },
    }


def scalable_resource_id(config: DeployerConfig) -> str:
    return f"endpoint/{config.endpoint_name}/variant/{config.variant_name}"


def build_scalable_target_request(config: DeployerConfig) -> dict[str, Any]:
    return {
        "ServiceNamespace": "sagemaker",
        "ResourceId": scalable_resource_id(config),
        "ScalableDimension": SCALABLE_DIMENSION,
        "MinCapacity": config.min_capacity,
        "MaxCapacity": config.max_capacity,
    }


def build_scaling_policy_request(config: DeployerConfig) -> dict[str, Any]:
    """Target tracking on invocations per instance. GPU instances take minutes to boot and load a
    model, so scale-out waits SCALE_OUT_COOLDOWN_SECONDS before adding more, and scale-in waits
    longer still so a short lull does not drop capacity that is slow to get back."""
    return {
        "PolicyName": f"{config.endpoint_name}-invocations-per-instance",
        "ServiceNamespace": "sagemaker",
        "ResourceId": scalable_resource_id(config),
        "ScalableDimension": SCALABLE_DIMENSION,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": config.target_invocations_per_instance,
            "PredefinedMetricSpecification": {"PredefinedMetricType": SCALING_METRIC},
            "ScaleInCooldown": config.scale_in_cooldown_seconds,
            "ScaleOutCooldown": config.scale_out_cooldown_seconds,
        },
    }
