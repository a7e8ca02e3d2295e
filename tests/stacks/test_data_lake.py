"""DataLakeStack: zones, catalog, crawler, ETL job, Athena, Lake Formation and its config."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

import lake_schema
from app import create_app
from constructs.lake.catalog import glue_type
from lake_schema import Column
from lake_schema.layout import LAKE_LAYOUT
from lake_schema.queries import RUN_ID_PLACEHOLDER, TrainingFeatures, training_export_sql
from platform_config import PlatformConfig, parse_profile
from stacks.data_lake import DataLakeStack
from tests.config_testkit import error_for, profile
from tests.synthesis import REPO_ROOT, Synthesized, cdk_json_context

STACK = "DataLakeStack"
ZONES = ("Raw", "Curated", "Analytics")
LF_ADMIN = "arn:aws:iam::123456789012:role/LakeAdmin"


def config_of(name: str) -> PlatformConfig:
    return parse_profile(name, profile(name))


def render(value: Any) -> str:
    """A CloudFormation string with intrinsics shown as <LogicalId> / <LogicalId.Attr>."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(p) for p in parts)
    if "Fn::Sub" in value:
        return value["Fn::Sub"]
    raise AssertionError(f"unexpected intrinsic {value!r}")


def logical_id(template: Template, resource_type: str, prefix: str) -> str:
    (found,) = [lid for lid in template.find_resources(resource_type) if lid.startswith(prefix)]
    return found


def zone_bucket_ids(template: Template) -> dict[str, str]:
    ids = {zone: logical_id(template, "AWS::S3::Bucket", f"Storage{zone}Bucket") for zone in ZONES}
    ids["AthenaResults"] = logical_id(template, "AWS::S3::Bucket", "StorageAthenaResultsBucket")
    return ids


def lake_key_id(template: Template) -> str:
    return logical_id(template, "AWS::KMS::Key", "StorageLakeKey")


def statements(template: Template) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for policy_id, policy in template.find_resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            found.append((policy_id, statement))
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- a Lake Formation profile, synthesized once for this module (one stack, not the app) ---------


@pytest.fixture(scope="module")
def lake_formation_app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    raw = profile("dev")
    raw["data_lake"]["lake_formation"] = {"enabled": True, "admins": [LF_ADMIN]}
    config = parse_profile("dev", raw)
    outdir = tmp_path_factory.mktemp("cdk.out.lake-formation")
    # The feature flags of cdk.json; the profile itself is parsed above, with Lake Formation on.
    app = create_app(context=cdk_json_context(), outdir=str(outdir))
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
    )
    lake = DataLakeStack(app, STACK, config=config)
    consumer = cdk.Stack(app, "ConsumerStack")
    consumer_role = iam.Role(
        consumer, "TrainingRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")
    )
    grant = lake.grant_lake_formation_table(
        consumer,
        "CuratedEventsRead",
        role=consumer_role,
        database_name=lake.curated_database_name,
        table_name=lake.events_table_name,
    )
    app.synth()
    report = json.loads((outdir / "validation-report.json").read_text(encoding="utf-8"))
    return {
        "stack": lake,
        "grant": grant,
        "consumer": consumer,
        "template": Template.from_json(
            json.loads((outdir / f"{STACK}.template.json").read_text(encoding="utf-8"))
        ),
        "consumer_template": Template.from_json(
            json.loads((outdir / "ConsumerStack.template.json").read_text(encoding="utf-8"))
        ),
        "report": report,
    }


# --- zones ---------------------------------------------------------------------------------------


def test_every_lake_bucket_uses_the_one_rotating_lake_key(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    key_id = lake_key_id(template)
    key = template.find_resources("AWS::KMS::Key")[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    buckets = template.find_resources("AWS::S3::Bucket")
    for bucket_id in zone_bucket_ids(template).values():
        rule = buckets[bucket_id]["Properties"]["BucketEncryption"][
            "ServerSideEncryptionConfiguration"
        ][0]
        assert rule["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
        }
        assert rule["BucketKeyEnabled"] is True
        assert buckets[bucket_id]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_one_access_log_bucket_receives_every_lake_buckets_logs(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    access_logs = logical_id(template, "AWS::S3::Bucket", "StorageAccessLogsBucket")
    buckets = template.find_resources("AWS::S3::Bucket")
    assert len(buckets) == 5  # four lake buckets and their access-log bucket
    for bucket_id in zone_bucket_ids(template).values():
        logging = buckets[bucket_id]["Properties"]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": access_logs}


def test_bucket_policies_deny_plain_http_and_old_tls(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    policies = {
        p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::S3::BucketPolicy").values()
    }
    for bucket_id in zone_bucket_ids(template).values():
        denies = [s for s in policies[bucket_id] if s["Effect"] == "Deny"]
        conditions = [s["Condition"] for s in denies]
        assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
        assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
        assert all(s["Principal"] == {"AWS": "*"} and s["Action"] == "s3:*" for s in denies)
    # Nothing public: every bucket blocks all public access.
    for bucket in template.find_resources("AWS::S3::Bucket").values():
        assert set(bucket["Properties"]["PublicAccessBlockConfiguration"].values()) == {True}


@pytest.mark.parametrize("zone", ["raw", "curated", "analytics"])
def test_zone_lifecycle_follows_config(synthesized: Synthesized, zone: str) -> None:
    template = synthesized.template(STACK)
    lifecycle = getattr(config_of(synthesized.profile).data_lake.zones, zone)
    bucket_id = zone_bucket_ids(template)[zone.title()]
    (rule,) = template.find_resources("AWS::S3::Bucket")[bucket_id]["Properties"][
        "LifecycleConfiguration"
    ]["Rules"]
    expected = [
        {"StorageClass": t.storage_class, "TransitionInDays": t.after_days}
        for t in lifecycle.transitions
    ]
    assert rule.get("Transitions", []) == expected
    assert rule.get("ExpirationInDays") == lifecycle.expiration_days
    assert rule["Status"] == "Enabled"


def test_raw_zone_tiers_to_infrequent_access_then_glacier_instant(
    synthesized: Synthesized,
) -> None:
    raw = config_of(synthesized.profile).data_lake.zones.raw
    assert [t.storage_class for t in raw.transitions] == ["STANDARD_IA", "GLACIER_IR"]


def test_athena_results_expire_and_are_never_tiered(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    bucket_id = zone_bucket_ids(template)["AthenaResults"]
    (rule,) = template.find_resources("AWS::S3::Bucket")[bucket_id]["Properties"][
        "LifecycleConfiguration"
    ]["Rules"]
    days = config_of(synthesized.profile).data_lake.athena.results_expiration_days
    assert rule["ExpirationInDays"] == days
    assert "Transitions" not in rule


# --- catalog -------------------------------------------------------------------------------------


def test_one_database_per_zone_named_by_profile(synthesized: Synthesized) -> None:
    databases = synthesized.template(STACK).find_resources("AWS::Glue::Database")
    names = sorted(d["Properties"]["DatabaseInput"]["Name"] for d in databases.values())
    p = synthesized.profile
    assert names == [
        f"dataplatform_{p}_analytics",
        f"dataplatform_{p}_curated",
        f"dataplatform_{p}_raw",
    ]


def events_tables(template: Template) -> dict[str, dict[str, Any]]:
    tables = template.find_resources("AWS::Glue::Table")
    return {
        t["Properties"]["DatabaseName"].rsplit("_", 1)[1]: t["Properties"] for t in tables.values()
    }


def test_events_tables_match_lake_schema(synthesized: Synthesized) -> None:
    tables = events_tables(synthesized.template(STACK))
    assert sorted(tables) == ["curated", "raw"]
    expected = [(c.name, c.type) for c in lake_schema.EVENTS.columns]
    for table in tables.values():
        table_input = table["TableInput"]
        assert table_input["Name"] == lake_schema.EVENTS.name
        columns = table_input["StorageDescriptor"]["Columns"]
        assert [(c["Name"], c["Type"]) for c in columns] == expected
        assert table_input["PartitionKeys"] == [
            {
                "Name": "dt",
                "Type": "string",
                "Comment": lake_schema.EVENTS.partition_keys[0].description,
            }
        ]
        descriptor = table_input["StorageDescriptor"]
        assert descriptor["InputFormat"].endswith("MapredParquetInputFormat")
        assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")


@pytest.mark.parametrize("zone", ["raw", "curated"])
def test_events_tables_use_daily_partition_projection(synthesized: Synthesized, zone: str) -> None:
    template = synthesized.template(STACK)
    table_input = events_tables(template)[zone]["TableInput"]
    parameters = table_input["Parameters"]
    start = config_of(synthesized.profile).data_lake.events_start_date
    bucket = zone_bucket_ids(template)[zone.title()]
    assert {k: v for k, v in parameters.items() if k.startswith("projection.")} == {
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": f"{start},NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }
    assert render(parameters["storage.location.template"]) == f"s3://<{bucket}>/events/dt=${{dt}}/"
    assert render(table_input["StorageDescriptor"]["Location"]) == f"s3://<{bucket}>/events/"
    assert parameters["classification"] == "parquet"


def test_glue_types_pass_through_and_unknown_types_fail_with_the_column() -> None:
    assert glue_type(Column("p", "map<string, string>", False, ""), "t") == "map<string,string>"
    assert glue_type(Column("d", "decimal(10,2)", False, ""), "t") == "decimal(10,2)"
    with pytest.raises(ValueError, match=r"lake_schema t\.when: type 'datetime' has no Glue"):
        glue_type(Column("when", "datetime", False, ""), "t")


# --- crawler and job -----------------------------------------------------------------------------


def test_no_s3_wildcard_actions_and_no_s3_on_every_resource(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    for policy_id, statement in statements(template):
        actions = as_list(statement["Action"])
        s3_actions = [a for a in actions if a.startswith("s3:")]
        assert "s3:*" not in actions, policy_id
        assert not any("*" in a for a in s3_actions), (policy_id, s3_actions)
        if s3_actions:
            assert "*" not in as_list(statement["Resource"]), (policy_id, statement)
    for role in template.find_resources("AWS::IAM::Role").values():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert "FullAccess" not in render(arn)


def role_statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    role_id = logical_id(template, "AWS::IAM::Role", role_prefix)
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def s3_resources(statements_: list[dict[str, Any]]) -> dict[str, set[str]]:
    """S3 action -> rendered resources."""
    found: dict[str, set[str]] = {}
    for statement in statements_:
        for action in as_list(statement["Action"]):
            if action.startswith("s3:"):
                found.setdefault(action, set()).update(
                    render(r) for r in as_list(statement["Resource"])
                )
    return found


def test_crawler_role_is_glue_service_role_plus_the_landing_prefix(
    synthesized: Synthesized,
) -> None:
    template = synthesized.template(STACK)
    role_id = logical_id(template, "AWS::IAM::Role", "LandingCrawlerRole")
    role = template.find_resources("AWS::IAM::Role")[role_id]["Properties"]
    assert [render(a) for a in role["ManagedPolicyArns"]] == [
        "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSGlueServiceRole"
    ]
    raw = zone_bucket_ids(template)["Raw"]
    assert s3_resources(role_statements(template, "LandingCrawlerRole")) == {
        "s3:ListBucket": {f"<{raw}.Arn>"},
        "s3:GetObject": {f"<{raw}.Arn>/landing/events/*"},
    }
    crawler = next(iter(template.find_resources("AWS::Glue::Crawler").values()))["Properties"]
    assert crawler["TablePrefix"] == "landing_"
    assert crawler["DatabaseName"] == f"dataplatform_{synthesized.profile}_raw"
    assert render(crawler["Targets"]["S3Targets"][0]["Path"]) == f"s3://<{raw}>/landing/events/"
    assert crawler["CrawlerSecurityConfiguration"] == f"dataplatform-{synthesized.profile}-lake"
    schedule = config_of(synthesized.profile).data_lake.crawler.schedule
    assert crawler.get("Schedule") == ({"ScheduleExpression": schedule} if schedule else None)


def test_security_configuration_encrypts_s3_logs_and_bookmarks(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    (config,) = template.find_resources("AWS::Glue::SecurityConfiguration").values()
    encryption = config["Properties"]["EncryptionConfiguration"]
    lake_key = {"Fn::GetAtt": [lake_key_id(template), "Arn"]}
    assert encryption["S3Encryptions"] == [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": lake_key}]
    assert encryption["JobBookmarksEncryption"] == {
        "JobBookmarksEncryptionMode": "CSE-KMS",
        "KmsKeyArn": lake_key,
    }
    logs = encryption["CloudWatchEncryption"]
    assert logs["CloudWatchEncryptionMode"] == "SSE-KMS"
    logs_key_id = logs["KmsKeyArn"]["Fn::GetAtt"][0]
    logs_key = template.find_resources("AWS::KMS::Key")[logs_key_id]["Properties"]
    assert logs_key["EnableKeyRotation"] is True
    principals = [s["Principal"] for s in logs_key["KeyPolicy"]["Statement"]]
    assert any("logs." in render(p.get("Service", "")) for p in principals)


def etl_job(template: Template) -> dict[str, Any]:
    (job,) = template.find_resources("AWS::Glue::Job").values()
    return job["Properties"]


def test_job_runs_glue_5_with_bookmarks_metrics_and_encryption(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    job = etl_job(template)
    settings = config_of(synthesized.profile).data_lake.etl_job
    assert job["GlueVersion"] == "5.0"
    assert job["Command"]["Name"] == "glueetl"
    assert render(job["Command"]["ScriptLocation"]).endswith(".py")
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert job["SecurityConfiguration"] == f"dataplatform-{synthesized.profile}-lake"
    assert (job["WorkerType"], job["NumberOfWorkers"], job["Timeout"], job["ExecutionClass"]) == (
        settings.worker_type,
        settings.number_of_workers,
        settings.timeout_minutes,
        settings.execution_class,
    )
    arguments = job["DefaultArguments"]
    assert arguments["--job-bookmark-option"] == "job-bookmark-enable"
    for flag in ("--enable-metrics", "--enable-observability-metrics"):
        assert arguments[flag] == "true"
    # Glue 5.0 logs in real time on its own: the 4.0 continuous-logging switch is a no-op there.
    assert "--enable-continuous-cloudwatch-log" not in arguments
    # The transform module ships zipped so that it keeps its import name.
    assert render(arguments["--extra-py-files"]).endswith(".zip")
    extra_file = render(arguments["--extra-files"])
    assert extra_file.endswith(".json")
    assert extra_file.rsplit("/", 1)[1] == arguments["--schema_file"]
    buckets = zone_bucket_ids(template)
    assert arguments["--raw_bucket"] == {"Ref": buckets["Raw"]}
    assert arguments["--curated_bucket"] == {"Ref": buckets["Curated"]}
    assert arguments["--max_clock_skew_hours"] == str(settings.max_clock_skew_hours)


def test_job_role_reaches_only_its_prefixes(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    buckets = zone_bucket_ids(template)
    raw, curated = buckets["Raw"], buckets["Curated"]
    found = s3_resources(role_statements(template, "EtlJobRole"))
    writable = {f"<{curated}.Arn>/events/*", f"<{curated}.Arn>/quarantine/events/*"}
    assert found["s3:PutObject"] == writable
    assert found["s3:DeleteObject"] == writable
    assert found["s3:ListBucket"] == {f"<{raw}.Arn>", f"<{curated}.Arn>"}
    readable = found["s3:GetObject"]
    assert {f"<{raw}.Arn>/events/*", f"<{raw}.Arn>/landing/events/*", *writable} <= readable
    # The rest of GetObject is the job's own code: exact asset objects, no wildcard.
    assets = readable - {f"<{raw}.Arn>/events/*", f"<{raw}.Arn>/landing/events/*", *writable}
    assert len(assets) == 3
    bucket = f"cdk-{synthesized.bootstrap_qualifier()}-assets"
    assert all(bucket in a and "*" not in a for a in assets)


def test_job_role_reads_exactly_the_lake_events_tables(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    glue_resources = {
        render(r)
        for s in role_statements(template, "EtlJobRole")
        if any(a.startswith("glue:") for a in as_list(s["Action"]))
        for r in as_list(s["Resource"])
    }
    p = synthesized.profile
    prefix = "arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>"
    assert glue_resources == {
        f"{prefix}:catalog",
        f"{prefix}:database/dataplatform_{p}_raw",
        f"{prefix}:database/dataplatform_{p}_curated",
        f"{prefix}:table/dataplatform_{p}_raw/events",
        f"{prefix}:table/dataplatform_{p}_curated/events",
    }


def test_job_schedule_is_off_in_dev_and_daily_in_prod(dev: Synthesized, prod: Synthesized) -> None:
    dev.template(STACK).resource_count_is("AWS::Glue::Trigger", 0)
    (trigger,) = prod.template(STACK).find_resources("AWS::Glue::Trigger").values()
    properties = trigger["Properties"]
    assert properties["Type"] == "SCHEDULED"
    assert properties["Schedule"] == config_of("prod").data_lake.etl_job.schedule
    assert properties["StartOnCreation"] is True
    job_id = logical_id(prod.template(STACK), "AWS::Glue::Job", "EtlJob")
    assert properties["Actions"] == [{"JobName": {"Ref": job_id}}]


# --- Athena --------------------------------------------------------------------------------------


def test_workgroup_enforces_engine_v3_encryption_and_cutoff(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    (workgroup,) = template.find_resources("AWS::Athena::WorkGroup").values()
    properties = workgroup["Properties"]
    assert properties["Name"] == f"dataplatform-{synthesized.profile}-lake"
    configuration = properties["WorkGroupConfiguration"]
    athena = config_of(synthesized.profile).data_lake.athena
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["PublishCloudWatchMetricsEnabled"] is True
    assert configuration["RequesterPaysEnabled"] is False
    assert configuration["BytesScannedCutoffPerQuery"] == athena.bytes_scanned_cutoff_per_query
    assert configuration["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    results = configuration["ResultConfiguration"]
    assert (
        render(results["OutputLocation"]) == f"s3://<{zone_bucket_ids(template)['AthenaResults']}>/"
    )
    assert results["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": {"Fn::GetAtt": [lake_key_id(template), "Arn"]},
    }


def named_queries(template: Template) -> dict[str, dict[str, Any]]:
    return {
        q["Properties"]["Name"]: q["Properties"]
        for q in template.find_resources("AWS::Athena::NamedQuery").values()
    }


def test_named_queries_run_in_the_lake_workgroup(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    queries = named_queries(template)
    assert sorted(queries) == ["events-late-arrivals", "events-per-day", "events-training-export"]
    workgroup_id = logical_id(template, "AWS::Athena::WorkGroup", "Workgroup")
    p = synthesized.profile
    assert all(q["WorkGroup"] == {"Ref": workgroup_id} for q in queries.values())
    assert queries["events-per-day"]["Database"] == f"dataplatform_{p}_curated"
    assert f'FROM "dataplatform_{p}_curated"."events"' in queries["events-per-day"]["QueryString"]
    late = queries["events-late-arrivals"]
    hours = config_of(p).data_lake.athena.late_arrival_hours
    assert f"INTERVAL '{hours}' HOUR" in late["QueryString"]
    assert f'FROM "dataplatform_{p}_raw"."events"' in late["QueryString"]


def test_training_export_unloads_parquet_to_the_analytics_bucket(synthesized: Synthesized) -> None:
    template = synthesized.template(STACK)
    sql = render(named_queries(template)["events-training-export"]["QueryString"])
    code = [line for line in sql.splitlines() if not line.startswith("--")]
    assert code[0] == "UNLOAD ("
    analytics = zone_bucket_ids(template)["Analytics"]
    assert f"TO 's3://<{analytics}>/training/events/run={RUN_ID_PLACEHOLDER}/'" in sql
    assert "WITH (format = 'PARQUET', compression = 'SNAPPY')" in sql
    assert "AS integer) AS label" in sql


def test_training_features_come_from_the_schema() -> None:
    features = TrainingFeatures.of(lake_schema.EVENTS)
    assert "purchase" not in features.event_types
    assert features.columns == (
        "page_view_count", "search_count", "add_to_cart_count", "checkout_count",
        "distinct_products", "cart_items", "cart_value", "session_duration_seconds",
        "hour_of_day", "day_of_week", "device_web", "device_ios", "device_android",
    )  # fmt: skip


def test_training_export_selects_label_then_only_numeric_features() -> None:
    sql = training_export_sql(
        schema=lake_schema.EVENTS,
        database="db",
        analytics_bucket="analytics-bucket",
        window_days=30,
        run_id="20261121T120000Z",
    )
    select = sql.split("  SELECT\n", 1)[1].split("  FROM before_purchase", 1)[0]
    outputs = [
        alias
        for alias in re.findall(r"\bAS (\w+)\s*(?:,|\n|$)", select)
        if alias not in {"integer", "double"}
    ]
    assert outputs[0] == "label"
    assert outputs[1:] == list(TrainingFeatures.of(lake_schema.EVENTS).columns)
    # Every output is cast to a number type, so each Parquet column is numeric.
    assert select.count("CAST(") == len(outputs)
    assert len(re.findall(r"AS (?:integer|double)\)", select)) == len(outputs)
    assert "TO 's3://analytics-bucket/training/events/run=20261121T120000Z/'" in sql
    # Features only look at events before the session's first purchase.
    assert "event_time < first_purchase_time" in sql


@pytest.mark.parametrize("run_id", ["", "a/b", " spaced "])
def test_training_run_ids_that_would_escape_the_folder_are_refused(run_id: str) -> None:
    with pytest.raises(ValueError, match="training run id"):
        LAKE_LAYOUT.training_run(run_id)


def test_layout_partitions() -> None:
    assert LAKE_LAYOUT.partition(LAKE_LAYOUT.events, date(2026, 11, 20)) == "events/dt=2026-11-20/"
    assert LAKE_LAYOUT.training_run("r1") == "training/events/run=r1/"


# --- Lake Formation ------------------------------------------------------------------------------


def test_lake_formation_is_absent_in_the_shipped_profiles(synthesized: Synthesized) -> None:
    resources = synthesized.template_json(STACK)["Resources"].values()
    assert not [r for r in resources if r["Type"].startswith("AWS::LakeFormation::")]


def test_lake_formation_admins_include_config_and_deployer(lake_formation_app: dict) -> None:
    template: Template = lake_formation_app["template"]
    (settings,) = template.find_resources("AWS::LakeFormation::DataLakeSettings").values()
    properties = settings["Properties"]
    assert properties["MutationType"] == "APPEND"
    admins = [render(a["DataLakePrincipalIdentifier"]) for a in properties["Admins"]]
    assert admins[0] == LF_ADMIN
    assert "cfn-exec-role" in admins[1]


def test_lake_formation_registers_the_three_zones(lake_formation_app: dict) -> None:
    template: Template = lake_formation_app["template"]
    locations = template.find_resources("AWS::LakeFormation::Resource")
    buckets = zone_bucket_ids(template)
    assert sorted(r["Properties"]["ResourceArn"]["Fn::GetAtt"][0] for r in locations.values()) == (
        sorted(buckets[z] for z in ZONES)
    )
    role_ids = {r["Properties"]["RoleArn"]["Fn::GetAtt"][0] for r in locations.values()}
    assert len(role_ids) == 1
    assert all(r["Properties"]["UseServiceLinkedRole"] is False for r in locations.values())


def test_lake_formation_grants_the_pipeline_roles(lake_formation_app: dict) -> None:
    template: Template = lake_formation_app["template"]
    grants = template.find_resources("AWS::LakeFormation::PrincipalPermissions")
    job_role = logical_id(template, "AWS::IAM::Role", "EtlJobRole")
    job_tables = {
        g["Properties"]["Resource"]["Table"]["DatabaseName"]: sorted(g["Properties"]["Permissions"])
        for g in grants.values()
        if g["Properties"]["Principal"]["DataLakePrincipalIdentifier"]
        == {"Fn::GetAtt": [job_role, "Arn"]}
        and "Table" in g["Properties"]["Resource"]
    }
    assert job_tables == {
        "dataplatform_dev_raw": ["DESCRIBE", "SELECT"],
        "dataplatform_dev_curated": ["ALTER", "DELETE", "DESCRIBE", "INSERT", "SELECT"],
    }
    settings_id = next(iter(template.find_resources("AWS::LakeFormation::DataLakeSettings")))
    assert all(settings_id in g["DependsOn"] for g in grants.values())


def test_lake_formation_profile_passes_cdk_nag(lake_formation_app: dict) -> None:
    failures = [
        p for p in lake_formation_app["report"]["pluginReports"] if p["conclusion"] != "success"
    ]
    assert failures == []


def test_a_consumer_stack_grants_its_own_role_without_a_cycle(lake_formation_app: dict) -> None:
    consumer_template: Template = lake_formation_app["consumer_template"]
    grants = consumer_template.find_resources("AWS::LakeFormation::PrincipalPermissions")
    resources = sorted(
        json.dumps(g["Properties"]["Resource"], sort_keys=True) for g in grants.values()
    )
    assert len(resources) == 2
    assert '"Name": "events"' in resources[1] or '"Name": "events"' in resources[0]
    consumer: cdk.Stack = lake_formation_app["consumer"]
    lake: DataLakeStack = lake_formation_app["stack"]
    assert lake in consumer.dependencies
    assert consumer not in lake.dependencies


def test_grants_refuse_databases_outside_the_lake(lake_formation_app: dict) -> None:
    lake: DataLakeStack = lake_formation_app["stack"]
    with pytest.raises(ValueError, match="'other_db' is not a lake database; allowed: "):
        lake.grant_lake_formation_table(
            lake,
            "Nope",
            role=iam.Role.from_role_arn(lake, "Imported", LF_ADMIN),
            database_name="other_db",
            table_name="events",
        )


def test_interface_attributes_are_plain_strings(lake_formation_app: dict) -> None:
    lake: DataLakeStack = lake_formation_app["stack"]
    names = {
        "raw_database_name": "dataplatform_dev_raw",
        "curated_database_name": "dataplatform_dev_curated",
        "analytics_database_name": "dataplatform_dev_analytics",
        "events_table_name": "events",
        "athena_workgroup_name": "dataplatform-dev-lake",
    }
    for attribute, expected in names.items():
        value = getattr(lake, attribute)
        assert value == expected
        assert not cdk.Token.is_unresolved(value)
    for attribute in ("raw_bucket", "curated_bucket", "analytics_bucket", "athena_results_bucket"):
        assert hasattr(getattr(lake, attribute), "grant_read")
    assert hasattr(lake.lake_key, "grant_decrypt")
    assert lake.layout.events == "events/"
    assert lake.layout.landing_events == "landing/events/"


# --- config --------------------------------------------------------------------------------------


def test_dev_lake_is_cheap_to_leave_deployed() -> None:
    dev, prod = config_of("dev").data_lake, config_of("prod").data_lake
    assert dev.crawler.schedule is None
    assert dev.etl_job.schedule is None
    assert prod.crawler.schedule
    assert prod.etl_job.schedule
    assert dev.etl_job.execution_class == "FLEX"
    assert dev.athena.bytes_scanned_cutoff_per_query < prod.athena.bytes_scanned_cutoff_per_query
    assert not dev.lake_formation.enabled


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("daily", "not a Glue schedule"),
        ("cron(0 2 * * *)", "not a Glue schedule"),
        ("cron(0 2 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 2 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
    ],
)
def test_bad_schedules(schedule: str, reason: str) -> None:
    raw = profile("dev")
    raw["data_lake"]["etl_job"]["schedule"] = schedule
    message = error_for(raw)
    assert f"profiles.dev.data_lake.etl_job.schedule: got {schedule!r}" in message
    assert reason in message


def test_null_schedule_is_refused_with_the_word_to_use() -> None:
    raw = profile("dev")
    raw["data_lake"]["crawler"]["schedule"] = None
    assert "allowed: 'off' or cron(" in error_for(raw)


@pytest.mark.parametrize(
    ("transitions", "expiration", "reason"),
    [
        ([("STANDARD_IA", 10)], "never", "STANDARD_IA after 10 days: S3 allows it from day 30"),
        ([("GLACIER_IR", 30), ("STANDARD_IA", 60)], "never", "must go down S3's order"),
        (
            [("STANDARD_IA", 30), ("GLACIER_IR", 45)],
            "never",
            "GLACIER_IR at day 45 must come at least 30 day(s) after STANDARD_IA at day 30",
        ),
        ([("STANDARD_IA", 30)], 20, "expiration_days (20) must be later than the last transition"),
        ([("COLD", 30)], "never", "STANDARD_IA"),
    ],
)
def test_bad_lifecycles(
    transitions: list[tuple[str, int]], expiration: int | str, reason: str
) -> None:
    raw = profile("dev")
    raw["data_lake"]["zones"]["raw"] = {
        "transitions": [{"storage_class": c, "after_days": d} for c, d in transitions],
        "expiration_days": expiration,
    }
    message = error_for(raw)
    assert "profiles.dev.data_lake.zones.raw" in message
    assert reason in message


def test_expiration_accepts_never_but_not_nonsense() -> None:
    raw = profile("dev")
    raw["data_lake"]["zones"]["curated"]["expiration_days"] = "never"
    assert parse_profile("dev", raw).data_lake.zones.curated.expiration_days is None
    raw["data_lake"]["zones"]["curated"]["expiration_days"] = "forever"
    assert "profiles.dev.data_lake.zones.curated.expiration_days" in error_for(raw)


@pytest.mark.parametrize(
    ("admins", "enabled", "reason"),
    [
        ([], True, "admins is empty while enabled is true"),
        ([LF_ADMIN], False, "admins has no effect while enabled is false"),
        (["arn:aws:sts::123456789012:assumed-role/Admin/me"], True, "is an STS session ARN"),
        (["arn:aws:iam::12345:role/Admin"], True, "is not an IAM role or user ARN"),
        (["arn:aws:iam::123456789012:group/Admins"], True, "is not an IAM role or user ARN"),
        ([LF_ADMIN, LF_ADMIN], True, "lists the same ARN more than once"),
    ],
)
def test_bad_lake_formation_settings(admins: list[str], enabled: bool, reason: str) -> None:
    raw = profile("dev")
    raw["data_lake"]["lake_formation"] = {"enabled": enabled, "admins": admins}
    message = error_for(raw)
    assert "profiles.dev.data_lake.lake_formation" in message
    assert reason in message


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("events_start_date", "2026-13-01", "not a date; allowed: yyyy-MM-dd"),
        ("events_start_date", "20260101", "not a date; allowed: yyyy-MM-dd"),
        ("database_prefix", "Data-Platform", "should match pattern"),
    ],
)
def test_bad_catalog_settings(key: str, value: str, reason: str) -> None:
    raw = profile("dev")
    raw["data_lake"][key] = value
    message = error_for(raw)
    assert f"profiles.dev.data_lake.{key}: got {value!r}" in message
    assert reason in message


@pytest.mark.parametrize(
    ("section", "key", "value", "reason"),
    [
        ("athena", "bytes_scanned_cutoff_per_query", 1024, "greater than or equal to 10000000"),
        ("etl_job", "worker_type", "G.025X", "'G.1X', 'G.2X', 'G.4X' or 'G.8X'"),
        ("etl_job", "number_of_workers", 1, "greater than or equal to 2"),
        ("etl_job", "execution_class", "SPOT", "'STANDARD' or 'FLEX'"),
    ],
)
def test_bad_job_and_athena_settings(section: str, key: str, value: Any, reason: str) -> None:
    raw = profile("dev")
    raw["data_lake"][section][key] = value
    message = error_for(raw)
    assert f"profiles.dev.data_lake.{section}.{key}: got {value!r}" in message
    assert reason in message


def test_unknown_data_lake_key_is_rejected() -> None:
    raw = profile("dev")
    raw["data_lake"]["athena"]["cutoff"] = 1
    message = error_for(raw)
    assert "profiles.dev.data_lake.athena.cutoff: unknown key" in message
    assert "bytes_scanned_cutoff_per_query" in message


def test_the_documented_schema_table_matches_lake_schema() -> None:
    doc = (REPO_ROOT / "docs" / "data_lake.md").read_text(encoding="utf-8")
    section = doc.split("## The `events` schema", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]
    assert rows == [
        [c.name, c.type, "yes" if c.required else "no", c.description]
        for c in lake_schema.EVENTS.columns
    ]
