"""XgboostImage: the SageMaker XGBoost framework image URI for the deploying region, at deploy time.

The registry account differs per region (ml/container.py holds the map). A CfnMapping puts the
map into the template and Fn::FindInMap picks the row, so the stack stays environment-agnostic:
no lookup, no region pinned at synth. A region missing from the map fails the deploy at once.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs import Construct
from ml import container


class XgboostImage(Construct):
    """`image_uri` and `repository_arn` of the XGBoost framework image in the stack's region."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        mapping = cdk.CfnMapping(
            self,
            "RegistryAccounts",
            mapping={
                region: {"account": account}
                for region, account in sorted(container.REGISTRY_ACCOUNTS.items())
            },
        )
        self.registry_account = mapping.find_in_map(cdk.Aws.REGION, "account")
        self.image_uri = cdk.Fn.join(
            "",
            [
                self.registry_account,
                f".dkr.ecr.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/",
                f"{container.REPOSITORY}:{container.VERSION_TAG}",
            ],
        )
        self.repository_arn = cdk.Fn.join(
            "",
            [
                f"arn:{cdk.Aws.PARTITION}:ecr:{cdk.Aws.REGION}:",
                self.registry_account,
                f":repository/{container.REPOSITORY}",
            ],
        )

    def grant_pull(self, grantee: iam.IGrantable) -> iam.Grant:
        """What a SageMaker execution role needs to pull this image: the layers of its one
        repository, and an ECR token (GetAuthorizationToken has no resource to scope to, so
        the grantee acknowledges its `Resource::*`)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability",
            ],
            resource_arns=[self.repository_arn],
        ).combine(
            iam.Grant.add_to_principal(
                grantee=grantee, actions=["ecr:GetAuthorizationToken"], resource_arns=["*"]
            )
        )
