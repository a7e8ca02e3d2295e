"""Athena: AWS::Athena::WorkGroup and AWS::Athena::NamedQuery, and queries that really run.

:func:`install_query_engine` makes StartQueryExecution run the query on the local engine
(``moto_cfn_models.athena_engine``: sqlglot + DuckDB over the Glue tables' Parquet objects in
moto's S3), the way UpdateEndpoint was added to SageMaker.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from moto.athena.models import AthenaBackend, athena_backends
from moto.athena.models import WorkGroup as MotoWorkGroup

from ._base import Handler, tag_dict_to_list, tag_list_to_dict

logger = logging.getLogger(__name__)

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


# --- queries on the local engine --------------------------------------------------------------

_ENGINE_MARK = "__moto_cfn_models_athena_engine__"
_OUTCOME = "_local_engine_outcome"
_FAILURE = "_local_engine_failure"
_TIMES = "_local_engine_times"
_MAX_RESULTS = 1000


class MotoObjectStore:
    """The engine's object store over moto's in-memory S3 (no HTTP, so the server never
    calls itself and a test's ``mock_aws`` works too)."""

    def __init__(self, account_id: str) -> None:
        from moto.s3.models import s3_backends  # noqa: PLC0415

        self._backend = s3_backends[account_id]["aws"]

    def list_objects(self, bucket: str, prefix: str) -> list[tuple[str, int]]:
        """(key, size) of every current object under ``prefix``."""
        from moto.s3.models import FakeKey  # noqa: PLC0415

        keys = self._backend.get_bucket(bucket).keys
        found = []
        for name in list(keys.keys()):
            if name.startswith(prefix):
                key = keys[name]
                if isinstance(key, FakeKey):
                    found.append((name, key.size))
        return sorted(found)

    def get_object(self, bucket: str, key: str) -> bytes:
        """The object's bytes (moto decrypts nothing: SSE is a label there)."""
        found = self._backend.get_object(bucket, key)
        if found is None:
            raise FileNotFoundError(f"s3://{bucket}/{key}")
        return bytes(found.value)

    def put_object(self, bucket: str, key: str, body: bytes, encryption: Mapping[str, str]) -> None:
        """Write as Athena does: SSE-KMS with the configured key, or SSE-S3."""
        from .athena_engine import QueryFailedError  # noqa: PLC0415

        option = encryption.get("EncryptionOption")
        if option == "SSE_KMS":
            self._backend.put_object(
                bucket, key, body, encryption="aws:kms", kms_key_id=encryption.get("KmsKey")
            )
        elif option == "SSE_S3":
            self._backend.put_object(bucket, key, body, encryption="AES256")
        elif option:
            raise QueryFailedError(
                f"NOT_SUPPORTED: result encryption {option}: the local engine writes SSE_S3 "
                "and SSE_KMS"
            )
        else:
            self._backend.put_object(bucket, key, body)


def effective_result_configuration(
    work_group: MotoWorkGroup | None, client: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The result configuration a query runs with: the workgroup's when it enforces its
    configuration, otherwise the client's settings over the workgroup's."""
    configuration = work_group.configuration if work_group else {}
    result = copy.deepcopy(configuration.get("ResultConfiguration") or {})
    if not configuration.get("EnforceWorkGroupConfiguration", False):
        result.update(copy.deepcopy(dict(client or {})))
    return result


def _glue_lookup(account_id: str, region: str) -> Any:  # noqa: ANN401 - engine's TableLookup
    from moto.glue.models import glue_backends  # noqa: PLC0415

    def lookup(database: str, table: str) -> dict[str, Any] | None:
        backend = glue_backends[account_id][region]
        for db_name in dict.fromkeys((database, database.lower())):
            if db_name in backend.databases:
                tables = backend.databases[db_name].tables
                for name in dict.fromkeys((table, table.lower())):
                    if name in tables:
                        return tables[name].as_dict()
        return None

    return lookup


def install_query_engine() -> None:  # noqa: PLR0915 - the patched methods share its imports
    """Run StartQueryExecution on the local engine; report its state, reason, statistics and
    output location in GetQueryExecution and its rows (paged) in GetQueryResults. Idempotent."""
    from moto.athena.models import QueryResults  # noqa: PLC0415
    from moto.athena.responses import AthenaResponse  # noqa: PLC0415
    from moto.core.exceptions import JsonRESTError  # noqa: PLC0415
    from moto.core.utils import utcnow  # noqa: PLC0415

    if getattr(AthenaBackend.start_query_execution, _ENGINE_MARK, False):
        return
    moto_start = AthenaBackend.start_query_execution
    moto_results = AthenaBackend.get_query_results
    moto_get_execution_response = AthenaResponse.get_query_execution

    def start_query_execution(  # noqa: PLR0917 - moto's signature
        self: AthenaBackend,
        query: str,
        context: Any,  # noqa: ANN401 - moto passes the request's dict through
        config: dict[str, Any] | None,
        workgroup: str | None,
        execution_parameters: list[str] | None,
    ) -> str:
        # Loaded at the first query: duckdb, sqlglot and pyarrow add about 1 s to a server start.
        from .athena_engine import (  # noqa: PLC0415
            LocalAthenaEngine,
            QueryFailedError,
            QueryRequest,
        )

        work_group = self.work_groups.get(workgroup or "primary")
        if work_group is not None and work_group.state == "DISABLED":
            raise JsonRESTError("InvalidRequestException", f"{work_group.name} is disabled.")
        result_configuration = effective_result_configuration(work_group, config)
        if not result_configuration.get("OutputLocation"):
            raise JsonRESTError(
                "InvalidRequestException",
                "No output location provided. An output location is required either through "
                "the Workgroup result configuration setting or as an API input.",
            )
        output_directory = result_configuration["OutputLocation"]
        submitted = time.time()
        execution_id = moto_start(
            self, query, context, result_configuration, work_group.name if work_group else None,
            execution_parameters,
        )  # fmt: skip
        execution = self.executions[execution_id]
        cutoff = (work_group.configuration if work_group else {}).get("BytesScannedCutoffPerQuery")
        request = QueryRequest(
            sql=query,
            database=(context or {}).get("Database") if isinstance(context, dict) else None,
            started_at=utcnow().replace(tzinfo=None),
            output_location=output_directory,
            encryption=result_configuration.get("EncryptionConfiguration") or {},
            bytes_scanned_cutoff=int(cutoff) if cutoff else None,
            execution_id=execution_id,
        )
        engine = LocalAthenaEngine(
            _glue_lookup(self.account_id, self.region_name), MotoObjectStore(self.account_id)
        )
        try:
            if execution_parameters:
                raise QueryFailedError(
                    "NOT_SUPPORTED: ExecutionParameters: the local engine runs literal SQL only"
                )
            outcome = engine.run(request)
        except QueryFailedError as failure:
            setattr(execution, _FAILURE, failure)
            final = "FAILED"
        except Exception as error:  # the API reports it; the server must not fail the call
            logger.exception("local Athena engine failed on %s", execution_id)
            setattr(
                execution,
                _FAILURE,
                QueryFailedError(
                    f"INTERNAL_ERROR_QUERY_ENGINE: {error}", category=1, error_type=401
                ),
            )
            final = "FAILED"
        else:
            setattr(execution, _OUTCOME, outcome)
            if outcome.unloaded and outcome.written:
                execution.config["OutputLocation"] = outcome.written[-1]
            final = "SUCCEEDED"
        execution._transitions = []  # final at once: the query ran inside this call
        execution.status = final
        execution.start_time = submitted
        execution.end_time = time.time()
        return execution_id

    def get_query_results(self: AthenaBackend, exec_id: str) -> QueryResults:
        execution = self.executions.get(exec_id)
        failure = getattr(execution, _FAILURE, None)
        if failure is not None:
            raise JsonRESTError(
                "InvalidRequestException",
                f"Query did not finish successfully. Final query state: FAILED\n{failure.reason}",
            )
        outcome = getattr(execution, _OUTCOME, None)
        if outcome is None:
            return moto_results(self, exec_id)
        header = [{"Data": [{"VarCharValue": c.name} for c in outcome.columns]}]
        rows = [
            {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
            for row in outcome.rows
        ]
        return QueryResults(
            rows=(header if outcome.columns else []) + rows,
            column_info=[c.as_api() for c in outcome.columns],
        )

    def get_query_execution_response(self: AthenaResponse) -> str:
        body = json.loads(moto_get_execution_response(self))
        execution = self.athena_backend.executions[self._get_param("QueryExecutionId")]
        details = body["QueryExecution"]
        outcome = getattr(execution, _OUTCOME, None)
        failure = getattr(execution, _FAILURE, None)
        total = int((execution.end_time - execution.start_time) * 1000)
        details["Statistics"].update(
            {
                "EngineExecutionTimeInMillis": outcome.engine_millis if outcome else total,
                "TotalExecutionTimeInMillis": total,
                "DataScannedInBytes": (outcome or failure).data_scanned_bytes
                if (outcome or failure)
                else 0,
            }
        )
        if outcome is not None:
            details["StatementType"] = outcome.statement_type
        if failure is not None:
            details["Status"]["StateChangeReason"] = failure.reason
            details["Status"]["AthenaError"] = {
                "ErrorCategory": failure.category,
                "ErrorType": failure.error_type,
                "Retryable": False,
                "ErrorMessage": failure.reason,
            }
        return json.dumps(body)

    def get_query_results_response(self: AthenaResponse) -> str:
        result = self.athena_backend.get_query_results(self._get_param("QueryExecutionId"))
        max_results = int(self._get_param("MaxResults") or _MAX_RESULTS)
        start = int(self._get_param("NextToken") or 0)
        page = result.to_dict()
        page["ResultSet"]["Rows"] = result.rows[start : start + max_results]
        if start + max_results < len(result.rows):
            page["NextToken"] = str(start + max_results)
        page["UpdateCount"] = 0
        return json.dumps(page)

    moto_runtime_statistics = AthenaResponse.get_query_runtime_statistics

    def get_query_runtime_statistics_response(self: AthenaResponse) -> Any:  # noqa: ANN401
        response = moto_runtime_statistics(self)
        execution = self.athena_backend.executions.get(self._get_param("QueryExecutionId"))
        outcome = getattr(execution, _OUTCOME, None)
        if outcome is None or not isinstance(response, str):
            return response
        body = json.loads(response)
        statistics = body["QueryRuntimeStatistics"]
        statistics["Rows"].update(
            {"InputBytes": outcome.data_scanned_bytes, "OutputRows": len(outcome.rows)}
        )
        statistics["OutputStage"].update(
            {"InputBytes": outcome.data_scanned_bytes, "OutputRows": len(outcome.rows)}
        )
        statistics["Timeline"].update(
            {
                "EngineExecutionTimeInMillis": outcome.engine_millis,
                "TotalExecutionTimeInMillis": outcome.engine_millis,
            }
        )
        return json.dumps(body)

    setattr(start_query_execution, _ENGINE_MARK, True)
    AthenaBackend.start_query_execution = start_query_execution  # type: ignore[method-assign]
    AthenaBackend.get_query_results = get_query_results  # type: ignore[method-assign]
    AthenaResponse.get_query_execution = get_query_execution_response  # type: ignore[method-assign]
    AthenaResponse.get_query_results = get_query_results_response  # type: ignore[method-assign]
    AthenaResponse.get_query_runtime_statistics = get_query_runtime_statistics_response  # type: ignore[method-assign]
