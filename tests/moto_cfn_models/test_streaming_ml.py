"""Firehose, MSK, SageMaker, CloudWatch alarms and Application Auto Scaling handlers."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/r"


def _firehose(prefix):
    return {
        "Stream": {
            "Type": "AWS::KinesisFirehose::DeliveryStream",
            "Properties": {
                "DeliveryStreamType": "DirectPut",
                "ExtendedS3DestinationConfiguration": {
                    "BucketARN": "arn:aws:s3:::raw",
                    "RoleARN": ROLE,
                    "Prefix": prefix,
                    "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 64},
                },
            },
        }
    }


def test_firehose_delivery_stream(cfn):
    outputs = cfn.create(
        _firehose("events/"), {"Name": {"Ref": "Stream"}, "Arn": {"Fn::GetAtt": ["Stream", "Arn"]}}
    )
    firehose = cfn.aws("firehose")
    description = firehose.describe_delivery_stream(DeliveryStreamName=outputs["Name"])
    stream = description["DeliveryStreamDescription"]
    assert stream["DeliveryStreamARN"] == outputs["Arn"]
    assert stream["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"] == "events/"

    cfn.update(_firehose("v2/"))
    assert cfn.physical_ids()["Stream"] == outputs["Name"]
    stream = firehose.describe_delivery_stream(DeliveryStreamName=outputs["Name"])
    destination = stream["DeliveryStreamDescription"]["Destinations"][0]
    assert destination["ExtendedS3DestinationDescription"]["Prefix"] == "v2/"

    cfn.delete()
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == []


def test_msk_serverless_and_provisioned(cfn):
    resources = {
        "Serverless": {
            "Type": "AWS::MSK::ServerlessCluster",
            "Properties": {
                "ClusterName": "events",
                "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
                "VpcConfigs": [{"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroups": ["sg-1"]}],
            },
        },
        "Provisioned": {
            "Type": "AWS::MSK::Cluster",
            "Properties": {
                "ClusterName": "events-prov",
                "KafkaVersion": "3.6.0",
                "NumberOfBrokerNodes": 2,
                "BrokerNodeGroupInfo": {
                    "InstanceType": "kafka.m5.large",
                    "ClientSubnets": ["subnet-1", "subnet-2"],
                    "StorageInfo": {"EBSStorageInfo": {"VolumeSize": 100}},
                },
                "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "TLS"}},
            },
        },
    }
    outputs = cfn.create(
        resources,
        {"Serverless": {"Ref": "Serverless"}, "Arn": {"Fn::GetAtt": ["Provisioned", "Arn"]}},
    )
    kafka = cfn.aws("kafka")
    serverless = kafka.describe_cluster_v2(ClusterArn=outputs["Serverless"])["ClusterInfo"]
    assert serverless["ClusterType"] == "SERVERLESS"
    assert serverless["State"] == "ACTIVE"
    assert serverless["Serverless"]["VpcConfigs"][0]["SubnetIds"] == ["subnet-1", "subnet-2"]
    provisioned = kafka.describe_cluster(ClusterArn=outputs["Arn"])["ClusterInfo"]
    assert provisioned["NumberOfBrokerNodes"] == 2
    storage = provisioned["BrokerNodeGroupInfo"]["StorageInfo"]["EbsStorageInfo"]
    assert storage["VolumeSize"] == 100

    cfn.delete()
    assert kafka.list_clusters_v2()["ClusterInfoList"] == []


def _sagemaker(description):
    return {
        "Group": {
            "Type": "AWS::SageMaker::ModelPackageGroup",
            "Properties": {
                "ModelPackageGroupName": "churn",
                "ModelPackageGroupDescription": description,
            },
        },
        "Pipeline": {
            "Type": "AWS::SageMaker::Pipeline",
            "Properties": {
                "PipelineName": "train",
                "RoleArn": ROLE,
                "PipelineDefinition": {
                    "PipelineDefinitionBody": json.dumps(
                        {"Version": "2020-12-01", "Steps": [], "Metadata": {"d": description}}
                    )
                },
            },
        },
    }


def test_sagemaker_pipeline_and_model_package_group(cfn):
    outputs = cfn.create(
        _sagemaker("v1"),
        {
            "Group": {"Ref": "Group"},
            "GroupArn": {"Fn::GetAtt": ["Group", "ModelPackageGroupArn"]},
            "Pipeline": {"Ref": "Pipeline"},
        },
    )
    assert outputs["Group"] == outputs["GroupArn"]
    assert outputs["Pipeline"] == "train"
    sagemaker = cfn.aws("sagemaker")
    group = sagemaker.describe_model_package_group(ModelPackageGroupName="churn")
    assert group["ModelPackageGroupArn"] == outputs["Group"]

    cfn.update(_sagemaker("v2"))
    definition = json.loads(sagemaker.describe_pipeline(PipelineName="train")["PipelineDefinition"])
    assert definition["Metadata"] == {"d": "v2"}
    group = sagemaker.describe_model_package_group(ModelPackageGroupName="churn")
    assert group["ModelPackageGroupDescription"] == "v2"

    cfn.delete()
    assert sagemaker.list_pipelines()["PipelineSummaries"] == []
    assert sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


def _scaling(max_capacity, threshold):
    return {
        "Target": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "ServiceNamespace": "sagemaker",
                "ResourceId": "endpoint/churn/variant/AllTraffic",
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "MinCapacity": 1,
                "MaxCapacity": max_capacity,
            },
        },
        "Policy": {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Properties": {
                "PolicyName": "invocations",
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": {"Ref": "Target"},
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 70.0,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                    },
                },
            },
        },
        "Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "ComparisonOperator": "GreaterThanThreshold",
                "EvaluationPeriods": 1,
                "MetricName": "ModelLatency",
                "Namespace": "AWS/SageMaker",
                "Period": 300,
                "Statistic": "Average",
                "Threshold": threshold,
                "Dimensions": [{"Name": "EndpointName", "Value": "churn"}],
                "AlarmActions": [{"Ref": "Policy"}],
            },
        },
    }


def test_application_autoscaling_and_alarm(cfn):
    outputs = cfn.create(
        _scaling(4, 100),
        {
            "Target": {"Ref": "Target"},
            "Policy": {"Ref": "Policy"},
            "Alarm": {"Ref": "Alarm"},
            "AlarmArn": {"Fn::GetAtt": ["Alarm", "Arn"]},
        },
    )
    assert outputs["Target"] == (
        "endpoint/churn/variant/AllTraffic|sagemaker:variant:DesiredInstanceCount|sagemaker"
    )
    autoscaling = cfn.aws("application-autoscaling")
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    assert targets["ScalableTargets"][0]["MaxCapacity"] == 4
    policies = autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")
    assert [p["PolicyARN"] for p in policies["ScalingPolicies"]] == [outputs["Policy"]]
    cloudwatch = cfn.aws("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=[outputs["Alarm"]])["MetricAlarms"][0]
    assert alarm["AlarmArn"] == outputs["AlarmArn"]
    assert alarm["AlarmActions"] == [outputs["Policy"]]

    cfn.update(_scaling(8, 250))
    assert cfn.physical_ids()["Alarm"] == outputs["Alarm"]
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    assert targets["ScalableTargets"][0]["MaxCapacity"] == 8
    alarm = cloudwatch.describe_alarms(AlarmNames=[outputs["Alarm"]])["MetricAlarms"][0]
    assert alarm["Threshold"] == 250

    cfn.delete()
    assert (
        autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    )
    assert (
        autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []
    )
    assert cloudwatch.describe_alarms(AlarmNames=[outputs["Alarm"]])["MetricAlarms"] == []


def test_handler_failure_names_the_resource(cfn):
    resources = {"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Threshold": 1}}}
    with pytest.raises(ClientError, match=r"create of AWS::CloudWatch::Alarm Alarm failed"):
        cfn.create(resources)


def _endpoint_config(sagemaker, name: str, instance_type: str) -> None:
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": instance_type,
            }
        ],
    )


def test_update_endpoint_switches_the_configuration(cfn):
    sagemaker = cfn.aws("sagemaker")
    _endpoint_config(sagemaker, "blue", "ml.g4dn.xlarge")
    _endpoint_config(sagemaker, "green", "ml.g4dn.2xlarge")
    sagemaker.create_endpoint(EndpointName="inference", EndpointConfigName="blue")

    arn = sagemaker.update_endpoint(EndpointName="inference", EndpointConfigName="green")[
        "EndpointArn"
    ]

    endpoint = sagemaker.describe_endpoint(EndpointName="inference")
    assert arn == endpoint["EndpointArn"]
    assert endpoint["EndpointConfigName"] == "green"
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["ProductionVariants"][0]["VariantName"] == "AllTraffic"


@pytest.mark.parametrize(
    ("endpoint", "config", "message"),
    [
        ("missing", "blue", "Could not find endpoint"),
        ("inference", "missing", "Could not find endpoint configuration"),
    ],
)
def test_update_endpoint_names_what_is_missing(cfn, endpoint: str, config: str, message: str):
    sagemaker = cfn.aws("sagemaker")
    _endpoint_config(sagemaker, "blue", "ml.g4dn.xlarge")
    sagemaker.create_endpoint(EndpointName="inference", EndpointConfigName="blue")
    with pytest.raises(ClientError, match=message):
        sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    assert sagemaker.describe_endpoint(EndpointName="inference")["EndpointConfigName"] == "blue"
