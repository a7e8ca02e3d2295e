"""RotatingKey: the platform's customer-managed KMS key."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms

from constructs import Construct


class RotatingKey(kms.Key):
    """A symmetric customer-managed KMS key with automatic yearly rotation, kept by default
    when its stack is deleted (whatever it encrypted may outlive the stack).

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
