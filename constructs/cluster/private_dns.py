"""MasterDnsName: a Route 53 private hosted zone on the VPC, and the master's name in it."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53

from constructs import Construct


class MasterDnsName(Construct):
    """A private hosted zone, resolvable only inside `vpc`, holding the A record that the
    master writes at boot (`master_record`.`zone_name`). Workers and clients use that name, so
    a replaced master is found again without any change on the workers.

    The record is not a CloudFormation resource: the master upserts it with its own address.
    Delete it before deleting the stack (Route 53 refuses to delete a zone that holds records).

    Props:
        vpc: the VPC the zone is associated with.
        zone_name: the zone's domain, e.g. spark.dataplatform-dev.internal.
        master_record: the master's label in the zone, e.g. master.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        zone_name: str,
        master_record: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.zone = route53.PrivateHostedZone(
            self,
            "Zone",
            zone_name=zone_name,
            vpc=vpc,
            comment="Spark cluster: the master's stable name, written by the master at boot",
        )
        self.master_host: str = f"{master_record}.{zone_name}"

    def grant_upsert_master_record(self, grantee: iam.IGrantable) -> iam.Grant:
        """UPSERT of the master's A record only: this zone, this name, this type, this action."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["route53:ChangeResourceRecordSets"],
            resource_arns=[self.zone.hosted_zone_arn],
            conditions={
                "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": [self.master_host],
                    "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
                    "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
                }
            },
        )
