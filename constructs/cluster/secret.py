"""ClusterSecret: the shared secret of Spark's RPC authentication, in Secrets Manager."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager

from constructs import Construct
from constructs.core.cfn import default_resource
from constructs.core.key import RotatingKey

SECRET_LENGTH = 64


class ClusterSecret(Construct):
    """A generated secret (64 letters and digits: safe in a Java properties file) under its own
    rotating KMS key. `restrict_reads_to` gives the secret a resource policy that denies
    secretsmanager:GetSecretValue to every principal but the given roles, so no one else can
    read the value, administrators included (they can still replace the secret, or change the
    policy, both visible in CloudTrail).

    The deny is on GetSecretValue, not on the key's kms:Decrypt: Secrets Manager decrypts with
    the caller's own permissions when the secret is created or a new value is put, so a
    Decrypt deny in the key policy locks out CloudFormation's execution role (the stack cannot
    be created) and every operator who rotates the value by hand.

    It is not rotated automatically: every daemon and running application shares it, so a
    rotation is a coordinated restart (replace the secret, then cycle both node groups).

    Props:
        secret_name: the secret's name.
        description: shown in the console.
        removal_policy: RETAIN (default) keeps secret and key when the stack is deleted.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        secret_name: str,
        description: str,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = RotatingKey(
            self,
            "Key",
            description=f"Encrypts the {secret_name} secret",
            removal_policy=removal_policy,
        )
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=secret_name,
            description=description,
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=SECRET_LENGTH,
                exclude_punctuation=True,
                include_space=False,
            ),
            removal_policy=removal_policy,
        )
        cdk.Validations.of(default_resource(self.secret)).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="Spark's RPC authentication secret is shared by every daemon and "
                "running application at once; rotating it is a coordinated restart of the "
                "cluster, not something a rotation Lambda can do under running jobs.",
            )
        )

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """GetSecretValue and DescribeSecret on this secret, and decrypt through Secrets Manager."""
        return self.secret.grant_read(grantee)

    def restrict_reads_to(self, roles: Sequence[iam.IRole]) -> None:
        """Deny reading the secret's value to every principal but `roles`."""
        self.secret.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheClusterNodesRead",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["secretsmanager:GetSecretValue"],
                resources=["*"],
                conditions={
                    "StringNotEquals": {"aws:PrincipalArn": [role.role_arn for role in roles]}
                },
            )
        )
