"""The cdk-nag findings ClusterStack acknowledges, per profile (tests/test_nag.py lists them
with every other stack's)."""

from __future__ import annotations

import json

STACK = "ClusterStack"
_ROLE_POLICIES = {
    "MasterRoleD0E33FFD": "MasterRoleDefaultPolicy34587365",
    "WorkersRole8D2DAD04": "WorkersRoleDefaultPolicyC40E618A",
}
# The action families of CDK's bucket and key grants (grant_read, grant_read_write).
_GRANT_ACTIONS = (
    "s3:GetBucket*",
    "s3:GetObject*",
    "s3:List*",
    "s3:Abort*",
    "s3:DeleteObject*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
_SSM_CORE = "arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore"


def _lake_objects(profile: str, output: str) -> str:
    reference = {
        "Fn::GetStackOutput": {
            "StackName": f"dataplatform-{profile}-data-lake",
            "Region": {"Ref": "AWS::Region"},
            "OutputName": output,
        }
    }
    return json.dumps(reference, separators=(",", ":")) + "/*"


def cluster_acknowledged(profile: str) -> set[tuple[str, str, str]]:
    """ClusterStack: the SSM core policy on both roles (Session Manager instead of SSH); CDK's
    lake grants (action families, objects of the curated and analytics zones); PutMetricData
    (no resource ARNs, namespace condition); the worker group's ARN (generated ID); no
    automatic rotation of the Spark secret; no per-instance ASG notifications; EC26 that nag
    cannot evaluate through a mixed-instances policy."""
    found: set[tuple[str, str, str]] = set()
    lake_objects = [
        _lake_objects(profile, "PublishOutputFnGetAttStorageCuratedBucketFD39404EArn42F39079"),
        _lake_objects(profile, "PublishOutputFnGetAttStorageAnalyticsBucketC1082CB0Arn10CA323A"),
    ]
    for role, policy in _ROLE_POLICIES.items():
        found.add(("ClusterStack", role, f"AwsSolutions-IAM4[Policy::{_SSM_CORE}]"))
        found |= {(STACK, policy, f"AwsSolutions-IAM5[Action::{a}]") for a in _GRANT_ACTIONS}
        found |= {(STACK, policy, f"AwsSolutions-IAM5[Resource::{r}]") for r in lake_objects}
        found.add(("ClusterStack", policy, "AwsSolutions-IAM5[Resource::*]"))
    workers_group = (
        "arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:"
        f"autoScalingGroupName/dataplatform-{profile}-spark-workers"
    )
    return found | {
        (
            "ClusterStack",
            _ROLE_POLICIES["WorkersRole8D2DAD04"],
            f"AwsSolutions-IAM5[Resource::{workers_group}]",
        ),
        ("ClusterStack", "SecretA29EB826", "AwsSolutions-SMG4"),
        ("ClusterStack", "MasterGroupASG3908527C", "AwsSolutions-AS3"),
        ("ClusterStack", "WorkersGroupASG4E50A46C", "AwsSolutions-AS3"),
        ("ClusterStack", "WorkersGroupASG4E50A46C", "AwsSolutions-EC26"),
    }
