"""StartQueryExecution runs on the local engine (moto_cfn_models.athena_engine).

In-process moto: a Glue table laid out as the DataLakeStack's (columns from lake_schema, the
stack's partition projection parameters), Parquet objects under ``dt=`` folders written by the
Firehose delivery's own Parquet writer, and the DataLakeStack's saved queries (their SQL from
lake_schema.queries, rendered as LakeNamedQueries renders them) with expected rows. The clock
is pinned: the queries' current_date is the pinned date, not the machine's.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
import time_machine
from moto import mock_aws
from moto.athena.models import athena_backends

import moto_cfn_models
from constructs.lake.catalog import (
    PARQUET_INPUT_FORMAT,
    PARQUET_OUTPUT_FORMAT,
    PARQUET_SERDE,
    date_projection,
    glue_type,
)
from lake_schema import EVENTS
from lake_schema.queries import (
    RUN_ID_PLACEHOLDER,
    events_per_day_sql,
    late_events_sql,
    training_export_sql,
)
from local_deploy.firehose.parquet import TableSchema
from moto_cfn_models.athena_engine import BYTES_SCANNED_LIMIT_REASON
from tests.synthesis import Synthesized

REGION = "us-east-1"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RAW, CURATED, ANALYTICS, RESULTS = "lake-raw", "lake-curated", "lake-analytics", "lake-results"
# The dev profile's database names and query settings (cdk.json): the saved queries name them.
RAW_DB, CURATED_DB = "dataplatform_dev_raw", "dataplatform_dev_curated"
WORKGROUP = "lake-dev"
LATE_HOURS, TRAINING_DAYS = 6, 30
PROJECTION_START = "2026-09-01"


def _event(
    session: str, user: str, device: str, kind: str, at: str, **extra: Any
) -> dict[str, Any]:
    event_time = datetime.fromisoformat(at).replace(tzinfo=UTC)
    ingested = extra.pop("ingested", None)
    return {
        "event_id": f"{session}-{kind}-{at}",
        "event_type": kind,
        "event_time": event_time.isoformat(),
        "user_id": user,
        "session_id": session,
        "device": device,
        "country": "DE",
        "ingested_at": (ingested or (event_time + timedelta(minutes=1))).isoformat(),
        **extra,
    }


# s1 buys (features from the three events before it), s2 does not (its page view arrived
# 20 h 20 min late), s3 buys at once; s4 is older than every saved query's window; the
# 2026-08 folder lies before projection's start, so Athena never reads it.
EVENTS_BY_DAY = {
    "2026-11-19": [
        _event(
            "s1", "u1", "web", "page_view", "2026-11-19T10:00:00", properties={"product_id": "p1"}
        ),
        _event("s1", "u1", "web", "search", "2026-11-19T10:01:00"),
        _event(
            "s1",
            "u1",
            "web",
            "add_to_cart",
            "2026-11-19T10:02:00",
            price=10.0,
            quantity=2,
            properties={"product_id": "p2"},
        ),
        _event("s1", "u1", "web", "purchase", "2026-11-19T10:05:00", price=10.0, quantity=2),
        _event(
            "s2",
            "u2",
            "ios",
            "page_view",
            "2026-11-19T11:50:00",
            ingested=datetime(2026, 11, 20, 8, 10, tzinfo=UTC),
        ),
        _event(
            "s2",
            "u2",
            "ios",
            "add_to_cart",
            "2026-11-19T12:10:00",
            price=5.0,
            properties={"product_id": "p3"},
        ),
    ],
    "2026-11-10": [
        _event("s3", "u3", "android", "page_view", "2026-11-10T09:00:00"),
        _event("s3", "u3", "android", "purchase", "2026-11-10T09:30:00", price=20.0, quantity=1),
    ],
    "2026-10-01": [_event("s4", "u4", "web", "page_view", "2026-10-01T08:00:00")],
    "2026-08-01": [_event("s5", "u5", "web", "page_view", "2026-08-01T08:00:00")],
}


def _table_input(bucket: str) -> dict[str, Any]:
    location = f"s3://{bucket}/events/"
    columns = [{"Name": c.name, "Type": glue_type(c, EVENTS.name)} for c in EVENTS.columns]
    return {
        "Name": EVENTS.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "parquet",
            "EXTERNAL": "TRUE",
            **date_projection(
                start_date=PROJECTION_START, location_template=f"{location}dt=${{dt}}/"
            ),
        },
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {
            "Columns": columns,
            "Location": location,
            "InputFormat": PARQUET_INPUT_FORMAT,
            "OutputFormat": PARQUET_OUTPUT_FORMAT,
            "Compressed": True,
            "SerdeInfo": {
                "SerializationLibrary": PARQUET_SERDE,
                "Parameters": {"serialization.format": "1"},
            },
        },
    }


def saved_queries() -> dict[str, tuple[str, str]]:
    """name -> (database, SQL) of the saved queries, rendered as LakeNamedQueries renders them
    for the dev profile (test_these_are_the_data_lake_stacks_saved_queries holds them to it)."""
    return {
        "events-per-day": (
            CURATED_DB,
            events_per_day_sql(database=CURATED_DB, table="events", days=30),
        ),
        "events-late-arrivals": (
            RAW_DB,
            late_events_sql(database=RAW_DB, table="events", late_hours=LATE_HOURS, days=7),
        ),
        "events-training-export": (
            CURATED_DB,
            training_export_sql(
                schema=EVENTS,
                database=CURATED_DB,
                analytics_bucket=ANALYTICS,
                window_days=TRAINING_DAYS,
            ),
        ),
    }


def _resolve(value: Any, bucket: str) -> str:
    """A QueryString from the template, its one Ref (the analytics bucket) set to ``bucket``."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_resolve(part, bucket) for part in parts)
    assert set(value) == {"Ref"}, value
    return bucket


def test_these_are_the_data_lake_stacks_saved_queries(dev: Synthesized) -> None:
    resources = dev.template_json("DataLakeStack")["Resources"]
    in_stack = {
        r["Properties"]["Name"]: (
            r["Properties"]["Database"],
            _resolve(r["Properties"]["QueryString"], ANALYTICS),
        )
        for r in resources.values()
        if r["Type"] == "AWS::Athena::NamedQuery"
    }
    assert in_stack == saved_queries()


class Lake:
    def __init__(self) -> None:
        self.s3 = boto3.client("s3", region_name=REGION)
        self.athena = boto3.client("athena", region_name=REGION)
        self.key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]

    def work_group(self, name: str, cutoff: int = 10_000_000) -> None:
        self.athena.create_work_group(
            Name=name,
            Configuration={
                "ResultConfiguration": {
                    "OutputLocation": f"s3://{RESULTS}/",
                    "EncryptionConfiguration": {
                        "EncryptionOption": "SSE_KMS",
                        "KmsKey": self.key_arn,
                    },
                },
                "EnforceWorkGroupConfiguration": True,
                "BytesScannedCutoffPerQuery": cutoff,
            },
        )

    def run(
        self, sql: str, database: str = CURATED_DB, work_group: str = WORKGROUP, **kw: Any
    ) -> dict[str, Any]:
        query_id = self.athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": database},
            WorkGroup=work_group,
            **kw,
        )["QueryExecutionId"]
        return self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]

    def rows(self, query_id: str) -> list[list[str | None]]:
        rows = []
        for page in self.athena.get_paginator("get_query_results").paginate(
            QueryExecutionId=query_id
        ):
            rows += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
        return rows


@pytest.fixture
def lake() -> Iterator[Lake]:
    with time_machine.travel(NOW, tick=False), mock_aws():
        moto_cfn_models.register()
        lake = Lake()
        glue = boto3.client("glue", region_name=REGION)
        parquet = TableSchema.from_glue(_table_input(RAW)["StorageDescriptor"]["Columns"])
        for bucket, database in ((RAW, RAW_DB), (CURATED, CURATED_DB)):
            lake.s3.create_bucket(Bucket=bucket)
            glue.create_database(DatabaseInput={"Name": database})
            glue.create_table(DatabaseName=database, TableInput=_table_input(bucket))
            for day, events in EVENTS_BY_DAY.items():
                body = parquet.to_parquet(parquet.row(json.dumps(e).encode()) for e in events)
                lake.s3.put_object(Bucket=bucket, Key=f"events/dt={day}/part-0.parquet", Body=body)
        lake.s3.create_bucket(Bucket=ANALYTICS)
        lake.s3.create_bucket(Bucket=RESULTS)
        lake.work_group(WORKGROUP)
        for name, (database, sql) in saved_queries().items():
            lake.athena.create_named_query(
                Name=name, Database=database, QueryString=sql, WorkGroup=WORKGROUP
            )
        yield lake


def _saved_queries(lake: Lake) -> dict[str, dict[str, Any]]:
    ids = lake.athena.list_named_queries(WorkGroup=WORKGROUP)["NamedQueryIds"]
    queries = [lake.athena.get_named_query(NamedQueryId=i)["NamedQuery"] for i in ids]
    return {q["Name"]: q for q in queries}


EXPECTED_SELECTS = {
    "events-per-day": [
        ["dt", "event_type", "events", "users"],
        ["2026-11-10", "page_view", "1", "1"],
        ["2026-11-10", "purchase", "1", "1"],
        ["2026-11-19", "add_to_cart", "2", "2"],
        ["2026-11-19", "page_view", "2", "2"],
        ["2026-11-19", "purchase", "1", "1"],
        ["2026-11-19", "search", "1", "1"],
    ],
    # date_diff('hour') counts whole hours (20 h 20 min -> 20), as Trino does.
    "events-late-arrivals": [
        ["dt", "late_events", "max_delay_hours", "median_delay_minutes"],
        ["2026-11-19", "1", "20", "1220"],
    ],
}

# label, page_view, search, add_to_cart, checkout, distinct_products, cart_items, cart_value,
# duration s, hour, ISO day of week, web, ios, android; one row per session in the window.
EXPECTED_TRAINING = [
    [1, 1, 0, 0, 0, 0, 0, 0.0, 0, 9, 2, 0, 0, 1],
    [1, 1, 1, 1, 0, 2, 2, 20.0, 120, 10, 4, 1, 0, 0],
    [0, 1, 0, 1, 0, 1, 1, 5.0, 1200, 11, 4, 0, 1, 0],
]


def test_every_saved_query_runs_with_expected_rows(lake: Lake) -> None:
    saved = _saved_queries(lake)
    assert set(saved) == {*EXPECTED_SELECTS, "events-training-export"}
    for name, expected in EXPECTED_SELECTS.items():
        execution = lake.run(saved[name]["QueryString"], database=saved[name]["Database"])
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
        assert lake.rows(execution["QueryExecutionId"]) == expected, name

    export = saved["events-training-export"]
    sql = export["QueryString"].replace(RUN_ID_PLACEHOLDER, "run-1")
    execution = lake.run(sql, database=export["Database"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    objects = lake.s3.list_objects_v2(Bucket=ANALYTICS, Prefix="training/events/run=run-1/")
    keys = [o["Key"] for o in objects["Contents"]]
    assert len(keys) == 1
    assert keys[0].split("/")[-1].startswith(execution["QueryExecutionId"])
    head = lake.s3.head_object(Bucket=ANALYTICS, Key=keys[0])
    assert head["ServerSideEncryption"] == "aws:kms"
    table = pq.read_table(
        io.BytesIO(lake.s3.get_object(Bucket=ANALYTICS, Key=keys[0])["Body"].read())
    )
    assert table.column_names[0] == "label"
    assert str(table.schema.field("label").type) == "int32"
    assert str(table.schema.field("cart_value").type) == "double"
    rows = sorted((list(r.values()) for r in table.to_pylist()), key=lambda r: r[9])
    assert rows == EXPECTED_TRAINING
    manifest = execution["ResultConfiguration"]["OutputLocation"]
    assert manifest == f"s3://{RESULTS}/{execution['QueryExecutionId']}-manifest.csv"
    body = lake.s3.get_object(Bucket=RESULTS, Key=manifest.split("/", 3)[3])["Body"].read()
    assert body.decode().split() == [f"s3://{ANALYTICS}/{keys[0]}"]


def test_results_file_column_metadata_and_enforced_workgroup(lake: Lake) -> None:
    execution = lake.run(
        "SELECT event_type, price, event_time, Properties FROM events "
        "WHERE dt = '2026-11-19' AND session_id = 's1' ORDER BY event_time LIMIT 2",
        # Enforced: the workgroup's location and encryption win over the client's.
        ResultConfiguration={"OutputLocation": "s3://elsewhere/"},
    )
    query_id = execution["QueryExecutionId"]
    assert execution["ResultConfiguration"]["OutputLocation"] == f"s3://{RESULTS}/{query_id}.csv"
    assert execution["Statistics"]["DataScannedInBytes"] > 0
    page = lake.athena.get_query_results(QueryExecutionId=query_id, MaxResults=2)
    types = [(c["Name"], c["Type"]) for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    assert types == [
        ("event_type", "varchar"),
        ("price", "double"),
        ("event_time", "timestamp"),
        ("properties", "map"),
    ]
    assert "NextToken" in page
    assert lake.rows(query_id) == [
        ["event_type", "price", "event_time", "properties"],
        ["page_view", None, "2026-11-19 10:00:00.000", "{product_id=p1}"],
        ["search", None, "2026-11-19 10:01:00.000", None],
    ]
    head = lake.s3.head_object(Bucket=RESULTS, Key=f"{query_id}.csv")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", lake.key_arn)
    csv = lake.s3.get_object(Bucket=RESULTS, Key=f"{query_id}.csv")["Body"].read().decode()
    assert csv.splitlines() == [
        '"event_type","price","event_time","properties"',
        '"page_view",,"2026-11-19 10:00:00.000","{product_id=p1}"',
        '"search",,"2026-11-19 10:01:00.000",',
    ]


def test_partition_filter_prunes_and_projection_bounds_the_table(lake: Lake) -> None:
    everything = lake.run("SELECT count(*) AS n FROM events")
    one_day = lake.run("SELECT count(*) AS n FROM events WHERE dt = '2026-11-19'")
    # 2026-08-01 lies before projection's start date: never read.
    assert lake.rows(everything["QueryExecutionId"])[1] == ["9"]
    assert lake.rows(one_day["QueryExecutionId"])[1] == ["6"]
    scanned = (
        one_day["Statistics"]["DataScannedInBytes"],
        everything["Statistics"]["DataScannedInBytes"],
    )
    assert 0 < scanned[0] < scanned[1]
    statistics = lake.athena.get_query_runtime_statistics(
        QueryExecutionId=one_day["QueryExecutionId"]
    )["QueryRuntimeStatistics"]
    assert (statistics["Rows"]["InputBytes"], statistics["Rows"]["OutputRows"]) == (scanned[0], 1)


def test_bytes_scanned_cutoff_fails_the_query(lake: Lake) -> None:
    lake.work_group("tiny")
    # The API's minimum cutoff is 10 MB and these files are a few KB: lower it in the backend.
    athena_backends["123456789012"][REGION].work_groups["tiny"].configuration[
        "BytesScannedCutoffPerQuery"
    ] = 100
    execution = lake.run("SELECT count(*) FROM events", work_group="tiny")
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"] == BYTES_SCANNED_LIMIT_REASON
    # The scan stopped at the cutoff instead of reading every file first.
    full = lake.run("SELECT count(*) FROM events")["Statistics"]["DataScannedInBytes"]
    assert 100 < execution["Statistics"]["DataScannedInBytes"] < full
    with pytest.raises(lake.athena.exceptions.InvalidRequestException, match="FAILED"):
        lake.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("INSERT INTO events SELECT * FROM events", "INSERT"),
        ("SELECT geometry_from_hadoop_shape(event_id) FROM events", "geometry_from_hadoop_shape"),
        ("SELECT * FROM nowhere", "nowhere"),
        ("UNLOAD (SELECT 1) TO 's3://lake-analytics/x/' WITH (format = 'ORC')", "ORC"),
    ],
)
def test_unsupported_sql_fails_naming_the_construct(lake: Lake, sql: str, named: str) -> None:
    execution = lake.run(sql)
    assert execution["Status"]["State"] == "FAILED"
    assert named.lower() in execution["Status"]["StateChangeReason"].lower()


def test_unload_refuses_a_non_empty_target(lake: Lake) -> None:
    lake.s3.put_object(Bucket=ANALYTICS, Key="training/events/run=old/part", Body=b"x")
    execution = lake.run(
        "UNLOAD (SELECT event_id FROM events) TO 's3://lake-analytics/training/events/run=old/' "
        "WITH (format = 'PARQUET', compression = 'SNAPPY')"
    )
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"].startswith("HIVE_PATH_ALREADY_EXISTS")
    keys = lake.s3.list_objects_v2(Bucket=ANALYTICS, Prefix="training/events/run=old/")
    assert [o["Key"] for o in keys["Contents"]] == ["training/events/run=old/part"]


def test_trino_semantics_where_duckdb_differs(lake: Lake) -> None:
    execution = lake.run(
        "SELECT 7 / 2 AS q, 7.0 / 2 AS r, "
        "date_diff('hour', TIMESTAMP '2026-11-19 11:50:00', TIMESTAMP '2026-11-20 08:10:00') AS h, "
        "day_of_week(DATE '2026-11-22') AS dow, current_date AS today, "
        "element_at(MAP(ARRAY['a'], ARRAY['1']), 'b') AS missing, "
        "now() AS now, current_time AS time"
    )
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    # Whole hours elapsed (20 h 20 min), ISO Sunday = 7, NULL for a missing key, the pinned clock
    # (now() is a timestamp with time zone and current_time a time with time zone, in UTC).
    assert lake.rows(execution["QueryExecutionId"])[1] == [
        "3",
        "3.5",
        "20",
        "7",
        "2026-11-20",
        None,
        "2026-11-20 12:00:00.000 UTC",
        "12:00:00.000+00:00",
    ]


CAPTURE_IO = "struct<observedContentType:string,mode:string,data:string,encoding:string>"


def _capture_table(lake: Lake, database: str = CURATED_DB) -> None:
    """A JSON SerDe table over SageMaker data capture's layout (`<endpoint>/<variant>/yyyy/mm/dd/
    hh/*.jsonl`, no `key=` folders), declared as AWS's data capture examples declare it."""
    boto3.client("glue", region_name=REGION).create_table(
        DatabaseName=database,
        TableInput={
            "Name": "capture",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "json"},
            "StorageDescriptor": {
                "Columns": [
                    {
                        "Name": "capturedata",
                        "Type": f"struct<endpointInput:{CAPTURE_IO},endpointOutput:{CAPTURE_IO}>",
                    },
                    {
                        "Name": "eventmetadata",
                        "Type": "struct<eventId:string,inferenceTime:string>",
                    },
                    {"Name": "eventversion", "Type": "string"},
                ],
                "Location": f"s3://{ANALYTICS}/datacapture/ep/",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )


def _capture_record(row: str, prediction: str, event_id: str) -> str:
    def io_(mode: str, data: str) -> dict[str, str]:
        return {"observedContentType": "text/csv", "mode": mode, "data": data, "encoding": "CSV"}

    return json.dumps(
        {
            "captureData": {
                "endpointInput": io_("INPUT", row),
                "endpointOutput": io_("OUTPUT", prediction),
            },
            "eventMetadata": {"eventId": event_id, "inferenceTime": "2026-11-20T11:59:00.000Z"},
            "eventVersion": "0",
        }
    )


def test_a_json_table_reads_data_capture_records_from_its_hour_folders(lake: Lake) -> None:
    """Data capture's JSON Lines, camelCase keys and nested objects, in yyyy/mm/dd/hh folders
    under the table's location: struct fields read case-insensitively, as the JSON SerDe does."""
    _capture_table(lake)
    for hour, (row, prediction) in enumerate((("1,2", "0.25"), ("3,4", "0.75"))):
        lake.s3.put_object(
            Bucket=ANALYTICS,
            Key=f"datacapture/ep/AllTraffic/2026/11/20/1{hour}/00-00-000-{hour}.jsonl",
            Body=(_capture_record(row, prediction, f"e{hour}") + "\n").encode(),
        )
    execution = lake.run(
        "SELECT eventmetadata.eventid AS id, capturedata.endpointinput.data AS request, "
        "CAST(capturedata.endpointoutput.data AS double) AS score FROM capture ORDER BY 1"
    )
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert lake.rows(execution["QueryExecutionId"]) == [
        ["id", "request", "score"],
        ["e0", "1,2", "0.25"],
        ["e1", "3,4", "0.75"],
    ]
    assert execution["Statistics"]["DataScannedInBytes"] > 0


def test_a_json_table_with_a_line_that_is_not_json_fails_the_query(lake: Lake) -> None:
    _capture_table(lake)
    lake.s3.put_object(
        Bucket=ANALYTICS, Key="datacapture/ep/a.jsonl", Body=b'{"eventversion": "0"}\n{oops\n'
    )
    execution = lake.run("SELECT count(*) FROM capture")
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"].startswith("HIVE_BAD_DATA")
