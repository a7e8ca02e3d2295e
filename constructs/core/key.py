"""RotatingKey: the platform's customer-managed KMS key."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs import Construct


class RotatingKey(kms.Key):
    """A symmetric customer-managed KMS key with automatic yearly rotation, kept by default
    when its stack is deleted (whatever it encrypted may outlive the stack).

    Its policy lets only AWS services create grants on it: a deny of kms:CreateGrant unless the
    grant is for an AWS resource (EBS, SageMaker, Secrets Manager attach it for their own use)
    or the caller is an AWS service itself, as Control Tower's CT.KMS.PR.3 requires. Whoever
    is allowed CreateGrant here or in their own policy gets it on those terms only.

    Being a `kms.Key` itself, not a wrapper, it keeps the construct path, and so the logical ID,
    of the key it replaces.

    :param description: what the key encrypts, as the KMS console shows it.
    :param removal_policy: what happens to the key when it leaves the stack. Default: RETAIN.
    :param alias: an alias to create for the key. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        alias: str | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=description,
            alias=alias,
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CreateGrantForAwsResourcesOnly",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={
                    "BoolIfExists": {
                        "kms:GrantIsForAWSResource": "false",
                        "aws:PrincipalIsAWSService": "false",
                    }
                },
            )
        )
