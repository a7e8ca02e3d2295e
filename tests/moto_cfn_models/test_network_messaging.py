"""EC2 egress and default-SG restriction, SNS, SQS, EC2 Auto Scaling, CDK metadata, updates."""

from __future__ import annotations

import json

VPC = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}


def _egress(port):
    return {
        **VPC,
        "Group": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "g", "VpcId": {"Ref": "Vpc"}},
        },
        "Egress": {
            "Type": "AWS::EC2::SecurityGroupEgress",
            "Properties": {
                "GroupId": {"Fn::GetAtt": ["Group", "GroupId"]},
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "CidrIp": "10.0.0.0/16",
                "Description": "to the VPC",
            },
        },
    }


def _egress_ports(ec2, group_id):
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return sorted(p.get("FromPort", -1) for p in group["IpPermissionsEgress"])


def test_security_group_egress(cfn):
    outputs = cfn.create(
        _egress(443), {"Rule": {"Ref": "Egress"}, "Id": {"Fn::GetAtt": ["Egress", "Id"]}}
    )
    assert outputs["Rule"].startswith("sgr-")
    assert outputs["Rule"] == outputs["Id"]
    ec2 = cfn.aws("ec2")
    group_id = cfn.physical_ids()["Group"]
    assert 443 in _egress_ports(ec2, group_id)

    cfn.update(_egress(5432))
    ports = _egress_ports(ec2, group_id)
    assert 5432 in ports
    assert 443 not in ports

    cfn.update({key: value for key, value in _egress(5432).items() if key != "Egress"})
    assert 5432 not in _egress_ports(ec2, group_id)


def test_restrict_default_security_group(cfn):
    resources = {
        **VPC,
        "Restrict": {
            "Type": "Custom::VpcRestrictDefaultSG",
            "Properties": {
                "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
                "DefaultSecurityGroupId": {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]},
                "Account": {"Ref": "AWS::AccountId"},
            },
        },
    }
    outputs = cfn.create(resources, {"Restrict": {"Ref": "Restrict"}})
    assert outputs["Restrict"]
    ec2 = cfn.aws("ec2")
    vpc_id = cfn.physical_ids()["Vpc"]
    groups = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    assert groups[0]["IpPermissions"] == []
    assert groups[0]["IpPermissionsEgress"] == []

    cfn.update(VPC)  # removing the restriction gives the default rules back
    group = ec2.describe_security_groups(GroupIds=[groups[0]["GroupId"]])["SecurityGroups"][0]
    assert group["IpPermissions"]
    assert group["IpPermissionsEgress"]


def _messaging(raw):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
            }
        ],
    }
    return {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Queue": {"Type": "AWS::SQS::Queue"},
        "QueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": policy},
        },
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "Topic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "Topic"},
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        },
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "Topic"},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
                "RawMessageDelivery": raw,
            },
        },
    }


def test_sns_subscription_topic_policy_and_queue_policy(cfn):
    outputs = cfn.create(
        _messaging(True),
        {"Subscription": {"Ref": "Subscription"}, "Arn": {"Fn::GetAtt": ["Subscription", "Arn"]}},
    )
    sns, sqs = cfn.aws("sns"), cfn.aws("sqs")
    ids = cfn.physical_ids()
    assert outputs["Subscription"] == outputs["Arn"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=outputs["Arn"])["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"
    topic_policy = json.loads(
        sns.get_topic_attributes(TopicArn=ids["Topic"])["Attributes"]["Policy"]
    )
    assert topic_policy["Statement"][0]["Sid"] == "TlsOnly"
    queue_policy = sqs.get_queue_attributes(QueueUrl=ids["Queue"], AttributeNames=["Policy"])
    assert json.loads(queue_policy["Attributes"]["Policy"])["Statement"][0]["Action"] == (
        "sqs:SendMessage"
    )

    cfn.update(_messaging(False))
    assert cfn.physical_ids()["Subscription"] == outputs["Arn"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=outputs["Arn"])["Attributes"]
    assert attributes["RawMessageDelivery"] == "false"

    cfn.update({"Topic": {"Type": "AWS::SNS::Topic"}, "Queue": {"Type": "AWS::SQS::Queue"}})
    assert sns.list_subscriptions()["Subscriptions"] == []
    topic_policy = json.loads(
        sns.get_topic_attributes(TopicArn=ids["Topic"])["Attributes"]["Policy"]
    )
    assert "TlsOnly" not in [s.get("Sid") for s in topic_policy["Statement"]]
    queue_attributes = sqs.get_queue_attributes(QueueUrl=ids["Queue"], AttributeNames=["All"])
    assert "Policy" not in queue_attributes["Attributes"]


def _auto_scaling(adjustment):
    return {
        **VPC,
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"},
        },
        "Template": {
            "Type": "AWS::EC2::LaunchTemplate",
            "Properties": {
                "LaunchTemplateData": {"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
            },
        },
        "Group": {
            "Type": "AWS::AutoScaling::AutoScalingGroup",
            "Properties": {
                "MinSize": "0",
                "MaxSize": "2",
                "VPCZoneIdentifier": [{"Ref": "Subnet"}],
                "LaunchTemplate": {
                    "LaunchTemplateId": {"Ref": "Template"},
                    "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]},
                },
            },
        },
        "ScaleOut": {
            "Type": "AWS::AutoScaling::ScalingPolicy",
            "Properties": {
                "AutoScalingGroupName": {"Ref": "Group"},
                "AdjustmentType": "ChangeInCapacity",
                "ScalingAdjustment": adjustment,
            },
        },
    }


def test_auto_scaling_policy(cfn):
    outputs = cfn.create(
        _auto_scaling(1),
        {"Policy": {"Ref": "ScaleOut"}, "Name": {"Fn::GetAtt": ["ScaleOut", "PolicyName"]}},
    )
    autoscaling = cfn.aws("autoscaling")
    policies = autoscaling.describe_policies()["ScalingPolicies"]
    assert [(p["PolicyARN"], p["ScalingAdjustment"]) for p in policies] == [(outputs["Policy"], 1)]

    cfn.update(_auto_scaling(2))
    policies = autoscaling.describe_policies()["ScalingPolicies"]
    assert [(p["PolicyName"], p["ScalingAdjustment"]) for p in policies] == [(outputs["Name"], 2)]

    cfn.delete()
    assert autoscaling.describe_policies()["ScalingPolicies"] == []


def test_cdk_metadata_and_metadata_only_changes(cfn):
    resources = {
        "CDKMetadata": {
            "Type": "AWS::CDK::Metadata",
            "Properties": {"Analytics": "v2:deflate64:x"},
        },
        "Profile": {
            "Type": "AWS::IAM::InstanceProfile",
            "Properties": {"Roles": []},
            "Metadata": {"aws:cdk:path": "a"},
        },
    }
    cfn.create(resources)
    before = cfn.physical_ids()
    assert before["CDKMetadata"]
    resources["Profile"]["Metadata"] = {"aws:cdk:path": "b"}
    cfn.update(resources)
    assert cfn.physical_ids() == before


def test_moto_model_without_update_hook_is_replaced_not_dropped(cfn):
    # moto's own InstanceProfile model has no update hook; unpatched moto would drop it.
    resources = {"Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": []}}}
    cfn.create(resources)
    first = cfn.physical_ids()["Profile"]
    resources["Profile"]["Properties"]["Path"] = "/platform/"
    cfn.update(resources)
    second = cfn.physical_ids()["Profile"]
    assert second
    assert second != first
    iam = cfn.aws("iam")
    profiles = iam.list_instance_profiles()["InstanceProfiles"]
    assert [(p["InstanceProfileName"], p["Path"]) for p in profiles] == [(second, "/platform/")]


def test_vpc_stack_deletes_completely(cfn):
    ref = {"Ref": "Vpc"}
    resources = {
        **VPC,
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": ref, "CidrBlock": "10.0.0.0/24"},
        },
        "Igw": {"Type": "AWS::EC2::InternetGateway"},
        "Attach": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": ref, "InternetGatewayId": {"Ref": "Igw"}},
        },
        "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref}},
        "Assoc": {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"RouteTableId": {"Ref": "Table"}, "SubnetId": {"Ref": "Subnet"}},
        },
        "Default": {
            "Type": "AWS::EC2::Route",
            "Properties": {
                "RouteTableId": {"Ref": "Table"},
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": {"Ref": "Igw"},
            },
            "DependsOn": "Attach",
        },
        "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
        "Nat": {
            "Type": "AWS::EC2::NatGateway",
            "Properties": {
                "SubnetId": {"Ref": "Subnet"},
                "AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]},
            },
        },
        "S3Endpoint": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcId": ref,
                "ServiceName": "com.amazonaws.us-east-1.s3",
                "VpcEndpointType": "Gateway",
                "RouteTableIds": [{"Ref": "Table"}],
            },
        },
        "Group": {"Type": "AWS::Logs::LogGroup"},
        "FlowLog": {
            "Type": "AWS::EC2::FlowLog",
            "Properties": {
                "ResourceId": ref,
                "ResourceType": "VPC",
                "TrafficType": "REJECT",
                "LogGroupName": {"Ref": "Group"},
                "DeliverLogsPermissionArn": "arn:aws:iam::123456789012:role/flow",
            },
        },
    }
    cfn.create(resources)
    vpc_id = cfn.physical_ids()["Vpc"]
    cfn.delete()
    ec2 = cfn.aws("ec2")
    assert vpc_id not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert ec2.describe_nat_gateways()["NatGateways"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
    assert ec2.describe_flow_logs()["FlowLogs"] == []
    assert ec2.describe_addresses()["Addresses"] == []
    endpoints = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    assert {e["State"] for e in endpoints} <= {"deleted"}
