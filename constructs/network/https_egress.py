"""A security group for workloads that call AWS APIs and nothing else."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2

from constructs import Construct


def https_egress_security_group(
    scope: Construct, construct_id: str, *, vpc: ec2.IVpc, description: str
) -> ec2.SecurityGroup:
    """No ingress rule, and one egress rule: HTTPS (443) out, which reaches AWS APIs through
    the VPC's interface and gateway endpoints, or through NAT where a service has none."""
    group = ec2.SecurityGroup(
        scope, construct_id, vpc=vpc, description=description, allow_all_outbound=False
    )
    group.add_egress_rule(
        ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs via endpoints or NAT"
    )
    return group
