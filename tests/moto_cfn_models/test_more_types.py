"""Glue Trigger, MSK Configuration and ClusterPolicy, Lambda EventInvokeConfig, Logs LogStream."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError
from moto.kafka.models import kafka_backends

ROLE = "arn:aws:iam::123456789012:role/r"


TRIGGER_ARN = "arn:aws:glue:us-east-1:123456789012:trigger/"


def _glue_job_and_crawler():
    return {
        "Job": {
            "Type": "AWS::Glue::Job",
            "Properties": {
                "Role": ROLE,
                "Command": {"Name": "glueetl", "ScriptLocation": "s3://c/j.py"},
            },
        },
        "Crawler": {
            "Type": "AWS::Glue::Crawler",
            "Properties": {"Role": ROLE, "Targets": {"S3Targets": [{"Path": "s3://raw/"}]}},
        },
    }


def _scheduled_trigger(schedule, tags):
    # As CDK writes it for the prod ETL schedule: a named trigger, tags as a map.
    resources = _glue_job_and_crawler()
    resources["Nightly"] = {
        "Type": "AWS::Glue::Trigger",
        "Properties": {
            "Name": "curation-schedule",
            "Type": "SCHEDULED",
            "Schedule": schedule,
            "StartOnCreation": True,
            "Description": "nightly curation",
            "Actions": [{"JobName": {"Ref": "Job"}}],
            "Tags": tags,
        },
    }
    return resources


def test_glue_trigger(cfn):
    outputs = cfn.create(
        _scheduled_trigger("cron(0 2 * * ? *)", {"environment": "prod", "project": "p"}),
        {"Trigger": {"Ref": "Nightly"}, "Job": {"Ref": "Job"}},
    )
    assert outputs["Trigger"] == "curation-schedule"
    glue = cfn.aws("glue")
    trigger = glue.get_trigger(Name="curation-schedule")["Trigger"]
    assert trigger["Type"] == "SCHEDULED"
    assert trigger["State"] == "ACTIVATED"  # StartOnCreation
    assert trigger["Schedule"] == "cron(0 2 * * ? *)"
    assert trigger["Description"] == "nightly curation"
    assert trigger["Actions"] == [{"JobName": outputs["Job"]}]
    arn = TRIGGER_ARN + "curation-schedule"
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"environment": "prod", "project": "p"}
    assert [t["Name"] for t in glue.get_triggers(DependentJobName=outputs["Job"])["Triggers"]] == [
        "curation-schedule"
    ]

    after = cfn.update(
        _scheduled_trigger("cron(0 3 * * ? *)", {"environment": "prod"}),
        {"Trigger": {"Ref": "Nightly"}, "Job": {"Ref": "Job"}},
    )
    assert after == outputs
    trigger = glue.get_trigger(Name="curation-schedule")["Trigger"]
    assert trigger["Schedule"] == "cron(0 3 * * ? *)"
    assert trigger["State"] == "ACTIVATED"
    # The dropped tag is gone, not inherited from the trigger the update replaced.
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"environment": "prod"}

    cfn.delete()
    assert glue.get_triggers()["Triggers"] == []
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {}


def test_glue_conditional_trigger_on_a_crawler(cfn):
    resources = _glue_job_and_crawler()
    resources["AfterCrawl"] = {
        "Type": "AWS::Glue::Trigger",
        "Properties": {
            "Type": "CONDITIONAL",
            "Predicate": {
                "Logical": "ANY",
                "Conditions": [
                    {
                        "CrawlerName": {"Ref": "Crawler"},
                        "CrawlState": "SUCCEEDED",
                        "LogicalOperator": "EQUALS",
                    }
                ],
            },
            "Actions": [
                {"JobName": {"Ref": "Job"}, "Arguments": {"--mode": "full"}, "Timeout": 60}
            ],
        },
    }
    outputs = cfn.create(
        resources,
        {"Trigger": {"Ref": "AfterCrawl"}, "Job": {"Ref": "Job"}, "Crawler": {"Ref": "Crawler"}},
    )
    glue = cfn.aws("glue")
    trigger = glue.get_trigger(Name=outputs["Trigger"])["Trigger"]
    assert trigger["Type"] == "CONDITIONAL"
    assert trigger["State"] == "CREATED"  # no StartOnCreation
    assert "Schedule" not in trigger
    assert trigger["Predicate"] == {
        "Logical": "ANY",
        "Conditions": [
            {
                "CrawlerName": outputs["Crawler"],
                "CrawlState": "SUCCEEDED",
                "LogicalOperator": "EQUALS",
            }
        ],
    }
    assert trigger["Actions"] == [
        {"JobName": outputs["Job"], "Arguments": {"--mode": "full"}, "Timeout": 60}
    ]
    cfn.delete()
    assert glue.get_triggers()["Triggers"] == []


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"Type": "HOURLY"}, "Type 'HOURLY' is not one of"),
        ({"Type": "SCHEDULED"}, "a SCHEDULED trigger needs Schedule"),
        (
            {"Type": "ON_DEMAND", "Schedule": "cron(0 2 * * ? *)"},
            "moto would drop it from this ON_DEMAND one",
        ),
        ({"Type": "CONDITIONAL"}, "a CONDITIONAL trigger needs Predicate.Conditions"),
        (
            {
                "Type": "CONDITIONAL",
                "Predicate": {
                    "Conditions": [
                        {"JobName": "other", "State": "SUCCEEDED", "LogicalOperator": "EQUALS"}
                    ]
                },
            },
            "Predicate.Logical (AND or ANY) is required",
        ),
        (
            {"Type": "ON_DEMAND", "StartOnCreation": "true"},
            "StartOnCreation true is not supported for an ON_DEMAND trigger",
        ),
        ({"Type": "EVENT"}, "an EVENT trigger needs WorkflowName"),
        ({"Type": "EVENT", "WorkflowName": "etl"}, "no Glue workflow etl"),
        (
            {"Type": "ON_DEMAND", "Actions": [{"JobName": "missing"}]},
            "Actions[0]: no Glue job missing",
        ),
        (
            {"Type": "ON_DEMAND", "Actions": [{"CrawlerName": "missing"}]},
            "Actions[0]: no Glue crawler missing",
        ),
        (
            {"Type": "ON_DEMAND", "Actions": [{"Arguments": {"--a": "b"}}]},
            "Actions[0] needs exactly one of JobName and CrawlerName",
        ),
    ],
)
def test_glue_trigger_refuses_what_it_cannot_honour(cfn, properties, message):
    resources = _glue_job_and_crawler()
    resources["Bad"] = {
        "Type": "AWS::Glue::Trigger",
        "Properties": {"Name": "bad", "Actions": [{"JobName": {"Ref": "Job"}}], **properties},
    }
    with pytest.raises(ClientError) as raised:
        cfn.create(resources)
    error = raised.value.response["Error"]["Message"]
    assert "create of AWS::Glue::Trigger Bad failed" in error
    assert message in error
    assert cfn.aws("glue").get_triggers()["Triggers"] == []


def test_msk_configuration_and_cluster_policy(cfn):
    def resources(properties):
        return {
            "Config": {
                "Type": "AWS::MSK::Configuration",
                "Properties": {"Name": "events", "ServerProperties": properties},
            },
            "Cluster": {
                "Type": "AWS::MSK::ServerlessCluster",
                "Properties": {
                    "ClusterName": "events",
                    "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
                    "VpcConfigs": [{"SubnetIds": ["subnet-1"]}],
                },
            },
            "Policy": {
                "Type": "AWS::MSK::ClusterPolicy",
                "Properties": {
                    "ClusterArn": {"Ref": "Cluster"},
                    "Policy": {"Version": "2012-10-17", "Statement": []},
                },
            },
        }

    outputs = cfn.create(
        resources("auto.create.topics.enable=false"),
        {
            "Config": {"Ref": "Config"},
            "Revision": {"Fn::GetAtt": ["Config", "LatestRevision.Revision"]},
            "Policy": {"Ref": "Policy"},
            "Cluster": {"Ref": "Cluster"},
        },
    )
    assert outputs["Revision"] == "1"
    assert outputs["Policy"] == outputs["Cluster"]
    kafka = cfn.aws("kafka")
    policy = kafka.get_cluster_policy(ClusterArn=outputs["Cluster"])
    assert json.loads(policy["Policy"]) == {"Version": "2012-10-17", "Statement": []}
    backend = kafka_backends["123456789012"]["us-east-1"]
    assert backend.configurations[outputs["Config"]]["revision"] == 1

    after = cfn.update(
        resources("auto.create.topics.enable=true"),
        {"Rev": {"Fn::GetAtt": ["Config", "LatestRevision.Revision"]}},
    )
    assert after["Rev"] == "2"
    cfn.delete()
    assert backend.configurations == {}
    assert kafka.list_clusters_v2()["ClusterInfoList"] == []


def _function(cfn, **properties):
    """An AWS::Lambda::Function resource whose code (a zip in the bucket "code") and role exist."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.py", "def handler(event, context):\n    return event\n")
    s3 = cfn.aws("s3")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="fn.zip", Body=archive.getvalue())
    role = cfn.aws("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": role,
            "Code": {"S3Bucket": "code", "S3Key": "fn.zip"},
            **properties,
        },
    }


def test_lambda_event_invoke_config_and_log_stream(cfn):
    function = _function(cfn)

    def resources(retries):
        return {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Fn": function,
            "Async": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "Qualifier": "$LATEST",
                    "MaximumRetryAttempts": retries,
                    "DestinationConfig": {
                        "OnFailure": {"Destination": {"Fn::GetAtt": ["Queue", "Arn"]}}
                    },
                },
            },
            "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app"}},
            "Stream": {
                "Type": "AWS::Logs::LogStream",
                "Properties": {"LogGroupName": {"Ref": "Group"}, "LogStreamName": "audit"},
            },
        }

    outputs = cfn.create(resources(1), {"Fn": {"Ref": "Fn"}, "Stream": {"Ref": "Stream"}})
    lambda_ = cfn.aws("lambda")
    config = lambda_.get_function_event_invoke_config(FunctionName=outputs["Fn"])
    assert config["MaximumRetryAttempts"] == 1
    assert config["DestinationConfig"]["OnFailure"]["Destination"].endswith(
        ":" + cfn.physical_ids()["Queue"].rsplit("/", 1)[-1]
    )
    logs = cfn.aws("logs")
    assert outputs["Stream"] == "audit"
    assert [
        s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/app")["logStreams"]
    ] == ["audit"]

    cfn.update(resources(0))
    config = lambda_.get_function_event_invoke_config(FunctionName=outputs["Fn"])
    assert config["MaximumRetryAttempts"] == 0

    cfn.delete()
    assert lambda_.list_functions()["Functions"] == []
    assert logs.describe_log_groups()["logGroups"] == []


def test_lambda_permission_is_listed_and_removed(cfn):
    function = _function(cfn)
    permission = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]},
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "SourceArn": "arn:aws:events:us-east-1:123456789012:rule/r",
        },
    }
    outputs = cfn.create({"Fn": function, "Allow": permission}, {"Sid": {"Ref": "Allow"}})
    assert cfn.physical_ids()["Allow"] == outputs["Sid"]
    lambda_ = cfn.aws("lambda")
    name = cfn.physical_ids()["Fn"]
    policy = json.loads(lambda_.get_policy(FunctionName=name)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == [outputs["Sid"]]

    cfn.update({"Fn": function})
    # Lambda answers ResourceNotFound for a function whose policy has no statement left.
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        lambda_.get_policy(FunctionName=name)


def test_kinesis_stream_keeps_mode_and_encryption(cfn):
    def resources(retention):
        return {
            "Stream": {
                "Type": "AWS::Kinesis::Stream",
                "Properties": {
                    "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
                    "RetentionPeriodHours": retention,
                    "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
                },
            }
        }

    outputs = cfn.create(
        resources(24), {"Name": {"Ref": "Stream"}, "Arn": {"Fn::GetAtt": ["Stream", "Arn"]}}
    )
    kinesis = cfn.aws("kinesis")
    summary = kinesis.describe_stream_summary(StreamName=outputs["Name"])[
        "StreamDescriptionSummary"
    ]
    assert summary["StreamARN"] == outputs["Arn"]
    assert summary["EncryptionType"] == "KMS"
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}

    cfn.update(resources(48))
    summary = kinesis.describe_stream_summary(StreamName=outputs["Name"])[
        "StreamDescriptionSummary"
    ]
    assert summary["RetentionPeriodHours"] == 48
    cfn.delete()
    assert kinesis.list_streams()["StreamNames"] == []


def test_lambda_function_keeps_dropped_properties(cfn):
    resources = {
        "Fn": _function(
            cfn,
            Architectures=["arm64"],
            TracingConfig={"Mode": "Active"},
            Tags=[{"Key": "project", "Value": "p"}],
        )
    }
    outputs = cfn.create(resources, {"Fn": {"Ref": "Fn"}})
    configuration = cfn.aws("lambda").get_function_configuration(FunctionName=outputs["Fn"])
    assert configuration["Architectures"] == ["arm64"]
    assert configuration["TracingConfig"] == {"Mode": "Active"}
