"""Lake Formation: DataLakeSettings, Permissions, PrincipalPermissions, Resource and Tag."""

from __future__ import annotations

import copy
import json
from typing import Any

from moto.lakeformation.models import LakeFormationBackend, default_settings, lakeformation_backends

from ._base import Handler

# DataLakeSettings template properties that are not part of the API's settings document,
# and those the API names differently.
_SETTINGS_NOT_IN_API = frozenset({"MutationType"})
_SETTINGS_API_NAMES = {"Admins": "DataLakeAdmins"}


def _backend(handler: Handler) -> LakeFormationBackend:
    return lakeformation_backends[handler.account_id][handler.region_name]


def _permissions_resource(template_resource: dict[str, Any], catalog_id: str) -> dict[str, Any]:
    """AWS::LakeFormation::Permissions names its resources differently from the API."""
    resource: dict[str, Any] = {}
    if "DatabaseResource" in template_resource:
        database = template_resource["DatabaseResource"]
        resource["Database"] = {
            "CatalogId": database.get("CatalogId", catalog_id),
            "Name": database["Name"],
        }
    if "TableResource" in template_resource:
        table = dict(template_resource["TableResource"])
        table.setdefault("CatalogId", catalog_id)
        resource["Table"] = table
    if "TableWithColumnsResource" in template_resource:
        columns = dict(template_resource["TableWithColumnsResource"])
        columns.setdefault("CatalogId", catalog_id)
        resource["TableWithColumns"] = columns
    if "DataLocationResource" in template_resource:
        location = template_resource["DataLocationResource"]
        resource["DataLocation"] = {
            "CatalogId": location.get("CatalogId", catalog_id),
            "ResourceArn": location["S3Resource"],
        }
    if not resource:
        raise ValueError(f"unknown Lake Formation resource: {sorted(template_resource)}")
    return resource


class DataLakeSettings(Handler):
    """Ref: a generated ID. Deleting it restores the catalog's default settings."""

    TYPE = "AWS::LakeFormation::DataLakeSettings"

    def _settings(self) -> dict[str, Any]:
        settings = default_settings()
        for key, value in self.properties.items():
            if key not in _SETTINGS_NOT_IN_API:
                settings[_SETTINGS_API_NAMES.get(key, key)] = copy.deepcopy(value)
        return settings

    def create(self) -> None:
        _backend(self).put_data_lake_settings(self.account_id, self._settings())

    def update_in_place(self, previous: Handler) -> bool:
        self.physical_resource_id = previous.physical_resource_id
        self.create()
        return True

    def delete_resource(self) -> None:
        _backend(self).put_data_lake_settings(self.account_id, default_settings())


class _Grant(Handler):
    """A grant of Lake Formation permissions to one principal on one resource."""

    def _grant_parts(self) -> tuple[str, dict[str, str], dict[str, Any]]:
        raise NotImplementedError

    def create(self) -> None:
        catalog_id, principal, resource = self._grant_parts()
        _backend(self).grant_permissions(
            catalog_id,
            principal,
            resource,
            self.prop("Permissions", []),
            self.prop("PermissionsWithGrantOption", []),
        )

    def update_in_place(self, previous: Handler) -> bool:
        self.recreate_over(previous)
        self.attributes = dict(previous.attributes)
        return True

    def delete_resource(self) -> None:
        catalog_id, principal, resource = self._grant_parts()
        _backend(self).revoke_permissions(
            catalog_id,
            principal,
            resource,
            self.prop("Permissions", []),
            self.prop("PermissionsWithGrantOption", []),
        )


class Permissions(_Grant):
    """Ref: a generated ID."""

    TYPE = "AWS::LakeFormation::Permissions"

    def _grant_parts(self) -> tuple[str, dict[str, str], dict[str, Any]]:
        return (
            self.account_id,
            dict(self.require("DataLakePrincipal")),
            _permissions_resource(self.require("Resource"), self.account_id),
        )


class PrincipalPermissions(_Grant):
    """Ref: ``PrincipalIdentifier|ResourceIdentifier``; GetAtt returns each part."""

    TYPE = "AWS::LakeFormation::PrincipalPermissions"
    ATTRIBUTES = frozenset({"PrincipalIdentifier", "ResourceIdentifier"})

    def _grant_parts(self) -> tuple[str, dict[str, str], dict[str, Any]]:
        return (
            self.prop("Catalog", self.account_id),
            dict(self.require("Principal")),
            copy.deepcopy(self.require("Resource")),
        )

    def create(self) -> None:
        super().create()
        _, principal, resource = self._grant_parts()
        principal_id = principal["DataLakePrincipalIdentifier"]
        resource_id = json.dumps(resource, sort_keys=True, separators=(",", ":"))
        self.physical_resource_id = f"{principal_id}|{resource_id}"
        self.attributes = {"PrincipalIdentifier": principal_id, "ResourceIdentifier": resource_id}


class Resource(Handler):
    """Ref: a generated ID. Registers an S3 location with Lake Formation."""

    TYPE = "AWS::LakeFormation::Resource"

    def _role_arn(self) -> str:
        if self.prop("RoleArn"):
            return self.prop("RoleArn")
        # UseServiceLinkedRole: Lake Formation uses its service-linked role.
        return self.arn(
            "iam",
            "role/aws-service-role/lakeformation.amazonaws.com/AWSServiceRoleForLakeFormationDataAccess",
            region=False,
        )

    def create(self) -> None:
        _backend(self).register_resource(self.require("ResourceArn"), self._role_arn())

    def delete_resource(self) -> None:
        if self.prop("ResourceArn") in _backend(self).resources:
            _backend(self).deregister_resource(self.prop("ResourceArn"))


class Tag(Handler):
    """Ref: the tag key."""

    TYPE = "AWS::LakeFormation::Tag"

    def create(self) -> None:
        catalog_id = self.prop("CatalogId", self.account_id)
        _backend(self).create_lf_tag(catalog_id, self.require("TagKey"), self.require("TagValues"))
        self.physical_resource_id = self.require("TagKey")

    def delete_resource(self) -> None:
        _backend(self).delete_lf_tag(self.prop("CatalogId", self.account_id), self.prop("TagKey"))
