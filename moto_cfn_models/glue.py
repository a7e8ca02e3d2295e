"""Glue: Database, Table, Crawler, Job, SecurityConfiguration and Trigger.

Every ``Ref`` is the resource's name, as in CloudFormation. Deletes tolerate a parent that
went first (a table whose database is gone), because moto deletes a stack's resources in no
particular order and retries only on error.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.glue.models import GlueBackend, glue_backends
from moto.glue.utils import Action, Predicate

from ._base import Handler, as_bool, as_int, tag_list_to_dict


def _backend(handler: Handler) -> GlueBackend:
    return glue_backends[handler.account_id][handler.region_name]


def _glue_name(generated: str) -> str:
    # Glue catalog names are lower case; CloudFormation lower-cases the names it generates.
    return generated.lower()


class Database(Handler):
    """Ref: the database name."""

    TYPE = "AWS::Glue::Database"

    def _input(self) -> dict[str, Any]:
        database_input = copy.deepcopy(self.require("DatabaseInput"))
        database_input.setdefault("Name", self.prop("DatabaseName") or _glue_name(self.name))
        return database_input

    def create(self) -> None:
        database_input = self._input()
        _backend(self).create_database(database_input["Name"], database_input)
        self.physical_resource_id = database_input["Name"]

    def update_in_place(self, previous: Handler) -> bool:
        database_input = self._input()
        if database_input["Name"] != previous.physical_resource_id:
            return False
        _backend(self).update_database(database_input["Name"], database_input)
        self.physical_resource_id = previous.physical_resource_id
        return True

    def delete_resource(self) -> None:
        backend = _backend(self)
        if self.physical_resource_id in backend.databases:
            backend.delete_database(self.physical_resource_id)


class Table(Handler):
    """Ref: the table name."""

    TYPE = "AWS::Glue::Table"

    def _input(self) -> dict[str, Any]:
        table_input = copy.deepcopy(self.require("TableInput"))
        table_input.setdefault("Name", _glue_name(self.name))
        return table_input

    def create(self) -> None:
        table_input = self._input()
        _backend(self).create_table(
            self.require("DatabaseName"),
            table_input["Name"],
            table_input,
            self.prop("OpenTableFormatInput"),
        )
        self.physical_resource_id = table_input["Name"]

    def update_in_place(self, previous: Handler) -> bool:
        table_input = self._input()
        if table_input["Name"] != previous.physical_resource_id or self.prop(
            "DatabaseName"
        ) != previous.prop("DatabaseName"):
            return False
        _backend(self).update_table(self.prop("DatabaseName"), table_input["Name"], table_input)
        self.physical_resource_id = previous.physical_resource_id
        return True

    def delete_resource(self) -> None:
        database = _backend(self).databases.get(self.prop("DatabaseName"))
        if database is not None and self.physical_resource_id in database.tables:
            _backend(self).delete_table(self.prop("DatabaseName"), self.physical_resource_id)


class Crawler(Handler):
    """Ref: the crawler name. moto has no UpdateCrawler, so a change replaces it."""

    TYPE = "AWS::Glue::Crawler"
    NAME_PROPERTY = "Name"

    def create(self) -> None:
        schedule = self.prop("Schedule") or {}
        _backend(self).create_crawler(
            name=self.name,
            role=self.require("Role"),
            database_name=self.prop("DatabaseName"),
            description=self.prop("Description"),
            targets=self.require("Targets"),
            schedule=schedule.get("ScheduleExpression"),
            classifiers=self.prop("Classifiers", []),
            table_prefix=self.prop("TablePrefix"),
            schema_change_policy=self.prop("SchemaChangePolicy"),
            recrawl_policy=self.prop("RecrawlPolicy"),
            lineage_configuration=self.prop("LineageConfiguration"),
            configuration=self.prop("Configuration"),
            crawler_security_configuration=self.prop("CrawlerSecurityConfiguration"),
            tags=tag_list_to_dict(self.prop("Tags")),
        )
        self.physical_resource_id = self.name

    def delete_resource(self) -> None:
        backend = _backend(self)
        if self.physical_resource_id in backend.crawlers:
            backend.delete_crawler(self.physical_resource_id)


class Job(Handler):
    """Ref: the job name. moto has no UpdateJob, so a change replaces it."""

    TYPE = "AWS::Glue::Job"
    NAME_PROPERTY = "Name"

    def create(self) -> None:
        max_capacity = self.prop("MaxCapacity")
        _backend(self).create_job(
            name=self.name,
            role=self.require("Role"),
            command=self.require("Command"),
            description=self.prop("Description"),
            log_uri=self.prop("LogUri"),
            execution_property=self.prop("ExecutionProperty"),
            default_arguments=self.prop("DefaultArguments"),
            non_overridable_arguments=self.prop("NonOverridableArguments"),
            connections=self.prop("Connections"),
            max_retries=as_int(self.prop("MaxRetries")),
            allocated_capacity=as_int(self.prop("AllocatedCapacity")),
            timeout=as_int(self.prop("Timeout")),
            max_capacity=None if max_capacity is None else float(max_capacity),
            security_configuration=self.prop("SecurityConfiguration"),
            tags=tag_list_to_dict(self.prop("Tags")),
            notification_property=self.prop("NotificationProperty"),
            glue_version=self.prop("GlueVersion"),
            number_of_workers=as_int(self.prop("NumberOfWorkers")),
            worker_type=self.prop("WorkerType"),
            code_gen_configuration_nodes=self.prop("CodeGenConfigurationNodes"),
            execution_class=self.prop("ExecutionClass"),
            source_control_details=self.prop("SourceControlDetails"),
        )
        self.physical_resource_id = self.name

    def delete_resource(self) -> None:
        backend = _backend(self)
        if self.physical_resource_id in backend.jobs:
            backend.delete_job(self.physical_resource_id)


class SecurityConfiguration(Handler):
    """Ref: the security configuration name. Every property change replaces it."""

    TYPE = "AWS::Glue::SecurityConfiguration"
    NAME_PROPERTY = "Name"

    def create(self) -> None:
        _backend(self).create_security_configuration(
            self.name, self.require("EncryptionConfiguration")
        )
        self.physical_resource_id = self.name

    def delete_resource(self) -> None:
        backend = _backend(self)
        if self.physical_resource_id in backend.security_configurations:
            backend.delete_security_configuration(self.physical_resource_id)


class Trigger(Handler):
    """Ref: the trigger name. A change replaces it (moto has no UpdateTrigger).

    moto's CreateTrigger backend checks almost nothing, so what Glue would refuse, and what
    moto would store but never answer (a schedule on a trigger that is not SCHEDULED), fails
    here with a message that names the property.
    """

    TYPE = "AWS::Glue::Trigger"
    NAME_PROPERTY = "Name"
    TYPES = frozenset({"SCHEDULED", "CONDITIONAL", "ON_DEMAND", "EVENT"})

    def _fail(self, message: str) -> ValueError:
        return ValueError(f"{self.TYPE} {self.logical_id}: {message}")

    def _check(self, backend: GlueBackend, trigger_type: str) -> None:
        if trigger_type not in self.TYPES:
            raise self._fail(f"Type {trigger_type!r} is not one of {sorted(self.TYPES)}")
        schedule = self.prop("Schedule")
        if trigger_type == "SCHEDULED" and not schedule:
            raise self._fail("a SCHEDULED trigger needs Schedule")
        if trigger_type != "SCHEDULED" and schedule:
            raise self._fail(
                f"Schedule applies only to a SCHEDULED trigger; moto would drop it from this "
                f"{trigger_type} one"
            )
        predicate = self.prop("Predicate")
        if trigger_type == "CONDITIONAL" and not (predicate or {}).get("Conditions"):
            raise self._fail("a CONDITIONAL trigger needs Predicate.Conditions")
        if predicate and "Logical" not in predicate:
            raise self._fail(
                "Predicate.Logical (AND or ANY) is required by the local emulator, even for "
                "a single condition"
            )
        if trigger_type == "ON_DEMAND" and as_bool(self.prop("StartOnCreation")):
            raise self._fail("StartOnCreation true is not supported for an ON_DEMAND trigger")
        workflow = self.prop("WorkflowName")
        if trigger_type == "EVENT" and not workflow:
            raise self._fail("an EVENT trigger needs WorkflowName")
        if workflow and workflow not in backend.workflows:
            raise self._fail(f"no Glue workflow {workflow}")
        for index, action in enumerate(self.require("Actions")):
            job, crawler = action.get("JobName"), action.get("CrawlerName")
            if bool(job) == bool(crawler):
                raise self._fail(f"Actions[{index}] needs exactly one of JobName and CrawlerName")
            if job and job not in backend.jobs:
                raise self._fail(f"Actions[{index}]: no Glue job {job}")
            if crawler and crawler not in backend.crawlers:
                raise self._fail(f"Actions[{index}]: no Glue crawler {crawler}")

    def create(self) -> None:
        backend = _backend(self)
        trigger_type = self.require("Type")
        self._check(backend, trigger_type)
        predicate = self.prop("Predicate")
        backend.create_trigger(
            name=self.name,
            workflow_name=self.prop("WorkflowName"),
            trigger_type=trigger_type,
            schedule=self.prop("Schedule"),
            predicate=Predicate(predicate) if predicate else None,
            actions=[Action(action) for action in self.require("Actions")],
            description=self.prop("Description"),
            start_on_creation=as_bool(self.prop("StartOnCreation")),
            tags=tag_list_to_dict(self.prop("Tags")),
            event_batching_condition=self.prop("EventBatchingCondition"),
        )
        self.physical_resource_id = self.name

    def delete_resource(self) -> None:
        backend = _backend(self)
        trigger = backend.triggers.pop(self.physical_resource_id, None)
        if trigger is not None:
            # moto's DeleteTrigger leaves the tags behind, and a trigger created again under
            # the same name (a replacement) would inherit the ones the template dropped.
            backend.tagger.delete_all_tags_for_resource(trigger.arn)
