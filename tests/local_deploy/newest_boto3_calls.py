"""boto3 calls a user's own code makes against the deployed stacks, run by the NEWEST boto3.

tests/local_deploy/test_clients_newest.py runs this file with the Python of .venv-clients/python3.X
(tools/clients-newest-lock.txt), never the project's: it imports nothing from the repository.

    python newest_boto3_calls.py INPUTS.json   # prints {"client": {...}, "calls": {name: ...}}

INPUTS names the deployed resources (the stacks' outputs). Each call's entry is ``{"ok": true,
"summary": ...}`` or ``{"ok": false, "error": "<the emulator's answer>"}``; a call that needs an
earlier one's result fails with that call's name when it failed. The environment points boto3
at the emulator (AWS_ENDPOINT_URL and dummy keys, as ``local_deploy env`` prints them).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore

Call = Callable[[Any, dict[str, Any], dict[str, Any]], Any]


class NeedsError(Exception):
    """A call's input came from an earlier call that failed."""


def _need(state: dict[str, Any], key: str) -> Any:
    if key not in state:
        raise NeedsError(f"needs {key}, which an earlier call did not produce")
    return state[key]


# --- S3 -----------------------------------------------------------------------------------------


def s3_list_buckets(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    names = [bucket["Name"] for bucket in c("s3").list_buckets()["Buckets"]]
    assert i["raw_bucket"] in names, f"{i['raw_bucket']} not in {names}"
    return f"{len(names)} buckets"


def s3_get_bucket_policy(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    policy = json.loads(c("s3").get_bucket_policy(Bucket=i["raw_bucket"])["Policy"])
    return f"{len(policy['Statement'])} statements"


def s3_object_round_trip(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    s3, bucket, key = c("s3"), i["scratch_bucket"], "newest-boto3/object.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"newest boto3\n")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == b"newest boto3\n", body
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="newest-boto3/")["KeyCount"]
    s3.delete_object(Bucket=bucket, Key=key)
    return f"put, get, list ({listed}), delete s3://{bucket}/{key}"


# --- Glue ---------------------------------------------------------------------------------------


def glue_get_tables(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    names = [t["Name"] for t in c("glue").get_tables(DatabaseName=i["raw_database"])["TableList"]]
    assert "events" in names, names
    return f"{i['raw_database']}: {names}"


def glue_get_job_and_runs(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    glue = c("glue")
    job = glue.get_job(JobName=i["etl_job"])["Job"]
    runs = glue.get_job_runs(JobName=i["etl_job"])["JobRuns"]
    return f"{job['Name']} (Glue {job.get('GlueVersion')}), {len(runs)} runs"


def glue_get_crawler(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    return c("glue").get_crawler(Name=i["crawler"])["Crawler"]["State"]


def glue_declare_capture_table(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    """The README's Athena example reads local_demo.endpoint_capture, which the demo's last
    stage declares over the endpoint's capture prefix: declared here the same way."""
    glue = c("glue")
    database, table = i["capture_table"].split(".")
    with contextlib.suppress(glue.exceptions.AlreadyExistsException):
        glue.create_database(DatabaseInput={"Name": database})
    with contextlib.suppress(glue.exceptions.EntityNotFoundException):
        glue.delete_table(DatabaseName=database, Name=table)
    io = "struct<observedContentType:string,mode:string,data:string,encoding:string>"
    capture = f"struct<endpointInput:{io},endpointOutput:{io}>"
    metadata = "struct<eventId:string,inferenceTime:string>"
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": table,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "json"},
            "StorageDescriptor": {
                "Columns": [
                    {"Name": "capturedata", "Type": capture},
                    {"Name": "eventmetadata", "Type": metadata},
                    {"Name": "eventversion", "Type": "string"},
                ],
                "Location": i["capture_location"],
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    )
    s["capture_table"] = i["capture_table"]
    return f"{i['capture_table']} over {i['capture_location']}"


# --- Athena (REST-JSON from botocore 1.44.18 on) ------------------------------------------------


def athena_list_work_groups(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    names = [g["Name"] for g in c("athena").list_work_groups()["WorkGroups"]]
    assert i["work_group"] in names, names
    return names


def athena_list_named_queries(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    athena = c("athena")
    ids = athena.list_named_queries(WorkGroup=i["work_group"])["NamedQueryIds"]
    found = athena.batch_get_named_query(NamedQueryIds=ids)["NamedQueries"]
    return sorted(query["Name"] for query in found)


def _query(athena: Any, sql: str, work_group: str) -> tuple[str, list[list[str]]]:
    qid = athena.start_query_execution(QueryString=sql, WorkGroup=work_group)["QueryExecutionId"]
    status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
    assert status["State"] == "SUCCEEDED", status
    rows = [
        [cell.get("VarCharValue") for cell in row["Data"]]
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid)
        for row in page["ResultSet"]["Rows"]
    ]
    return qid, rows


def athena_query_the_lake(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    sql = f'SELECT dt, count(*) AS events FROM "{i["curated_database"]}"."events" GROUP BY dt'
    qid, rows = _query(c("athena"), sql, i["work_group"])
    assert rows[0] == ["dt", "events"], rows[0]
    return f"{qid}: {len(rows) - 1} rows"


def athena_query_runtime_statistics(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    athena = c("athena")
    qid, _ = _query(athena, "SELECT 1 AS one", i["work_group"])
    statistics = athena.get_query_runtime_statistics(QueryExecutionId=qid)
    return statistics["QueryRuntimeStatistics"]["Rows"]


# --- Kinesis ------------------------------------------------------------------------------------


def kinesis_describe_and_list_shards(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    kinesis = c("kinesis")
    summary = kinesis.describe_stream_summary(StreamName=i["stream"])["StreamDescriptionSummary"]
    shards = kinesis.list_shards(StreamName=i["stream"])["Shards"]
    return f"{summary['StreamStatus']}, {summary.get('StreamModeDetails')}, {len(shards)} shards"


def kinesis_put_and_get_record(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    kinesis = c("kinesis")
    put = kinesis.put_record(StreamName=i["stream"], Data=b'{"newest": true}', PartitionKey="n")
    iterator = kinesis.get_shard_iterator(
        StreamName=i["stream"],
        ShardId=put["ShardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=put["SequenceNumber"],
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator, Limit=1)["Records"]
    assert records, "no record read back"
    assert records[0]["Data"] == b'{"newest": true}', records
    return f"{put['ShardId']} #{put['SequenceNumber']} read back"


# --- SageMaker ----------------------------------------------------------------------------------


def sagemaker_describe_pipeline(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    sagemaker = c("sagemaker")
    pipeline = sagemaker.describe_pipeline(PipelineName=i["pipeline"])
    steps = json.loads(pipeline["PipelineDefinition"])["Steps"]
    executions = sagemaker.list_pipeline_executions(PipelineName=i["pipeline"])
    return f"{len(steps)} steps, {len(executions['PipelineExecutionSummaries'])} executions"


def sagemaker_model_packages(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    sagemaker = c("sagemaker")
    packages = sagemaker.list_model_packages(ModelPackageGroupName=i["model_group"])
    newest = packages["ModelPackageSummaryList"][-1]["ModelPackageArn"]
    described = sagemaker.describe_model_package(ModelPackageName=newest)
    return f"{newest}: {described['ModelApprovalStatus']}"


def sagemaker_describe_endpoint(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    endpoint = c("sagemaker").describe_endpoint(EndpointName=i["endpoint"])
    assert endpoint["EndpointStatus"] == "InService", endpoint["EndpointStatus"]
    return f"{endpoint['EndpointName']} on {endpoint['EndpointConfigName']}"


def sagemaker_runtime_invoke_endpoint(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    answer = c("sagemaker-runtime").invoke_endpoint(
        EndpointName=i["endpoint"],
        ContentType="text/csv",
        Accept="application/json",
        Body=i["rows_csv"].encode(),
    )
    body = json.loads(answer["Body"].read())
    assert len(body["predictions"]) == i["rows_csv"].count("\n"), body
    return f"{answer['InvokedProductionVariant']}: {len(body['predictions'])} predictions"


# --- Auto Scaling, CloudWatch, SNS, and the README's outputs ------------------------------------


def autoscaling_describe_groups(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    autoscaling = c("autoscaling")
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=i["scaling_groups"])
    found = {g["AutoScalingGroupName"]: g["DesiredCapacity"] for g in groups["AutoScalingGroups"]}
    assert set(found) == set(i["scaling_groups"]), found
    hooks = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName=i["scaling_groups"][-1])
    return f"{found}, hooks {[h['LifecycleHookName'] for h in hooks['LifecycleHooks']]}"


def autoscaling_scheduled_actions_and_policies(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    autoscaling = c("autoscaling")
    group = i["scaling_groups"][-1]
    scheduled = autoscaling.describe_scheduled_actions(AutoScalingGroupName=group)
    policies = autoscaling.describe_policies(AutoScalingGroupName=group)
    return (
        f"{len(scheduled['ScheduledUpdateGroupActions'])} scheduled actions, "
        f"{len(policies['ScalingPolicies'])} policies"
    )


def cloudwatch_alarms_and_dashboard(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    cloudwatch = c("cloudwatch")
    alarms = cloudwatch.describe_alarms()["MetricAlarms"]
    dashboard = cloudwatch.get_dashboard(DashboardName=i["dashboard"])
    widgets = json.loads(dashboard["DashboardBody"])["widgets"]
    return f"{len(alarms)} alarms, dashboard with {len(widgets)} widgets"


def cloudwatch_put_and_get_metric_data(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    cloudwatch = c("cloudwatch")
    namespace = "clients-newest/boto3"
    at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a fixed time: no test reads the clock
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[{"MetricName": "calls", "Value": 3.0, "Unit": "Count", "Timestamp": at}],
    )
    data = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "calls",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "calls"},
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=at - timedelta(hours=1),
        EndTime=at + timedelta(hours=1),
    )["MetricDataResults"][0]
    assert sum(data["Values"]) >= 3.0, data
    listed = cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
    return f"{len(listed)} metrics, sum {sum(data['Values'])}"


def sns_topic_and_publish(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    sns = c("sns")
    attributes = sns.get_topic_attributes(TopicArn=i["alarm_topic"])["Attributes"]
    published = sns.publish(TopicArn=i["alarm_topic"], Subject="newest boto3", Message="hello")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=i["alarm_topic"])["Subscriptions"]
    return (
        f"KMS {attributes.get('KmsMasterKeyId', '-')}, message {published['MessageId']}, "
        f"{len(subscriptions)} subscriptions"
    )


def cloudformation_describe_stacks(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    stacks = c("cloudformation").describe_stacks()["Stacks"]
    return sorted(stack["StackName"] for stack in stacks)


def firehose_describe_delivery_stream(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    described = c("firehose").describe_delivery_stream(DeliveryStreamName=i["delivery_stream"])
    return described["DeliveryStreamDescription"]["DeliveryStreamStatus"]


def readme_athena_example(c: Any, i: dict[str, Any], s: dict[str, Any]) -> Any:
    """The README's "Query the local lake from any Athena client" Python, as printed there
    (its own boto3.client call), with the emulator's port and the workgroup filled in."""
    _need(s, "capture_table")
    scope: dict[str, Any] = {}
    exec(i["readme_python"], scope)  # the README's own example
    state = scope["athena"].get_query_execution(QueryExecutionId=scope["qid"])
    assert state["QueryExecution"]["Status"]["State"] == "SUCCEEDED", state["QueryExecution"]
    rows = scope["athena"].get_query_results(QueryExecutionId=scope["qid"])["ResultSet"]["Rows"]
    header = [cell.get("VarCharValue") for cell in rows[0]["Data"]]
    assert header == ["captured"], header
    return f"captured = {rows[1]['Data'][0].get('VarCharValue')}"


#: In order: a later call may use what an earlier one stored.
CALLS: dict[str, Call] = {
    call.__name__: call
    for call in (
        s3_list_buckets,
        s3_get_bucket_policy,
        s3_object_round_trip,
        glue_get_tables,
        glue_get_job_and_runs,
        glue_get_crawler,
        glue_declare_capture_table,
        athena_list_work_groups,
        athena_list_named_queries,
        athena_query_the_lake,
        athena_query_runtime_statistics,
        readme_athena_example,
        kinesis_describe_and_list_shards,
        kinesis_put_and_get_record,
        sagemaker_describe_pipeline,
        sagemaker_model_packages,
        sagemaker_describe_endpoint,
        sagemaker_runtime_invoke_endpoint,
        autoscaling_describe_groups,
        autoscaling_scheduled_actions_and_policies,
        cloudwatch_alarms_and_dashboard,
        cloudwatch_put_and_get_metric_data,
        sns_topic_and_publish,
        cloudformation_describe_stacks,
        firehose_describe_delivery_stream,
    )
}


def main(inputs_file: str) -> int:
    with open(inputs_file) as given:
        inputs = json.load(given)
    session = boto3.session.Session()
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service)
        return clients[service]

    state: dict[str, Any] = {}
    results: dict[str, dict[str, Any]] = {}
    for name, call in CALLS.items():
        started = time.monotonic()
        try:
            summary = call(client, inputs, state)
            results[name] = {"ok": True, "summary": summary}
        except Exception as error:  # every failure is reported, by call
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            results[name] = {"ok": False, "error": detail}
        results[name]["seconds"] = round(time.monotonic() - started, 3)
    protocols = {
        service: client(service).meta.service_model.protocol
        for service in ("athena", "cloudwatch", "sagemaker-runtime")
    }
    client_info = {
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "protocols": protocols,
    }
    print(json.dumps({"client": client_info, "calls": results}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
