"""Athena: AWS::Athena::WorkGroup and AWS::Athena::NamedQuery."""

from __future__ import annotations

import copy
import time

from moto.athena.models import AthenaBackend, athena_backends
from moto.athena.models import WorkGroup as MotoWorkGroup

from ._base import Handler, tag_dict_to_list, tag_list_to_dict

_ENGINE_VERSION_ATTRIBUTE = "WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion"


def _backend(handler: Handler) -> AthenaBackend:
    return athena_backends[handler.account_id][handler.region_name]


class WorkGroup(Handler):
    """Ref: the work group name. GetAtt: CreationTime and the effective engine version."""

    TYPE = "AWS::Athena::WorkGroup"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = frozenset({"CreationTime", _ENGINE_VERSION_ATTRIBUTE})

    def _apply(self, work_group: MotoWorkGroup) -> None:
        # moto has no UpdateWorkGroup; the backend's object is what GetWorkGroup reads.
        work_group.description = self.prop("Description", "")
        work_group.configuration.update(copy.deepcopy(self.prop("WorkGroupConfiguration", {})))
        work_group.state = self.prop("State", "ENABLED")
        engine = work_group.configuration.get("EngineVersion", {})
        self.attributes[_ENGINE_VERSION_ATTRIBUTE] = engine.get("EffectiveEngineVersion")

    def create(self) -> None:
        work_group = _backend(self).create_work_group(
            name=self.name,
            configuration=copy.deepcopy(self.prop("WorkGroupConfiguration", {})),
            description=self.prop("Description", ""),
            tags=tag_dict_to_list(tag_list_to_dict(self.prop("Tags"))),
        )
        if work_group is None:
            raise ValueError(f"{self.TYPE} {self.logical_id}: work group {self.name} exists")
        self.physical_resource_id = self.name
        self.attributes["CreationTime"] = str(int(time.time()))
        self._apply(work_group)

    def update_in_place(self, previous: Handler) -> bool:
        if self.name != previous.name:
            return False
        self.physical_resource_id = previous.physical_resource_id
        self.attributes = dict(previous.attributes)
        self._apply(_backend(self).work_groups[self.name])
        return True

    def delete_resource(self) -> None:
        _backend(self).delete_work_group(self.physical_resource_id)


class NamedQuery(Handler):
    """Ref and GetAtt NamedQueryId: the generated query ID. Every change replaces it."""

    TYPE = "AWS::Athena::NamedQuery"
    ATTRIBUTES = frozenset({"NamedQueryId"})

    def create(self) -> None:
        work_group = self.prop("WorkGroup", "primary")
        if work_group not in _backend(self).work_groups:
            raise ValueError(f"{self.TYPE} {self.logical_id}: no work group {work_group}")
        query_id = _backend(self).create_named_query(
            name=self.prop("Name", self.name),
            description=self.prop("Description", ""),
            database=self.require("Database"),
            query_string=self.require("QueryString"),
            workgroup=work_group,
        )
        self.physical_resource_id = query_id
        self.attributes = {"NamedQueryId": query_id}

    def delete_resource(self) -> None:
        # moto has no DeleteNamedQuery.
        _backend(self).named_queries.pop(self.physical_resource_id, None)
