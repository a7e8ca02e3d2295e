"""Lake Formation: administrators, registered zone locations, and table grants.

`LakeFormationTableGrant` is deliberately usable from any stack: a consumer stack (ML, a
cluster) creates the grant for its own role in its own scope, naming the lake's databases and
tables as plain strings, so the lake stack never has to reference the consumer's role and no
cross-stack cycle appears.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lakeformation as lakeformation
from aws_cdk import aws_s3 as s3

from constructs import Construct, IConstruct
from constructs.core.bucket_grants import KEY_READ_WRITE, grant_objects
from constructs.core.nag import acknowledge_wildcards

TABLE_READ = ("SELECT", "DESCRIBE")
TABLE_WRITE = ("SELECT", "INSERT", "DELETE", "DESCRIBE", "ALTER")
_TABLE_PERMISSIONS = frozenset({*TABLE_WRITE, "DROP", "ALL"})
_DATABASE_PERMISSIONS = frozenset({"CREATE_TABLE", "ALTER", "DROP", "DESCRIBE", "ALL"})


def _principal(arn: str) -> lakeformation.CfnPrincipalPermissions.DataLakePrincipalProperty:
    return lakeformation.CfnPrincipalPermissions.DataLakePrincipalProperty(
        data_lake_principal_identifier=arn
    )


def _database(name: str) -> lakeformation.CfnPrincipalPermissions.ResourceProperty:
    return lakeformation.CfnPrincipalPermissions.ResourceProperty(
        database=lakeformation.CfnPrincipalPermissions.DatabaseResourceProperty(
            catalog_id=cdk.Aws.ACCOUNT_ID, name=name
        )
    )


def _table(database: str, table: str) -> lakeformation.CfnPrincipalPermissions.ResourceProperty:
    return lakeformation.CfnPrincipalPermissions.ResourceProperty(
        table=lakeformation.CfnPrincipalPermissions.TableResourceProperty(
            catalog_id=cdk.Aws.ACCOUNT_ID, database_name=database, name=table
        )
    )


class LakeFormationTableGrant(Construct):
    """DESCRIBE on a database and `permissions` on one of its tables, for one principal."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        principal_arn: str,
        database_name: str,
        table_name: str,
        permissions: Sequence[str] = TABLE_READ,
    ) -> None:
        super().__init__(scope, construct_id)
        unknown = sorted(set(permissions) - _TABLE_PERMISSIONS)
        if unknown or not permissions:
            raise ValueError(
                f"Lake Formation table permissions {list(permissions)} for "
                f"{database_name}.{table_name}: allowed {sorted(_TABLE_PERMISSIONS)}"
            )
        catalog = cdk.Aws.ACCOUNT_ID
        self.database = lakeformation.CfnPrincipalPermissions(
            self,
            "Database",
            catalog=catalog,
            principal=_principal(principal_arn),
            resource=_database(database_name),
            permissions=["DESCRIBE"],
            permissions_with_grant_option=[],
        )
        self.table = lakeformation.CfnPrincipalPermissions(
            self,
            "Table",
            catalog=catalog,
            principal=_principal(principal_arn),
            resource=_table(database_name, table_name),
            permissions=list(permissions),
            permissions_with_grant_option=[],
        )


class LakeFormationDatabaseGrant(Construct):
    """Database-level permissions (CREATE_TABLE for a crawler, say) for one principal."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        principal_arn: str,
        database_name: str,
        permissions: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        unknown = sorted(set(permissions) - _DATABASE_PERMISSIONS)
        if unknown or not permissions:
            raise ValueError(
                f"Lake Formation database permissions {list(permissions)} for {database_name}: "
                f"allowed {sorted(_DATABASE_PERMISSIONS)}"
            )
        self.grant = lakeformation.CfnPrincipalPermissions(
            self,
            "Resource",
            catalog=cdk.Aws.ACCOUNT_ID,
            principal=_principal(principal_arn),
            resource=_database(database_name),
            permissions=list(permissions),
            permissions_with_grant_option=[],
        )


class LakeFormationDataLocationGrant(Construct):
    """DATA_LOCATION_ACCESS on a registered bucket: needed to create tables that point at it."""

    def __init__(
        self, scope: Construct, construct_id: str, *, principal_arn: str, bucket: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        self.grant = lakeformation.CfnPrincipalPermissions(
            self,
            "Resource",
            catalog=cdk.Aws.ACCOUNT_ID,
            principal=_principal(principal_arn),
            resource=lakeformation.CfnPrincipalPermissions.ResourceProperty(
                data_location=lakeformation.CfnPrincipalPermissions.DataLocationResourceProperty(
                    catalog_id=cdk.Aws.ACCOUNT_ID, resource_arn=bucket.bucket_arn
                )
            ),
            permissions=["DATA_LOCATION_ACCESS"],
            permissions_with_grant_option=[],
        )


class LakeFormationSetup(Construct):
    """Data lake administrators, and the zone buckets registered with a role of their own.

    The CloudFormation execution role becomes an administrator too (appended, not replacing
    anyone): without it, CloudFormation itself may not create the grants in this app.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        admins: Sequence[str],
        locations: Mapping[str, s3.IBucket],
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        deployer = getattr(stack.synthesizer, "cloud_formation_execution_role_arn", None)
        admin_arns = [*admins, cdk.Fn.sub(deployer)] if deployer else list(admins)
        self.settings = lakeformation.CfnDataLakeSettings(
            self,
            "Settings",
            mutation_type="APPEND",
            admins=[
                lakeformation.CfnDataLakeSettings.DataLakePrincipalProperty(
                    data_lake_principal_identifier=arn
                )
                for arn in admin_arns
            ],
        )
        self.registration_role = self._registration_role(locations, key)
        self.resources: dict[str, lakeformation.CfnResource] = {}
        for zone, bucket in locations.items():
            resource = lakeformation.CfnResource(
                self,
                f"{zone.title()}Location",
                resource_arn=bucket.bucket_arn,
                use_service_linked_role=False,
                role_arn=self.registration_role.role_arn,
            )
            resource.node.add_dependency(self.settings)
            self.resources[zone] = resource

    def _registration_role(self, locations: Mapping[str, s3.IBucket], key: kms.IKey) -> iam.Role:
        # A role of our own rather than the service-linked role: the service-linked role cannot
        # be given the lake key, and these buckets are SSE-KMS.
        role = iam.Role(
            self,
            "RegistrationRole",
            assumed_by=iam.ServicePrincipal("lakeformation.amazonaws.com"),
            description="Lake Formation vends credentials for the lake's zones with this role",
        )
        for bucket in locations.values():
            grant_objects(
                role,
                bucket,
                actions=("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                list_prefixes=True,
                key_actions=KEY_READ_WRITE,
                key=key,
            )
        acknowledge_wildcards(
            role,
            [bucket.arn_for_objects("*") for bucket in locations.values()],
            reason="Lake Formation vends credentials for any path of a registered location, "
            "so its registration role needs every object of the zone buckets it registers.",
        )
        return role


def grant_lake_formation_access(role: iam.Role) -> None:
    """Lake Formation hands out S3 credentials through GetDataAccess; it has no resource ARN."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="LakeFormationDataAccess", actions=["lakeformation:GetDataAccess"], resources=["*"]
        )
    )
    acknowledge_wildcards(
        role,
        ["*"],
        reason="lakeformation:GetDataAccess has no resource-level permissions; what it returns "
        "is decided by the Lake Formation grants on the role.",
    )


def grant_landing_and_curation(
    scope: Construct,
    *,
    crawler_role: iam.Role,
    job_role: iam.Role,
    raw_bucket: s3.IBucket,
    raw_database_name: str,
    curated_database_name: str,
    table_name: str,
    after: Sequence[IConstruct],
) -> None:
    """The Lake Formation grants of the lake's own pipeline, created in `scope`.

    The landing crawler may create and alter tables in the raw database and read the raw
    location; the curation job may read `table_name` in the raw database and write it in the
    curated one. Both roles get `lakeformation:GetDataAccess`. Each grant waits for `after`
    (the setup, the databases and tables), because grants name them as plain strings.
    """
    crawler_arn, job_arn = crawler_role.role_arn, job_role.role_arn
    grants: list[Construct] = [
        LakeFormationDatabaseGrant(
            scope,
            "CrawlerRawDatabase",
            principal_arn=crawler_arn,
            database_name=raw_database_name,
            permissions=("CREATE_TABLE", "ALTER", "DESCRIBE"),
        ),
        LakeFormationDataLocationGrant(
            scope, "CrawlerRawLocation", principal_arn=crawler_arn, bucket=raw_bucket
        ),
        LakeFormationTableGrant(
            scope,
            "JobRawEvents",
            principal_arn=job_arn,
            database_name=raw_database_name,
            table_name=table_name,
            permissions=TABLE_READ,
        ),
        LakeFormationTableGrant(
            scope,
            "JobCuratedEvents",
            principal_arn=job_arn,
            database_name=curated_database_name,
            table_name=table_name,
            permissions=TABLE_WRITE,
        ),
    ]
    for grant in grants:
        grant.node.add_dependency(*after)
    grant_lake_formation_access(crawler_role)
    grant_lake_formation_access(job_role)
