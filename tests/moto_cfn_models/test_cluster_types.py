"""Lifecycle hooks (CloudFormation and the API), CapacityRebalance, generated secrets and
private hosted zones: what the Spark cluster stack needs from the emulator.

moto's clock is pinned with time_machine (tick=False), so hook timeouts are driven by moving
it, never by the machine's date.
"""

from __future__ import annotations

import datetime as dt
import json
import string

import pytest
import time_machine
from botocore.exceptions import ClientError

import moto_cfn_models

T0 = dt.datetime(2031, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _group_template(*, desired=2, hook=True, capacity_rebalance=True, timeout=120, mixed=False):
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": "10.0.0.0/24",
                "AvailabilityZone": "us-east-1a",
            },
        },
        "Template": {
            "Type": "AWS::EC2::LaunchTemplate",
            "Properties": {
                "LaunchTemplateData": {
                    "ImageId": "ami-12c6146b",
                    "InstanceType": "m7g.large",
                    "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
                }
            },
        },
        "Workers": {
            "Type": "AWS::AutoScaling::AutoScalingGroup",
            "Properties": {
                "AutoScalingGroupName": "workers",
                "MinSize": "0",
                "MaxSize": "4",
                "DesiredCapacity": str(desired),
                "CapacityRebalance": capacity_rebalance,
                "VPCZoneIdentifier": [{"Ref": "Subnet"}],
                "LaunchTemplate": {
                    "LaunchTemplateId": {"Ref": "Template"},
                    "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]},
                },
            },
        },
    }
    if mixed:  # the worker group's shape: Spot over a list of instance types
        group = resources["Workers"]["Properties"]
        group["MixedInstancesPolicy"] = {
            "LaunchTemplate": {
                "LaunchTemplateSpecification": group.pop("LaunchTemplate"),
                "Overrides": [{"InstanceType": "m7g.large"}, {"InstanceType": "m6g.large"}],
            },
            "InstancesDistribution": {
                "OnDemandBaseCapacity": 0,
                "OnDemandPercentageAboveBaseCapacity": 0,
                "SpotAllocationStrategy": "price-capacity-optimized",
            },
        }
    if hook:
        resources["Drain"] = {
            "Type": "AWS::AutoScaling::LifecycleHook",
            "Properties": {
                "AutoScalingGroupName": {"Ref": "Workers"},
                "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
                "DefaultResult": "CONTINUE",
                "HeartbeatTimeout": timeout,
                "NotificationMetadata": "spark-worker",
            },
        }
    return resources


def _states(autoscaling):
    instances = autoscaling.describe_auto_scaling_instances()["AutoScalingInstances"]
    return {i["InstanceId"]: i["LifecycleState"] for i in instances}


def _ec2_state(cfn, instance_id):
    reservations = cfn.aws("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def test_lifecycle_hook_from_template(cfn, clock):
    outputs = cfn.create(_group_template(), {"Hook": {"Ref": "Drain"}})
    hooks = cfn.aws("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName="workers")
    (hook,) = hooks["LifecycleHooks"]
    assert hook["LifecycleHookName"] == outputs["Hook"]
    assert hook["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert hook["HeartbeatTimeout"] == 120
    assert hook["DefaultResult"] == "CONTINUE"
    assert hook["GlobalTimeout"] == 12000
    assert hook["NotificationMetadata"] == "spark-worker"
    assert "RoleARN" not in hook  # moto's made-up role is not reported


def test_capacity_rebalance_kept(cfn, clock):
    cfn.create(_group_template())
    autoscaling = cfn.aws("autoscaling")
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["workers"])
    assert group["AutoScalingGroups"][0]["CapacityRebalance"] is True


def test_scale_in_waits_for_the_hook_then_continue_terminates(cfn, clock):
    cfn.create(_group_template())
    autoscaling = cfn.aws("autoscaling")
    assert sorted(_states(autoscaling).values()) == ["InService", "InService"]

    autoscaling.set_desired_capacity(AutoScalingGroupName="workers", DesiredCapacity=1)
    states = _states(autoscaling)
    (leaving,) = [i for i, s in states.items() if s == "Terminating:Wait"]
    assert _ec2_state(cfn, leaving) == "running"  # held until the hook completes

    hook_name = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="workers")[
        "LifecycleHooks"
    ][0]["LifecycleHookName"]
    clock.shift(100)
    autoscaling.record_lifecycle_action_heartbeat(
        AutoScalingGroupName="workers", LifecycleHookName=hook_name, InstanceId=leaving
    )
    clock.shift(100)  # 200 s after the scale-in, 100 s after the heartbeat: still waiting
    assert _states(autoscaling)[leaving] == "Terminating:Wait"

    autoscaling.complete_lifecycle_action(
        AutoScalingGroupName="workers",
        LifecycleHookName=hook_name,
        InstanceId=leaving,
        LifecycleActionResult="CONTINUE",
    )
    assert leaving not in _states(autoscaling)
    assert _ec2_state(cfn, leaving) in ("shutting-down", "terminated")
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["workers"])
    assert group["AutoScalingGroups"][0]["DesiredCapacity"] == 1
    assert len(group["AutoScalingGroups"][0]["Instances"]) == 1

    with pytest.raises(ClientError, match="No active Lifecycle Action"):
        autoscaling.complete_lifecycle_action(
            AutoScalingGroupName="workers",
            LifecycleHookName=hook_name,
            InstanceId=leaving,
            LifecycleActionResult="CONTINUE",
        )


def test_mixed_instances_policy_survives_a_resize_and_a_scale_in(cfn, clock):
    # The local cluster scenario's sequence: raise the group with UpdateAutoScalingGroup
    # (sizes only), then scale in by one. moto dropped the policy at the update.
    cfn.create(_group_template(mixed=True, desired=1))
    autoscaling = cfn.aws("autoscaling")

    def policy():
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["workers"])
        return groups["AutoScalingGroups"][0].get("MixedInstancesPolicy")

    created = policy()
    assert [o["InstanceType"] for o in created["LaunchTemplate"]["Overrides"]] == [
        "m7g.large",
        "m6g.large",
    ]
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="workers", MaxSize=4, DesiredCapacity=2
    )
    assert policy() == created
    assert sorted(_states(autoscaling).values()) == ["InService", "InService"]

    autoscaling.set_desired_capacity(AutoScalingGroupName="workers", DesiredCapacity=1)
    assert sorted(_states(autoscaling).values()) == ["InService", "Terminating:Wait"]
    assert policy() == created


def test_hook_timeout_applies_the_default_result(cfn, clock):
    cfn.create(_group_template(timeout=60))
    autoscaling = cfn.aws("autoscaling")
    autoscaling.set_desired_capacity(AutoScalingGroupName="workers", DesiredCapacity=1)
    (leaving,) = [i for i, s in _states(autoscaling).items() if s == "Terminating:Wait"]
    clock.shift(59)
    assert _states(autoscaling)[leaving] == "Terminating:Wait"
    clock.shift(2)
    assert leaving not in _states(autoscaling)
    assert _ec2_state(cfn, leaving) in ("shutting-down", "terminated")


def test_complete_rejects_unknown_hook_and_bad_result(cfn, clock):
    cfn.create(_group_template())
    autoscaling = cfn.aws("autoscaling")
    instance = next(iter(_states(autoscaling)))
    with pytest.raises(ClientError, match="No Lifecycle Hook found"):
        autoscaling.complete_lifecycle_action(
            AutoScalingGroupName="workers",
            LifecycleHookName="nope",
            InstanceId=instance,
            LifecycleActionResult="CONTINUE",
        )
    hook_name = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="workers")[
        "LifecycleHooks"
    ][0]["LifecycleHookName"]
    with pytest.raises(ClientError, match="No active Lifecycle Action"):  # still InService
        autoscaling.record_lifecycle_action_heartbeat(
            AutoScalingGroupName="workers", LifecycleHookName=hook_name, InstanceId=instance
        )


def test_without_a_hook_scale_in_terminates_at_once(cfn, clock):
    cfn.create(_group_template(hook=False, capacity_rebalance=False))
    autoscaling = cfn.aws("autoscaling")
    autoscaling.set_desired_capacity(AutoScalingGroupName="workers", DesiredCapacity=1)
    assert list(_states(autoscaling).values()) == ["InService"]
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["workers"])
    assert group["AutoScalingGroups"][0]["CapacityRebalance"] is False


def test_stack_with_a_waiting_instance_deletes(cfn, clock):
    cfn.create(_group_template())
    autoscaling = cfn.aws("autoscaling")
    autoscaling.set_desired_capacity(AutoScalingGroupName="workers", DesiredCapacity=0)
    assert sorted(_states(autoscaling).values()) == ["Terminating:Wait"] * 2
    cfn.delete()
    assert autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert _states(autoscaling) == {}


def test_generated_secret(cfn, clock):
    outputs = cfn.create(
        {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
            "Plain": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Description": "spark.authenticate secret",
                    "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
                    "GenerateSecretString": {"PasswordLength": 48, "ExcludePunctuation": True},
                },
            },
            "Json": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Name": "cluster/json",
                    "GenerateSecretString": {
                        "SecretStringTemplate": '{"user": "spark"}',
                        "GenerateStringKey": "password",
                    },
                    "Tags": [{"Key": "project", "Value": "p"}],
                },
            },
        },
        {"Plain": {"Ref": "Plain"}, "Json": {"Ref": "Json"}, "Id": {"Fn::GetAtt": ["Json", "Id"]}},
    )
    secrets = cfn.aws("secretsmanager")
    assert outputs["Plain"].startswith("arn:aws:secretsmanager:us-east-1:123456789012:secret:")
    assert outputs["Id"] == outputs["Json"]
    plain = secrets.get_secret_value(SecretId=outputs["Plain"])["SecretString"]
    assert len(plain) == 48
    assert not set(plain) & set(string.punctuation)
    described = secrets.describe_secret(SecretId=outputs["Plain"])
    assert described["KmsKeyId"].startswith("arn:aws:kms:")
    assert described["Description"] == "spark.authenticate secret"
    document = json.loads(secrets.get_secret_value(SecretId="cluster/json")["SecretString"])
    assert document["user"] == "spark"
    assert len(document["password"]) == 32

    cfn.delete()
    assert secrets.list_secrets()["SecretList"] == []


def test_secret_rejects_template_without_key(cfn, clock):
    with pytest.raises(ClientError, match="GenerateStringKey"):
        cfn.create(
            {
                "Bad": {
                    "Type": "AWS::SecretsManager::Secret",
                    "Properties": {"GenerateSecretString": {"SecretStringTemplate": "{}"}},
                }
            }
        )


def test_private_hosted_zone(cfn, clock):
    outputs = cfn.create(
        {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Private": {
                "Type": "AWS::Route53::HostedZone",
                "Properties": {
                    "Name": "spark.internal",
                    "VPCs": [{"VPCId": {"Ref": "Vpc"}, "VPCRegion": "us-east-1"}],
                    "HostedZoneConfig": {"Comment": "master record"},
                    "HostedZoneTags": [{"Key": "project", "Value": "p"}],
                },
            },
            "Public": {"Type": "AWS::Route53::HostedZone", "Properties": {"Name": "example.com"}},
        },
        {
            "Private": {"Ref": "Private"},
            "Public": {"Ref": "Public"},
            "Vpc": {"Ref": "Vpc"},
            "PublicNs": {"Fn::Join": [",", {"Fn::GetAtt": ["Public", "NameServers"]}]},
        },
    )
    route53 = cfn.aws("route53")
    private = route53.get_hosted_zone(Id=outputs["Private"])
    assert private["HostedZone"]["Config"] == {"Comment": "master record", "PrivateZone": True}
    assert private["VPCs"] == [{"VPCRegion": "us-east-1", "VPCId": outputs["Vpc"]}]
    tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=outputs["Private"])
    assert tags["ResourceTagSet"]["Tags"] == [{"Key": "project", "Value": "p"}]
    public = route53.get_hosted_zone(Id=outputs["Public"])
    assert public["HostedZone"]["Config"]["PrivateZone"] is False
    assert outputs["PublicNs"]

    cfn.delete()
    assert route53.list_hosted_zones()["HostedZones"] == []


def test_guard_accepts_the_cluster_types():
    template = {
        "Resources": {
            "Hook": {"Type": "AWS::AutoScaling::LifecycleHook"},
            "Secret": {"Type": "AWS::SecretsManager::Secret"},
            "Zone": {"Type": "AWS::Route53::HostedZone"},
            "Rule": {"Type": "AWS::EC2::SecurityGroupIngress"},
            "Schedule": {"Type": "AWS::AutoScaling::ScheduledAction"},
        }
    }
    moto_cfn_models.register()
    assert (
        moto_cfn_models.unsupported_resources(template, allow_lambda_custom_resources=False) == []
    )


def test_security_group_ingress_between_groups(cfn, clock):
    outputs = cfn.create(
        {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Master": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "master", "VpcId": {"Ref": "Vpc"}},
            },
            "Workers": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "workers", "VpcId": {"Ref": "Vpc"}},
            },
            "MasterFromWorkers": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Fn::GetAtt": ["Master", "GroupId"]},
                    "SourceSecurityGroupId": {"Fn::GetAtt": ["Workers", "GroupId"]},
                    "IpProtocol": "tcp",
                    "FromPort": 7077,
                    "ToPort": 7077,
                    "Description": "Spark master RPC",
                },
            },
        },
        {"Rule": {"Ref": "MasterFromWorkers"}, "Master": {"Fn::GetAtt": ["Master", "GroupId"]}},
    )
    assert outputs["Rule"].startswith("sgr-")
    assert cfn.physical_ids()["MasterFromWorkers"] == outputs["Rule"]
    ec2 = cfn.aws("ec2")
    (group,) = ec2.describe_security_groups(GroupIds=[outputs["Master"]])["SecurityGroups"]
    (permission,) = group["IpPermissions"]
    assert (permission["FromPort"], permission["ToPort"]) == (7077, 7077)
    assert permission["UserIdGroupPairs"][0]["Description"] == "Spark master RPC"

    cfn.delete()
    assert (
        ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [outputs["Master"]]}])[
            "SecurityGroups"
        ]
        == []
    )


def test_scheduled_action_named_and_deleted(cfn, clock):
    resources = _group_template(hook=False)
    resources["Evening"] = {
        "Type": "AWS::AutoScaling::ScheduledAction",
        "Properties": {
            "AutoScalingGroupName": {"Ref": "Workers"},
            "DesiredCapacity": 0,
            "MinSize": 0,
            "Recurrence": "0 19 * * *",
            "TimeZone": "UTC",
        },
    }
    outputs = cfn.create(resources, {"Evening": {"Ref": "Evening"}})
    assert cfn.physical_ids()["Evening"] == outputs["Evening"]
    autoscaling = cfn.aws("autoscaling")
    (action,) = autoscaling.describe_scheduled_actions(AutoScalingGroupName="workers")[
        "ScheduledUpdateGroupActions"
    ]
    assert action["ScheduledActionName"] == outputs["Evening"]
    assert (action["Recurrence"], action["TimeZone"], action["DesiredCapacity"]) == (
        "0 19 * * *",
        "UTC",
        0,
    )
    cfn.delete()
    assert autoscaling.describe_scheduled_actions()["ScheduledUpdateGroupActions"] == []


def test_hook_and_scheduled_action_update_in_place(cfn, clock):
    def resources(timeout, recurrence):
        template = _group_template(timeout=timeout)
        template["Evening"] = {
            "Type": "AWS::AutoScaling::ScheduledAction",
            "Properties": {
                "AutoScalingGroupName": {"Ref": "Workers"},
                "DesiredCapacity": 0,
                "Recurrence": recurrence,
            },
        }
        return template

    outputs = {"Hook": {"Ref": "Drain"}, "Evening": {"Ref": "Evening"}}
    before = cfn.create(resources(120, "0 19 * * *"), outputs)
    after = cfn.update(resources(300, "0 20 * * *"), outputs)
    assert after == before  # the names stay; the settings change
    autoscaling = cfn.aws("autoscaling")
    (hook,) = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="workers")["LifecycleHooks"]
    assert (hook["LifecycleHookName"], hook["HeartbeatTimeout"]) == (before["Hook"], 300)
    (action,) = autoscaling.describe_scheduled_actions(AutoScalingGroupName="workers")[
        "ScheduledUpdateGroupActions"
    ]
    assert (action["ScheduledActionName"], action["Recurrence"]) == (
        before["Evening"],
        "0 20 * * *",
    )
