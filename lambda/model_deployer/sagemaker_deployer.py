"""The AWS side of the model deployer: every SageMaker, S3 and Application Auto Scaling call.

The deployer never waits for an endpoint: creating or updating one takes many minutes, longer
than is sensible to hold a Lambda. It starts the change and returns; autoscaling is (re)applied
when SageMaker reports the endpoint IN_SERVICE (a second EventBridge rule invokes this function).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError
from deployer_config import DeployerConfig
from deployment_plan import (
    SCALABLE_DIMENSION,
    EndpointInService,
    ModelApproval,
    build_deployment_config,
    build_endpoint_config_request,
    build_model_request,
    build_scalable_target_request,
    build_scaling_policy_request,
    check_package_still_approved,
    package_containers,
    scalable_resource_id,
    split_s3_url,
)

# Endpoint states in which SageMaker is already changing the endpoint. A second UpdateEndpoint
# would be refused, and we must not stack a new model on a deployment that may be rolling back.
BUSY_STATUSES = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})


class ArtifactMissingError(RuntimeError):
    """The model artifact a package points at is not in S3 (or not readable by this function)."""


class EndpointUnusableError(RuntimeError):
    """The endpoint is in a state only an operator can fix (Failed, OutOfService, ...)."""


@dataclass(frozen=True)
class AwsClients:
    sagemaker: BaseClient
    s3: BaseClient
    autoscaling: BaseClient


@dataclass
class DeploymentResult:
    """What one invocation did; returned by the handler and logged as one structured line."""

    outcome: str  # deployed | updated | unchanged | rejected | busy | scaled
    reason: str | None = None
    endpoint_name: str | None = None
    model_package_arn: str | None = None
    model_package_version: int | None = None
    model_name: str | None = None
    endpoint_config_name: str | None = None
    created: list[str] = field(default_factory=list)
    traffic_routing: str | None = None
    autoscaling: str | None = None  # applied | deferred (applied on the IN_SERVICE event)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value not in (None, [])}


def _error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _error_message(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Message", "")


def _is_not_found(error: ClientError) -> bool:
    # SageMaker answers describe_* of a missing resource with a ValidationException
    # "Could not find ...", not with a dedicated not-found code.
    return _error_code(error) == "ValidationException" and "Could not find" in _error_message(error)


def _is_already_existing(error: ClientError) -> bool:
    # Two concurrent deliveries of the same event can both pass the describe check; the loser's
    # create fails with "Cannot create already existing ...", which means the work is done.
    return _error_code(error) == "ValidationException" and "already existing" in _error_message(
        error
    )


def _describe_or_none(call: Callable[..., dict[str, Any]], **kwargs: str) -> dict[str, Any] | None:
    try:
        return call(**kwargs)
    except ClientError as error:
        if _is_not_found(error):
            return None
        raise


def _create_unless_exists(
    describe: Callable[..., dict[str, Any]],
    create: Callable[..., dict[str, Any]],
    name_arg: str,
    request: dict[str, Any],
) -> bool:
    """Create the resource named request[name_arg] unless it exists; True if this call made it."""
    if _describe_or_none(describe, **{name_arg: request[name_arg]}) is not None:
        return False
    try:
        create(**request)
    except ClientError as error:
        if _is_already_existing(error):
            return False
        raise
    return True


def verify_artifact(s3: BaseClient, url: str) -> None:
    bucket, key = split_s3_url(url)
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _error_code(error) in {"404", "NoSuchKey", "403", "AccessDenied"}:
            raise ArtifactMissingError(
                f"model artifact {url} does not exist or is not readable by the deployer "
                f"(S3 HeadObject answered {_error_code(error)}); nothing was deployed"
            ) from error
        raise


class ModelDeployer:
    def __init__(self, config: DeployerConfig, clients: AwsClients) -> None:
        self._config = config
        self._clients = clients

    def deploy(self, approval: ModelApproval) -> DeploymentResult:
        config, sagemaker = self._config, self._clients.sagemaker
        package = sagemaker.describe_model_package(ModelPackageName=approval.model_package_arn)
        result = DeploymentResult(
            outcome="rejected",
            endpoint_name=config.endpoint_name,
            model_package_arn=approval.model_package_arn,
            model_package_version=int(package["ModelPackageVersion"]),
        )
        rejection = check_package_still_approved(package, config)
        if rejection:
            result.reason = rejection
            return result

        # Everything that can fail on bad input is checked before the first create, so a bad
        # package leaves nothing behind.
        containers = package_containers(package)
        for container in containers:
            verify_artifact(self._clients.s3, container["ModelDataUrl"])
        model_request = build_model_request(config, package, containers)
        config_request = build_endpoint_config_request(config, package, model_request["ModelName"])
        result.model_name = model_request["ModelName"]
        result.endpoint_config_name = config_request["EndpointConfigName"]

        endpoint = _describe_or_none(sagemaker.describe_endpoint, EndpointName=config.endpoint_name)
        if endpoint is not None:
            pending = endpoint.get("PendingDeploymentSummary", {}).get("EndpointConfigName")
            if result.endpoint_config_name in (endpoint["EndpointConfigName"], pending):
                result.outcome = "unchanged"
                result.reason = "endpoint already serves (or is deploying) this endpoint config"
                result.autoscaling = self._apply_autoscaling_if_in_service(endpoint)
                return result
            if endpoint["EndpointStatus"] in BUSY_STATUSES:
                # Returned, not raised: Lambda's async retries (two, within minutes) end long
                # before a blue/green deployment does (canary wait + bake), so retrying would only
                # fail again. The approval stays on record in the registry; re-approving the
                # version once the endpoint is InService deploys it.
                result.outcome = "busy"
                result.reason = (
                    f"endpoint is {endpoint['EndpointStatus']}; re-approve "
                    f"version {result.model_package_version} once it is InService"
                )
                return result
            if endpoint["EndpointStatus"] != "InService":
                raise EndpointUnusableError(
                    f"endpoint {config.endpoint_name} is {endpoint['EndpointStatus']} "
                    f"({endpoint.get('FailureReason', 'no failure reason given')}); "
                    "it must be fixed or deleted by an operator before a new model can be deployed"
                )

        if _create_unless_exists(
            sagemaker.describe_model, sagemaker.create_model, "ModelName", model_request
        ):
            result.created.append("model")
        if _create_unless_exists(
            sagemaker.describe_endpoint_config,
            sagemaker.create_endpoint_config,
            "EndpointConfigName",
            config_request,
        ):
            result.created.append("endpoint_config")

        if endpoint is None:
            # A concurrent invocation may create the endpoint first; this call then fails and
            # Lambda's retry sees the endpoint and answers unchanged (same config) or busy.
            sagemaker.create_endpoint(
                EndpointName=config.endpoint_name,
                EndpointConfigName=result.endpoint_config_name,
                Tags=config_request["Tags"],
            )
            result.outcome = "deployed"
            result.created.append("endpoint")
        else:
            self._release_autoscaling_if_instance_type_changes(endpoint)
            deployment_config = build_deployment_config(config)
            sagemaker.update_endpoint(
                EndpointName=config.endpoint_name,
                EndpointConfigName=result.endpoint_config_name,
                DeploymentConfig=deployment_config,
            )
            result.outcome = "updated"
            routing = deployment_config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
            result.traffic_routing = routing["Type"]

        current = sagemaker.describe_endpoint(EndpointName=config.endpoint_name)
        result.autoscaling = self._apply_autoscaling_if_in_service(current)
        return result

    def on_endpoint_in_service(self, event: EndpointInService) -> DeploymentResult:
        endpoint = self._clients.sagemaker.describe_endpoint(EndpointName=event.endpoint_name)
        result = DeploymentResult(
            outcome="scaled",
            endpoint_name=event.endpoint_name,
            endpoint_config_name=endpoint["EndpointConfigName"],
        )
        result.autoscaling = self._apply_autoscaling_if_in_service(endpoint)
        if result.autoscaling != "applied":
            # The event is older than the endpoint's current state (a new update already started);
            # the IN_SERVICE event that ends that update will apply autoscaling.
            result.outcome = "busy"
            result.reason = f"endpoint is {endpoint['EndpointStatus']} again; autoscaling deferred"
        return result

    def _apply_autoscaling_if_in_service(self, endpoint: dict[str, Any]) -> str:
        """Register the variant and its target-tracking policy (both upserts) once InService.

        While the endpoint is Creating its variant is not yet a valid scalable target, so the
        work is deferred to the IN_SERVICE event rather than waited for here."""
        if endpoint["EndpointStatus"] != "InService":
            return "deferred"
        autoscaling = self._clients.autoscaling
        autoscaling.register_scalable_target(**build_scalable_target_request(self._config))
        autoscaling.put_scaling_policy(**build_scaling_policy_request(self._config))
        return "applied"

    def _release_autoscaling_if_instance_type_changes(self, endpoint: dict[str, Any]) -> None:
        """UpdateEndpoint fails if it changes the instance type of a variant registered with
        Application Auto Scaling, so deregister first (this also deletes its policies). The
        IN_SERVICE event after the update registers the variant again."""
        current = self._clients.sagemaker.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )
        current_types = {
            variant.get("InstanceType")
            for variant in current["ProductionVariants"]
            if variant["VariantName"] == self._config.variant_name
        }
        if current_types <= {self._config.instance_type}:
            return
        try:
            self._clients.autoscaling.deregister_scalable_target(
                ServiceNamespace="sagemaker",
                ResourceId=scalable_resource_id(self._config),
                ScalableDimension=SCALABLE_DIMENSION,
            )
        except ClientError as error:
            if _error_code(error) != "ObjectNotFoundException":
                raise
