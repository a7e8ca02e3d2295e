"""SageMaker: AWS::SageMaker::Pipeline and AWS::SageMaker::ModelPackageGroup.

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
