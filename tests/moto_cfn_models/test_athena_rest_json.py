"""Athena's REST-JSON protocol against the emulator, one test per operation.

The client is the project's pinned botocore given Athena's REST-JSON model (botocore 1.44.18's,
which moto_cfn_models serves from): it then sends ``GET /workgroups``, ``POST
/query-executions``, ... as a current boto3 does. The server is a real moto server in this
process, started as local_deploy starts it (moto_cfn_models registered), so the requests go
through its HTTP routing. tests/local_deploy/test_clients_newest.py runs the newest boto3 and
AWS CLI themselves (tools/clients-newest-lock.txt) on a local deployment.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

import moto_cfn_models
from moto_cfn_models.athena_rest import DATA_PATH, implemented_operations

REGION = "us-east-1"
BUCKET = "rest-json-results"
OUTPUT = f"s3://{BUCKET}/out/"
WORKGROUP = "rest-json"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    moto_cfn_models.register()
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.stop()


def _session(rest_json: bool) -> boto3.session.Session:
    core = botocore.session.Session()
    if rest_json:
        # Its own loader (tests/conftest.py shares one per data path): the REST model first.
        core.set_config_variable("data_path", str(DATA_PATH))
    return boto3.session.Session(
        botocore_session=core,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def athena(endpoint: str) -> Any:
    client = _session(rest_json=True).client("athena", endpoint_url=endpoint)
    assert client.meta.service_model.protocol == "rest-json"
    return client


@pytest.fixture(scope="module")
def work_group(endpoint: str, athena: Any) -> str:
    s3 = _session(rest_json=False).client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=BUCKET)
    athena.create_work_group(
        Name=WORKGROUP,
        Description="REST-JSON",
        Configuration={"ResultConfiguration": {"OutputLocation": OUTPUT}},
        Tags=[{"Key": "team", "Value": "lake"}],
    )
    return WORKGROUP


@pytest.fixture(scope="module")
def query_id(athena: Any, work_group: str) -> str:
    started = athena.start_query_execution(
        QueryString="SELECT 1 AS one, 'a' AS letter", WorkGroup=work_group
    )
    return str(started["QueryExecutionId"])


@pytest.fixture(scope="module")
def named_query_id(athena: Any, work_group: str) -> str:
    created = athena.create_named_query(
        Name="count-one", Database="default", QueryString="SELECT 1", WorkGroup=work_group
    )
    return str(created["NamedQueryId"])


def _requests(athena: Any) -> list[tuple[str, str]]:
    """(method, path) of every request the client sends from now on."""
    seen: list[tuple[str, str]] = []
    athena.meta.events.register(
        "before-send.athena", lambda request, **_: seen.append((request.method, request.url))
    )
    return seen


def test_the_client_speaks_rest_json(athena: Any, work_group: str) -> None:
    seen = _requests(athena)
    athena.list_work_groups()
    method, url = seen[-1]
    assert (method, url.split("?")[0].rsplit("/", 1)[-1]) == ("GET", "workgroups")


def test_create_work_group_and_get_work_group(athena: Any, work_group: str) -> None:
    found = athena.get_work_group(WorkGroup=work_group)["WorkGroup"]
    assert found["Name"] == work_group
    assert found["Description"] == "REST-JSON"
    assert found["Configuration"]["ResultConfiguration"]["OutputLocation"] == OUTPUT


def test_create_work_group_twice_is_a_modelled_error(athena: Any, work_group: str) -> None:
    with pytest.raises(ClientError) as refused:
        athena.create_work_group(Name=work_group)
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"


def test_list_work_groups(athena: Any, work_group: str) -> None:
    names = {group["Name"] for group in athena.list_work_groups()["WorkGroups"]}
    assert {"primary", work_group} <= names


def test_start_query_execution_runs_the_query(athena: Any, query_id: str) -> None:
    execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["WorkGroup"] == WORKGROUP
    assert execution["ResultConfiguration"]["OutputLocation"].startswith(OUTPUT)


def test_get_query_results_with_paging_from_the_query_string(athena: Any, query_id: str) -> None:
    first = athena.get_query_results(QueryExecutionId=query_id, MaxResults=1)
    assert [c["Name"] for c in first["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]] == [
        "one",
        "letter",
    ]
    assert [d["VarCharValue"] for d in first["ResultSet"]["Rows"][0]["Data"]] == ["one", "letter"]
    second = athena.get_query_results(
        QueryExecutionId=query_id, MaxResults=1, NextToken=first["NextToken"]
    )
    assert [d["VarCharValue"] for d in second["ResultSet"]["Rows"][0]["Data"]] == ["1", "a"]
    assert "NextToken" not in second


def test_get_query_results_paginator(athena: Any, query_id: str) -> None:
    pages = athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=query_id, PaginationConfig={"PageSize": 1}
    )
    assert sum(len(page["ResultSet"]["Rows"]) for page in pages) == 2


def test_get_query_runtime_statistics(athena: Any, query_id: str) -> None:
    statistics = athena.get_query_runtime_statistics(QueryExecutionId=query_id)
    assert statistics["QueryRuntimeStatistics"]["Rows"]["OutputRows"] == 1


def test_list_query_executions_by_work_group(athena: Any, query_id: str) -> None:
    assert query_id in athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    assert query_id not in athena.list_query_executions(WorkGroup="primary")["QueryExecutionIds"]


def test_stop_query_execution(athena: Any, work_group: str) -> None:
    started = athena.start_query_execution(QueryString="SELECT 2", WorkGroup=work_group)
    athena.stop_query_execution(QueryExecutionId=started["QueryExecutionId"])
    state = athena.get_query_execution(QueryExecutionId=started["QueryExecutionId"])
    assert state["QueryExecution"]["Status"]["State"] == "CANCELLED"


def test_failed_query_reports_its_reason(athena: Any, work_group: str) -> None:
    started = athena.start_query_execution(
        QueryString="SELECT * FROM no_such_db.no_such_table", WorkGroup=work_group
    )
    status = athena.get_query_execution(QueryExecutionId=started["QueryExecutionId"])
    assert status["QueryExecution"]["Status"]["State"] == "FAILED"
    with pytest.raises(ClientError) as refused:
        athena.get_query_results(QueryExecutionId=started["QueryExecutionId"])
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"


def test_create_named_query_and_get_named_query(athena: Any, named_query_id: str) -> None:
    found = athena.get_named_query(NamedQueryId=named_query_id)["NamedQuery"]
    assert (found["Name"], found["QueryString"], found["WorkGroup"]) == (
        "count-one",
        "SELECT 1",
        WORKGROUP,
    )


def test_list_named_queries_by_work_group(athena: Any, named_query_id: str) -> None:
    assert athena.list_named_queries(WorkGroup=WORKGROUP)["NamedQueryIds"] == [named_query_id]
    assert named_query_id not in athena.list_named_queries()["NamedQueryIds"]


def test_batch_get_named_query(athena: Any, named_query_id: str) -> None:
    found = athena.batch_get_named_query(NamedQueryIds=[named_query_id, "missing-id"])
    assert [q["NamedQueryId"] for q in found["NamedQueries"]] == [named_query_id]
    assert [q["NamedQueryId"] for q in found["UnprocessedNamedQueryIds"]] == ["missing-id"]


def test_create_data_catalog_list_data_catalogs_and_get_data_catalog(athena: Any) -> None:
    athena.create_data_catalog(Name="extra", Type="HIVE", Parameters={"metadata-function": "f"})
    catalogs = athena.list_data_catalogs()["DataCatalogsSummary"]
    assert {"CatalogName": "extra", "Type": "HIVE"} in catalogs
    found = athena.get_data_catalog(Name="extra")["DataCatalog"]
    assert (found["Type"], found["Parameters"]) == ("HIVE", {"metadata-function": "f"})


def test_get_database_and_list_databases(athena: Any) -> None:
    # moto's Athena keeps its own databases (only "default"), not the Glue catalog's.
    listed = athena.list_databases(CatalogName="AwsDataCatalog", MaxResults=50)
    assert "default" in {database["Name"] for database in listed["DatabaseList"]}
    found = athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="default")
    assert found["Database"]["Name"] == "default"
    with pytest.raises(ClientError):
        athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="no_such_db")


def test_tags_with_an_arn_in_the_path(athena: Any, work_group: str) -> None:
    arn = f"arn:aws:athena:{REGION}:123456789012:workgroup/{work_group}"
    athena.tag_resource(ResourceARN=arn, Tags=[{"Key": "zone", "Value": "raw"}])
    tags = athena.list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert {"Key": "zone", "Value": "raw"} in tags
    athena.untag_resource(ResourceARN=arn, TagKeys=["zone"])
    assert {"Key": "zone", "Value": "raw"} not in athena.list_tags_for_resource(ResourceARN=arn)[
        "Tags"
    ]


def test_prepared_statements(athena: Any, work_group: str) -> None:
    athena.create_prepared_statement(
        StatementName="by_day", WorkGroup=work_group, QueryStatement="SELECT ?"
    )
    found = athena.get_prepared_statement(StatementName="by_day", WorkGroup=work_group)
    assert found["PreparedStatement"]["QueryStatement"] == "SELECT ?"


def test_capacity_reservations(athena: Any) -> None:
    athena.create_capacity_reservation(
        Name="cr", TargetDpus=24, Tags=[{"Key": "team", "Value": "lake"}]
    )
    athena.update_capacity_reservation(Name="cr", TargetDpus=32)
    assert athena.get_capacity_reservation(Name="cr")["CapacityReservation"]["TargetDpus"] == 32
    names = {c["Name"] for c in athena.list_capacity_reservations()["CapacityReservations"]}
    assert "cr" in names


def test_delete_work_group(athena: Any) -> None:
    athena.create_work_group(Name="short-lived")
    athena.delete_work_group(WorkGroup="short-lived", RecursiveDeleteOption=True)
    names = {group["Name"] for group in athena.list_work_groups()["WorkGroups"]}
    assert "short-lived" not in names


def test_the_json_protocol_still_works(endpoint: str, work_group: str) -> None:
    client = _session(rest_json=False).client("athena", endpoint_url=endpoint)
    assert client.meta.service_model.protocol == "json"
    assert client.get_work_group(WorkGroup=work_group)["WorkGroup"]["Name"] == work_group


def test_every_routed_operation_has_a_test() -> None:
    """A route added here (moto grows an operation) needs its test in this module."""
    tested = {
        "BatchGetNamedQuery", "CreateCapacityReservation", "CreateDataCatalog",
        "CreateNamedQuery", "CreatePreparedStatement", "CreateWorkGroup", "DeleteWorkGroup",
        "GetCapacityReservation", "GetDataCatalog", "GetDatabase", "GetNamedQuery",
        "GetPreparedStatement", "GetQueryExecution", "GetQueryResults",
        "GetQueryRuntimeStatistics", "GetWorkGroup", "ListCapacityReservations",
        "ListDataCatalogs", "ListDatabases", "ListNamedQueries", "ListQueryExecutions",
        "ListTagsForResource", "ListWorkGroups", "StartQueryExecution", "StopQueryExecution",
        "TagResource", "UntagResource", "UpdateCapacityReservation",
    }  # fmt: skip
    assert set(implemented_operations()) == tested
