"""VolumeKey: the customer-managed key that encrypts the cluster's EBS volumes."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs import Construct
from constructs.core.key import RotatingKey
from constructs.core.nag import skip_checkov

AUTOSCALING_SERVICE_LINKED_ROLE = (
    "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
)


class VolumeKey(Construct):
    """A KMS key with yearly rotation for the root and data volumes of both node groups.

    EC2 Auto Scaling launches the instances as its service-linked role, which must be able to
    use the key, so the key policy lets that role (and only it, in this account) encrypt and
    create grants for EBS. The role is named by condition, not as a principal, because it may
    not exist yet in a fresh account when the key is created (Auto Scaling creates it with the
    first group).

    Props:
        description: what the key is for, shown in the KMS console.
        removal_policy: RETAIN (default) keeps the key when the stack is deleted.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.key = RotatingKey(self, "Key", description=description, removal_policy=removal_policy)
        service_linked_role = stack.format_arn(
            service="iam",
            region="",
            resource=AUTOSCALING_SERVICE_LINKED_ROLE,
        )
        conditions = {
            "StringEquals": {"aws:PrincipalArn": service_linked_role},
            "StringEqualsIfExists": {"kms:CallerAccount": stack.account},
        }
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AutoScalingEncryptsVolumes",
                principals=[iam.AnyPrincipal()],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                resources=["*"],
                conditions=conditions,
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AutoScalingGrantsVolumesToEc2",
                principals=[iam.AnyPrincipal()],
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={
                    **conditions,
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            )
        )
        skip_checkov(
            self.key,
            {
                "CKV_AWS_33": "Principal * is narrowed by aws:PrincipalArn to EC2 Auto Scaling's "
                "service-linked role of this account: naming the role as principal would fail "
                "in a fresh account, where Auto Scaling creates it only with the first group."
            },
        )
