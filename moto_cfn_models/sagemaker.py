"""SageMaker: AWS::SageMaker::Pipeline and AWS::SageMaker::ModelPackageGroup, and the
UpdateEndpoint API that moto's service lacks (the model deployer calls it).

moto's own models cover Model, EndpointConfig, Endpoint and the notebook types.
"""

from __future__ import annotations

import json
from typing import Any

from moto.sagemaker.models import SageMakerModelBackend, sagemaker_backends

from ._base import Handler, tag_dict_to_list, tag_list_to_dict


def _backend(handler: Handler) -> SageMakerModelBackend:
    return sagemaker_backends[handler.account_id][handler.region_name]


class Pipeline(Handler):
    """Ref: the pipeline name. No attributes."""

    TYPE = "AWS::SageMaker::Pipeline"
    NAME_PROPERTY = "PipelineName"

    def _definition(self) -> tuple[str | None, dict[str, Any] | None]:
        definition = self.require("PipelineDefinition")
        body = definition.get("PipelineDefinitionBody")
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        location = definition.get("PipelineDefinitionS3Location")
        if location is not None:
            # The template says Key and Version; the API says ObjectKey and VersionId.
            location = {
                "Bucket": location["Bucket"],
                "ObjectKey": location["Key"],
                **({"VersionId": location["Version"]} if location.get("Version") else {}),
            }
        return body, location

    def create(self) -> None:
        body, location = self._definition()
        _backend(self).create_pipeline(
            pipeline_name=self.name,
            pipeline_display_name=self.prop("PipelineDisplayName", self.name),
            pipeline_definition=body,
            pipeline_definition_s3_location=location,
            pipeline_description=self.prop("PipelineDescription"),
            role_arn=self.require("RoleArn"),
            tags=tag_dict_to_list(tag_list_to_dict(self.prop("Tags"))),
            parallelism_configuration=self.prop("ParallelismConfiguration"),
        )
        self.physical_resource_id = self.name

    def update_in_place(self, previous: Handler) -> bool:
        if self.name != previous.name:
            return False
        body, location = self._definition()
        _backend(self).update_pipeline(
            self.name,
            pipeline_display_name=self.prop("PipelineDisplayName", self.name),
            pipeline_definition=body,
            pipeline_definition_s3_location=location,
            pipeline_description=self.prop("PipelineDescription"),
            role_arn=self.require("RoleArn"),
            parallelism_configuration=self.prop("ParallelismConfiguration"),
        )
        self.physical_resource_id = previous.physical_resource_id
        return True

    def delete_resource(self) -> None:
        if self.physical_resource_id in _backend(self).pipelines:
            _backend(self).delete_pipeline(self.physical_resource_id)


class ModelPackageGroup(Handler):
    """Ref and GetAtt ModelPackageGroupArn: the group ARN; also CreationTime and status."""

    TYPE = "AWS::SageMaker::ModelPackageGroup"
    NAME_PROPERTY = "ModelPackageGroupName"
    ATTRIBUTES = frozenset({"ModelPackageGroupArn", "CreationTime", "ModelPackageGroupStatus"})

    def create(self) -> None:
        backend = _backend(self)
        arn = backend.create_model_package_group(
            model_package_group_name=self.name,
            model_package_group_description=self.prop("ModelPackageGroupDescription"),
            tags=tag_dict_to_list(tag_list_to_dict(self.prop("Tags"))),
        )
        group = backend.model_package_groups[self.name]
        # moto has no model package group policy API; keep the policy on the group so that
        # it is not lost, even though nothing reads it back.
        group.model_package_group_policy = self.prop("ModelPackageGroupPolicy")
        self.physical_resource_id = arn
        self.attributes = {
            "ModelPackageGroupArn": arn,
            "CreationTime": group.creation_time,
            "ModelPackageGroupStatus": group.model_package_group_status,
        }

    def update_in_place(self, previous: Handler) -> bool:
        if self.name != previous.name:
            return False
        group = _backend(self).model_package_groups[self.name]
        group.model_package_group_description = self.prop("ModelPackageGroupDescription")
        group.model_package_group_policy = self.prop("ModelPackageGroupPolicy")
        self.physical_resource_id = previous.physical_resource_id
        self.attributes = dict(previous.attributes)
        return True

    def delete_resource(self) -> None:
        # moto has no DeleteModelPackageGroup.
        _backend(self).model_package_groups.pop(self.name, None)


def install_update_endpoint() -> None:
    """Give moto's SageMaker the UpdateEndpoint API it lacks (moto 5.2 raises
    NotImplementedError), so that a second model deployment works against the emulator.

    The switch to the new endpoint configuration happens at once, where SageMaker would roll it
    out (blue/green, with the deployment config's alarms) over minutes; the endpoint stays
    InService throughout, as it does in AWS.
    """
    from moto.core.responses import ActionResult  # noqa: PLC0415
    from moto.core.utils import utcnow  # noqa: PLC0415
    from moto.sagemaker.exceptions import ValidationError  # noqa: PLC0415
    from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig  # noqa: PLC0415
    from moto.sagemaker.responses import SageMakerResponse  # noqa: PLC0415

    if hasattr(SageMakerModelBackend, "update_endpoint"):
        return

    def update_endpoint(
        self: SageMakerModelBackend, endpoint_name: str, endpoint_config_name: str
    ) -> str:
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is None:
            arn = FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
            raise ValidationError(message=f"Could not find endpoint '{arn}'.")
        config = self.endpoint_configs.get(endpoint_config_name)
        if config is None:
            arn = FakeEndpointConfig.arn_formatter(
                endpoint_config_name, self.account_id, self.region_name
            )
            raise ValidationError(message=f"Could not find endpoint configuration '{arn}'.")
        endpoint.endpoint_config_name = endpoint_config_name
        endpoint.production_variants = endpoint._process_production_variants(
            config.production_variants
        )
        endpoint.data_capture_config = config.data_capture_config
        endpoint.last_modified_time = utcnow()
        return endpoint.arn

    def update_endpoint_response(self: SageMakerResponse) -> ActionResult:
        arn = self.sagemaker_backend.update_endpoint(
            endpoint_name=self._get_param("EndpointName"),
            endpoint_config_name=self._get_param("EndpointConfigName"),
        )
        return ActionResult({"EndpointArn": arn})

    SageMakerModelBackend.update_endpoint = update_endpoint  # type: ignore[attr-defined]
    SageMakerResponse.update_endpoint = update_endpoint_response  # type: ignore[attr-defined]
