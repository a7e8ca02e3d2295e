"""CreationPolicy.ResourceSignal on an Auto Scaling group, and the SignalResource API.

moto's clock is pinned with time_machine (tick=False): a signal timeout passes only when the
test moves the clock, never by the machine's date.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from botocore.exceptions import ClientError

T0 = dt.datetime(2031, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _template(*, count=1, timeout="PT20M", desired=1, percent=None, policy=True):
    group = {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {
            "AutoScalingGroupName": "master",
            "MinSize": str(desired),
            "MaxSize": str(max(desired, 1)),
            "DesiredCapacity": str(desired),
            "VPCZoneIdentifier": [{"Ref": "Subnet"}],
            "LaunchTemplate": {
                "LaunchTemplateId": {"Ref": "Template"},
                "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]},
            },
        },
    }
    if policy:
        group["CreationPolicy"] = {"ResourceSignal": {"Count": count, "Timeout": timeout}}
        if percent is not None:
            group["CreationPolicy"]["AutoScalingCreationPolicy"] = {
                "MinSuccessfulInstancesPercent": percent
            }
    return {
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
                "LaunchTemplateData": {"ImageId": "ami-12c6146b", "InstanceType": "m7g.medium"}
            },
        },
        "Group": group,
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
    }


def _create(cfn, resources, name="t"):
    cfn.client.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": resources}))


def _stack(cfn, name="t"):
    return cfn.client.describe_stacks(StackName=name)["Stacks"][0]


def _events(cfn, name="t"):
    """Oldest first: (logical ID, status, reason)."""
    events = cfn.client.describe_stack_events(StackName=name)["StackEvents"][::-1]
    return [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in events
    ]


def _instances(cfn, group="master"):
    groups = cfn.aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    return [i["InstanceId"] for i in groups["AutoScalingGroups"][0]["Instances"]]


def _signal(cfn, unique_id, status="SUCCESS", name="t"):
    cfn.client.signal_resource(
        StackName=name, LogicalResourceId="Group", UniqueId=unique_id, Status=status
    )


def test_the_stack_waits_for_its_signal_then_completes(cfn, clock):
    _create(cfn, _template())
    assert _stack(cfn)["StackStatus"] == "CREATE_IN_PROGRESS"
    (instance,) = _instances(cfn)  # the group exists, its instance launched: it can boot
    clock.shift(dt.timedelta(minutes=19))
    assert _stack(cfn)["StackStatus"] == "CREATE_IN_PROGRESS"
    _signal(cfn, instance)
    assert _stack(cfn)["StackStatus"] == "CREATE_COMPLETE"
    events = _events(cfn)
    assert ("Group", "CREATE_IN_PROGRESS", f"Received SUCCESS signal with UniqueId {instance}") in (
        events
    )
    assert events[-2:] == [("Group", "CREATE_COMPLETE", None), ("t", "CREATE_COMPLETE", None)]
    # Signalling a completed resource is refused, as CloudFormation does.
    with pytest.raises(ClientError, match="not waiting for signals"):
        _signal(cfn, instance)


def test_a_failure_signal_rolls_the_stack_back_with_the_reason(cfn, clock):
    _create(cfn, _template())
    (instance,) = _instances(cfn)
    _signal(cfn, instance, "FAILURE")
    stack = _stack(cfn)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"] == "The following resource(s) failed to create: [Group]."
    events = _events(cfn)
    assert ("Group", "CREATE_FAILED", f"Received FAILURE signal with UniqueId {instance}") in events
    assert [status for logical, status, _ in events if logical == "t"][-2:] == [
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_COMPLETE",
    ]
    # Rolled back: the group and its instances are gone.
    groups = cfn.aws("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert groups == []


def test_no_signal_before_the_timeout_fails_the_stack(cfn, clock):
    _create(cfn, _template(timeout="PT1M30S"))
    clock.shift(dt.timedelta(seconds=89))
    assert _stack(cfn)["StackStatus"] == "CREATE_IN_PROGRESS"
    clock.shift(dt.timedelta(seconds=1))
    assert _stack(cfn)["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = (
        "Received 0 SUCCESS signal(s) out of 1. "
        "Unable to satisfy 100% MinSuccessfulInstancesPercent requirement"
    )
    assert ("Group", "CREATE_FAILED", reason) in _events(cfn)
    with pytest.raises(ClientError, match="not waiting for signals"):
        _signal(cfn, "i-late")


def test_count_signals_from_distinct_instances_are_needed(cfn, clock):
    _create(cfn, _template(count=2, desired=3))
    first, second, _ = _instances(cfn)
    _signal(cfn, first)
    _signal(cfn, first)  # one UniqueId counts once
    assert _stack(cfn)["StackStatus"] == "CREATE_IN_PROGRESS"
    _signal(cfn, second)
    assert _stack(cfn)["StackStatus"] == "CREATE_COMPLETE"


def test_min_successful_percent_tolerates_some_failures(cfn, clock):
    _create(cfn, _template(count=4, desired=4, percent=50))
    one, two, three, four = _instances(cfn)
    _signal(cfn, one, "FAILURE")
    _signal(cfn, two, "FAILURE")
    assert _stack(cfn)["StackStatus"] == "CREATE_IN_PROGRESS"  # 2 of 4 can still succeed
    _signal(cfn, three)
    assert _stack(cfn)["StackStatus"] == "CREATE_IN_PROGRESS"
    _signal(cfn, four)
    assert _stack(cfn)["StackStatus"] == "CREATE_COMPLETE"


def test_a_stack_without_creation_policy_or_with_count_zero_completes_at_once(cfn, clock):
    _create(cfn, _template(policy=False), name="plain")
    _create(cfn, _template(count=0), name="zero")
    assert _stack(cfn, "plain")["StackStatus"] == "CREATE_COMPLETE"
    assert _stack(cfn, "zero")["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError, match="not waiting for signals"):
        _signal(cfn, "i-1", name="plain")


def test_signals_to_unknown_stacks_resources_or_statuses_are_refused(cfn, clock):
    _create(cfn, _template())
    with pytest.raises(ClientError, match="Stack nope does not exist"):
        _signal(cfn, "i-1", name="nope")
    with pytest.raises(ClientError, match="Resource Nope does not exist"):
        cfn.client.signal_resource(
            StackName="t", LogicalResourceId="Nope", UniqueId="i-1", Status="SUCCESS"
        )
    with pytest.raises(ClientError, match="is not SUCCESS or FAILURE"):
        _signal(cfn, "i-1", "MAYBE")
    assert _stack(cfn)["StackStatus"] == "CREATE_IN_PROGRESS"


def test_a_bad_timeout_refuses_the_template(cfn, clock):
    with pytest.raises(ClientError, match="PT#H#M#S"):
        _create(cfn, _template(timeout="20 minutes"))
    with pytest.raises(ClientError, match="exceeds 12 hours"):
        _create(cfn, _template(timeout="PT13H"), name="long")
