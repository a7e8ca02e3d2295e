"""DataLakeStack: catalog tables and projection, the enforced workgroup, saved queries, the Glue
job, its schedule and the crawler, lake-key encryption and TLS-only policies, and sample data in
the landing area."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import lake_schema
from lake_schema.layout import LAKE_LAYOUT, PARTITION_KEY
from local_deploy.smoke import Check, SmokeContext, expect
from tools.sample_events import S3Sink, generate_events, run_name, write_landing_files

STACK_ID = "DataLakeStack"

_ZONE_OUTPUTS = ("RawBucketName", "CuratedBucketName", "AnalyticsBucketName")
_BUCKET_OUTPUTS = (*_ZONE_OUTPUTS, "AthenaResultsBucketName")
_SAMPLE_EVENTS = 200
_SAMPLE_SEED = 7
# A fixed start keeps the sample's object names stable, so a rerun replaces its own files.
_SAMPLE_START = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


def _output(ctx: SmokeContext, key: str) -> str:
    value = ctx.outputs.get(key)
    expect(bool(value), f"stack output {key} is missing; outputs: {sorted(ctx.outputs)}")
    return str(value)


def _database(ctx: SmokeContext, zone: str) -> str:
    lake = ctx.config.data_lake
    return f"{lake.database_prefix}_{ctx.config.profile.replace('-', '_')}_{zone}"


def events_tables_have_schema_and_projection(ctx: SmokeContext) -> str:
    glue = ctx.client("glue")
    schema = lake_schema.EVENTS
    expected_columns = [(c.name, c.type) for c in schema.columns]
    start = ctx.config.data_lake.events_start_date
    for zone, output in (("raw", "RawBucketName"), ("curated", "CuratedBucketName")):
        database = _database(ctx, zone)
        table = glue.get_table(DatabaseName=database, Name=schema.name)["Table"]
        columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
        expect(
            columns == expected_columns,
            f"{database}.{schema.name} columns {columns} != lake_schema {expected_columns}",
        )
        keys = [k["Name"] for k in table.get("PartitionKeys", [])]
        expect(keys == [PARTITION_KEY], f"{database}.{schema.name} partition keys {keys}")
        parameters = table.get("Parameters", {})
        location = f"s3://{_output(ctx, output)}/{LAKE_LAYOUT.events}"
        wanted = {
            "projection.enabled": "true",
            "projection.dt.type": "date",
            "projection.dt.format": "yyyy-MM-dd",
            "projection.dt.range": f"{start},NOW",
            "storage.location.template": f"{location}{PARTITION_KEY}=${{{PARTITION_KEY}}}/",
        }
        wrong = {k: parameters.get(k) for k, v in wanted.items() if parameters.get(k) != v}
        expect(not wrong, f"{database}.{schema.name} projection parameters differ: {wrong}")
    return (
        f"raw and curated {schema.name}: {len(expected_columns)} columns, dt projected from {start}"
    )


def workgroup_enforces_encrypted_results(ctx: SmokeContext) -> str:
    name = _output(ctx, "AthenaWorkgroupName")
    workgroup = ctx.client("athena").get_work_group(WorkGroup=name)["WorkGroup"]
    configuration = workgroup["Configuration"]
    expect(
        configuration.get("EnforceWorkGroupConfiguration") is True,
        f"workgroup {name} does not enforce its configuration",
    )
    encryption = configuration.get("ResultConfiguration", {}).get("EncryptionConfiguration", {})
    key_arn = _output(ctx, "LakeKeyArn")
    expect(
        encryption == {"EncryptionOption": "SSE_KMS", "KmsKey": key_arn},
        f"workgroup {name} result encryption {encryption}, expected SSE_KMS with {key_arn}",
    )
    cutoff = ctx.config.data_lake.athena.bytes_scanned_cutoff_per_query
    expect(
        configuration.get("BytesScannedCutoffPerQuery") == cutoff,
        f"workgroup {name} cutoff {configuration.get('BytesScannedCutoffPerQuery')} != {cutoff}",
    )
    return f"workgroup {name}: enforced, SSE_KMS with the lake key, cutoff {cutoff} bytes"


def named_queries_are_saved(ctx: SmokeContext) -> str:
    athena = ctx.client("athena")
    workgroup = _output(ctx, "AthenaWorkgroupName")
    ids = athena.list_named_queries(WorkGroup=workgroup)["NamedQueryIds"]
    # One GetNamedQuery per id: moto has no BatchGetNamedQuery.
    queries = {
        query["Name"]: query
        for query in (athena.get_named_query(NamedQueryId=i)["NamedQuery"] for i in ids)
    }
    wanted = {"events-per-day", "events-late-arrivals", "events-training-export"}
    expect(wanted <= set(queries), f"saved queries {sorted(queries)}, expected {sorted(wanted)}")
    export = queries["events-training-export"]["QueryString"]
    target = f"s3://{_output(ctx, 'AnalyticsBucketName')}/{LAKE_LAYOUT.training_events}"
    expect(
        "UNLOAD (" in export and target in export, f"training export does not UNLOAD to {target}"
    )
    return f"{len(wanted)} saved queries; the training export unloads to {target}"


def athena_answers_from_the_lake(ctx: SmokeContext) -> str:
    """A query through the Athena API runs on the emulator's local engine (sqlglot + DuckDB
    over the raw zone's Parquet) and its results land encrypted with the lake key."""
    athena, workgroup = ctx.client("athena"), _output(ctx, "AthenaWorkgroupName")
    database = _database(ctx, "raw")
    query_id = athena.start_query_execution(
        QueryString=f'SELECT count(*) AS events FROM "{database}"."{lake_schema.EVENTS.name}"',
        QueryExecutionContext={"Database": database},
        WorkGroup=workgroup,
    )["QueryExecutionId"]
    execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    status = execution["Status"]
    expect(status["State"] == "SUCCEEDED", f"query {query_id}: {status}")
    rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    values = [[d.get("VarCharValue") for d in row["Data"]] for row in rows]
    expect(
        len(values) == 2 and values[0] == ["events"] and str(values[1][0]).isdigit(),
        f"query {query_id} returned {values}, expected a header and one count",
    )
    location = execution["ResultConfiguration"]["OutputLocation"]
    bucket, _, key = location.removeprefix("s3://").partition("/")
    expect(
        bucket == _output(ctx, "AthenaResultsBucketName"),
        f"results at {location}, not in the workgroup's results bucket",
    )
    head = ctx.client("s3").head_object(Bucket=bucket, Key=key)
    key_arn = _output(ctx, "LakeKeyArn")
    expect(
        head.get("ServerSideEncryption") == "aws:kms" and head.get("SSEKMSKeyId") == key_arn,
        f"results {location} encrypted {head.get('ServerSideEncryption')} "
        f"{head.get('SSEKMSKeyId')}, expected aws:kms with {key_arn}",
    )
    scanned = execution["Statistics"]["DataScannedInBytes"]
    return f"{values[1][0]} raw events counted by Athena ({scanned} bytes scanned); results SSE-KMS"


def glue_job_and_crawler_are_configured(ctx: SmokeContext) -> str:
    glue = ctx.client("glue")
    job = glue.get_job(JobName=_output(ctx, "EtlJobName"))["Job"]
    arguments = job.get("DefaultArguments", {})
    expect(
        arguments.get("--job-bookmark-option") == "job-bookmark-enable",
        f"job {job['Name']} bookmarks: {arguments.get('--job-bookmark-option')}",
    )
    expect(
        job.get("GlueVersion") == "5.0" and job.get("SecurityConfiguration"),
        f"job {job['Name']}: Glue {job.get('GlueVersion')}, "
        f"security configuration {job.get('SecurityConfiguration')!r}",
    )
    crawler = glue.get_crawler(Name=_output(ctx, "LandingCrawlerName"))["Crawler"]
    expect(
        crawler.get("TablePrefix") == "landing_"
        and crawler.get("DatabaseName") == _database(ctx, "raw"),
        f"crawler {crawler['Name']} writes {crawler.get('TablePrefix')}* to "
        f"{crawler.get('DatabaseName')}",
    )
    return f"job {job['Name']} (bookmarks, Glue 5.0) and crawler {crawler['Name']} (landing_*)"


def etl_job_schedule_matches_the_profile(ctx: SmokeContext) -> str:
    glue = ctx.client("glue")
    job_name = _output(ctx, "EtlJobName")
    schedule = ctx.config.data_lake.etl_job.schedule
    triggers = glue.get_triggers(DependentJobName=job_name)["Triggers"]
    if schedule is None:
        expect(not triggers, f"schedule is off, yet triggers {[t['Name'] for t in triggers]}")
        return f"job {job_name} has no trigger (schedule off)"
    expect(
        [t["Name"] for t in triggers] == [f"{job_name}-schedule"],
        f"triggers of {job_name}: {[t['Name'] for t in triggers]}",
    )
    trigger = triggers[0]
    expect(
        trigger["Type"] == "SCHEDULED"
        and trigger.get("Schedule") == schedule
        and trigger["State"] == "ACTIVATED",
        f"trigger {trigger['Name']}: {trigger['Type']} {trigger.get('Schedule')!r}, "
        f"{trigger['State']}; want SCHEDULED {schedule!r}, ACTIVATED",
    )
    expect(
        trigger["Actions"] == [{"JobName": job_name}],
        f"trigger {trigger['Name']} starts {trigger['Actions']}",
    )
    return f"trigger {trigger['Name']} starts {job_name} on {schedule} (ACTIVATED)"


def buckets_use_the_lake_key(ctx: SmokeContext) -> str:
    s3 = ctx.client("s3")
    key_arn = _output(ctx, "LakeKeyArn")
    for output in _BUCKET_OUTPUTS:
        bucket = _output(ctx, output)
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        expect(
            default.get("SSEAlgorithm") == "aws:kms" and default.get("KMSMasterKeyID") == key_arn,
            f"bucket {bucket} encryption {default}, expected aws:kms with {key_arn}",
        )
    return f"{len(_BUCKET_OUTPUTS)} lake buckets encrypted with {key_arn}"


def buckets_deny_plain_http(ctx: SmokeContext) -> str:
    s3 = ctx.client("s3")
    for output in _BUCKET_OUTPUTS:
        bucket = _output(ctx, output)
        statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        tls_only = any(
            s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        )
        expect(tls_only, f"bucket {bucket} has no TLS-only deny statement")
    return f"{len(_BUCKET_OUTPUTS)} lake buckets deny requests without TLS"


def sample_events_land_under_their_dates(ctx: SmokeContext) -> str:
    bucket = _output(ctx, "RawBucketName")
    s3 = ctx.client("s3")
    prefix = LAKE_LAYOUT.landing_events.rstrip("/")
    summary = write_landing_files(
        generate_events(_SAMPLE_EVENTS, seed=_SAMPLE_SEED, start=_SAMPLE_START),
        S3Sink(s3, bucket),
        prefix=prefix,
        run=run_name(_SAMPLE_SEED, _SAMPLE_START),
    )
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/", Delimiter="/")
    found = {p["Prefix"][len(prefix) + 1 :].rstrip("/") for p in listed.get("CommonPrefixes", [])}
    expect(
        set(summary.partitions) <= found,
        f"wrote partitions {sorted(summary.partitions)}, listed {sorted(found)} in {bucket}",
    )
    dated = sorted(p for p in summary.partitions if not p.endswith("__HIVE_DEFAULT_PARTITION__"))
    expect(bool(dated), f"no dated partitions among {sorted(summary.partitions)}")
    return f"{summary.records} sample events in {summary.files} files under {', '.join(dated)}"


CHECKS: list[Check] = [
    events_tables_have_schema_and_projection,
    workgroup_enforces_encrypted_results,
    named_queries_are_saved,
    athena_answers_from_the_lake,
    glue_job_and_crawler_are_configured,
    etl_job_schedule_matches_the_profile,
    buckets_use_the_lake_key,
    buckets_deny_plain_http,
    sample_events_land_under_their_dates,
]
