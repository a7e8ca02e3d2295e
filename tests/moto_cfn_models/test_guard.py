"""The strict guard, the registry, and moto's type map after register()."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.cloudformation import parsing

import moto_cfn_models


def test_unknown_type_fails_naming_type_and_logical_id(cfn):
    resources = {
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Mystery": {"Type": "AWS::Nope::Thing", "Properties": {}},
    }
    with pytest.raises(ClientError) as raised:
        cfn.create(resources)
    message = raised.value.response["Error"]["Message"]
    assert moto_cfn_models.UNSUPPORTED_MESSAGE in message
    assert "Mystery (AWS::Nope::Thing)" in message
    assert "Queue" not in message.split(":", 2)[-1].split(".")[0]
    # Refused before anything was created: no half stack, no queue.
    assert cfn.client.describe_stacks()["Stacks"] == []
    assert cfn.aws("sqs").list_queues().get("QueueUrls", []) == []


def test_unknown_type_added_by_update_fails_and_leaves_stack(cfn):
    cfn.create({"Queue": {"Type": "AWS::SQS::Queue"}})
    with pytest.raises(ClientError, match=r"Later \(AWS::Nope::Thing\)"):
        cfn.update({"Queue": {"Type": "AWS::SQS::Queue"}, "Later": {"Type": "AWS::Nope::Thing"}})
    assert list(cfn.physical_ids()) == ["Queue"]


def test_lambda_backed_custom_resource_without_native_handler_is_refused(cfn):
    resources = {"Thing": {"Type": "Custom::Whatever", "Properties": {"ServiceToken": "arn"}}}
    with pytest.raises(ClientError, match=r"Thing \(Custom::Whatever\)"):
        cfn.create(resources)


def test_unsupported_resources_lists_only_what_nothing_handles():
    moto_cfn_models.register()
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Policy": {"Type": "AWS::S3::BucketPolicy"},
            "Restrict": {"Type": "Custom::VpcRestrictDefaultSG"},
            "Other": {"Type": "Custom::Other"},
            "Wait": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
            "Bad": {"Type": "AWS::Nope::Thing"},
        }
    }
    found = moto_cfn_models.unsupported_resources(template, allow_lambda_custom_resources=False)
    assert found == [("Other", "Custom::Other"), ("Bad", "AWS::Nope::Thing")]
    allowed = moto_cfn_models.unsupported_resources(template, allow_lambda_custom_resources=True)
    assert allowed == [("Bad", "AWS::Nope::Thing")]


def test_register_is_idempotent_and_overrides_moto_models():
    moto_cfn_models.register()
    first = parsing.get_model_map()
    moto_cfn_models.register()
    second = parsing.get_model_map()
    assert first.keys() == second.keys()
    for resource_type in moto_cfn_models.handled_types():
        assert issubclass(second[resource_type], moto_cfn_models.Handler), resource_type
    # moto's own models stay for the types this package does not handle.
    assert second["AWS::SQS::Queue"].__module__.startswith("moto.")


def test_every_handler_module_is_one_service():
    modules = {cls.__module__ for cls in moto_cfn_models.REGISTRY.values()}
    expected = {f"moto_cfn_models.{name}" for name in moto_cfn_models.SERVICE_MODULES}
    assert modules == expected


def test_failed_create_rolls_back(cfn):
    resources = {
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {"Threshold": 1},
            "DependsOn": "Queue",
        },
    }
    with pytest.raises(ClientError, match="create of AWS::CloudWatch::Alarm Alarm failed"):
        cfn.create(resources)
    stack = cfn.client.describe_stacks(StackName="t")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert cfn.aws("sqs").list_queues().get("QueueUrls", []) == []


def test_get_stack_output_reads_another_stack(cfn):
    cfn.create({"Queue": {"Type": "AWS::SQS::Queue"}}, {"Url": {"Ref": "Queue"}}, name="producer")
    url = cfn.outputs("producer")["Url"]
    reference = {"Fn::GetStackOutput": {"StackName": "producer", "OutputName": "Url"}}
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"}],
    }
    resources = {
        "Policy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {"Queues": [reference], "PolicyDocument": policy},
        }
    }
    outputs = cfn.create(resources, {"Seen": reference}, name="consumer")
    assert outputs["Seen"] == url
    attributes = cfn.aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    assert "Policy" in attributes["Attributes"]
