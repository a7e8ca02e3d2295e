"""EC2: SecurityGroupEgress, CDK's Custom::VpcRestrictDefaultSG, and deletes moto lacks.

moto bug worked around here (moto 5.2.5): moto's models for EIP, FlowLog, InternetGateway,
NatGateway, Route, RouteTable, SubnetRouteTableAssociation, VPCEndpoint and
VPCGatewayAttachment have no delete, and moto skips a missing delete without a word. Deleting
a VPC stack then left them all behind, so the VPC itself could not be deleted
("has dependencies"). The functions at the end delete them through the EC2 backend.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.security_groups import SecurityGroup
from moto.ec2.utils import generate_route_id

from ._base import Handler, deletes_for


def _ec2(account_id: str, region_name: str) -> EC2Backend:
    return ec2_backends[account_id][region_name]


def _backend(handler: Handler) -> EC2Backend:
    return _ec2(handler.account_id, handler.region_name)


def cidr_ranges(handler: Handler) -> list[dict[str, str]]:
    """A security-group rule's CidrIp / CidrIpv6, as moto's authorize_* calls take them."""
    ranges = []
    for key in ("CidrIp", "CidrIpv6"):
        if handler.prop(key):
            ranges.append({key: handler.prop(key), "Description": handler.prop("Description")})
    return ranges


def revoke_rules(
    backend: EC2Backend, group: SecurityGroup, *, ingress: bool, only: str | None = None
) -> None:
    """Revoke the group's ingress (or egress) rules: every one, or just the rule ``only`` if
    the group still has it. By rule ID, so moto's revoke needs none of the rule's fields."""
    rules = group.ingress_rules if ingress else group.egress_rules
    rule_ids = [rule.id for rule in rules if only is None or rule.id == only]
    if not rule_ids:
        return
    revoke = (
        backend.revoke_security_group_ingress if ingress else backend.revoke_security_group_egress
    )
    revoke(group.id, "", "", "", [], security_rule_ids=rule_ids)


class SecurityGroupEgress(Handler):
    """Ref and GetAtt Id: the security group rule ID (``sgr-...``)."""

    TYPE = "AWS::EC2::SecurityGroupEgress"
    ATTRIBUTES = frozenset({"Id"})

    def create(self) -> None:
        ip_ranges = cidr_ranges(self)
        destination_group = self.prop("DestinationSecurityGroupId")
        prefix_list = self.prop("DestinationPrefixListId")
        if not (ip_ranges or destination_group or prefix_list):
            raise ValueError(
                f"{self.TYPE} {self.logical_id}: set one of CidrIp, CidrIpv6, "
                "DestinationSecurityGroupId or DestinationPrefixListId"
            )
        rules, _ = _backend(self).authorize_security_group_egress(
            group_name_or_id=self.require("GroupId"),
            ip_protocol=str(self.require("IpProtocol")),
            from_port=self.prop("FromPort"),
            to_port=self.prop("ToPort"),
            ip_ranges=ip_ranges,
            source_groups=[{"GroupId": destination_group}] if destination_group else [],
            prefix_list_ids=[{"PrefixListId": prefix_list}] if prefix_list else [],
        )
        self.physical_resource_id = rules[0].id
        self.attributes = {"Id": self.physical_resource_id}

    def delete_resource(self) -> None:
        backend = _backend(self)
        group = backend.get_security_group_from_id(self.prop("GroupId"))
        if group is None:
            return  # the group went first; its rules went with it
        revoke_rules(backend, group, ingress=False, only=self.physical_resource_id)


class VpcRestrictDefaultSecurityGroup(Handler):
    """CDK's ``restrict_default_security_group=True``, done natively.

    CDK implements it as a Lambda-backed custom resource that revokes every ingress and egress
    rule of the VPC's default security group; moto would need Docker to run that Lambda.
    Real CloudFormation gives it a generated physical ID and no attributes.
    """

    TYPE = "Custom::VpcRestrictDefaultSG"

    def _default_group(self) -> SecurityGroup:
        group_id = self.require("DefaultSecurityGroupId")
        group = _backend(self).get_security_group_from_id(group_id)
        if group is None:
            raise ValueError(f"{self.TYPE} {self.logical_id}: no security group {group_id}")
        return group

    def create(self) -> None:
        group = self._default_group()
        revoke_rules(_backend(self), group, ingress=True)
        revoke_rules(_backend(self), group, ingress=False)

    def update_in_place(self, previous: Handler) -> bool:
        self.physical_resource_id = previous.physical_resource_id
        self.create()
        return True

    def delete_resource(self) -> None:
        # CDK's handler restores the default rules on delete so that the VPC can go back to
        # its original state; do the same (the group may already be gone with its VPC).
        backend = _backend(self)
        group = backend.get_security_group_from_id(self.prop("DefaultSecurityGroupId"))
        if group is None:
            return
        if not group.ingress_rules:
            backend.authorize_security_group_ingress(
                group.id, "-1", None, None, [], source_groups=[{"GroupId": group.id}]
            )
        if not group.egress_rules:
            backend.authorize_security_group_egress(
                group.id, "-1", None, None, [{"CidrIp": "0.0.0.0/0"}]
            )


@deletes_for("AWS::EC2::EIP")
def _delete_eip(address: Any, account_id: str, region_name: str) -> None:  # noqa: ANN401
    backend = _ec2(account_id, region_name)
    if address in backend.addresses:
        backend.release_address(address=address.public_ip)


@deletes_for("AWS::EC2::FlowLog")
def _delete_flow_log(flow_log: Any, account_id: str, region_name: str) -> None:  # noqa: ANN401
    backend = _ec2(account_id, region_name)
    if flow_log.id in backend.flow_logs:
        backend.delete_flow_logs([flow_log.id])


@deletes_for("AWS::EC2::InternetGateway")
def _delete_internet_gateway(gateway: Any, account_id: str, region_name: str) -> None:  # noqa: ANN401
    backend = _ec2(account_id, region_name)
    if gateway.id in backend.internet_gateways:
        backend.delete_internet_gateway(gateway.id)  # refuses while attached: moto retries


@deletes_for("AWS::EC2::VPCGatewayAttachment")
def _delete_gateway_attachment(attachment: Any, account_id: str, region_name: str) -> None:  # noqa: ANN401
    backend = _ec2(account_id, region_name)
    gateway_id = attachment.gateway_id or ""
    try:
        if gateway_id.startswith("igw-"):
            backend.detach_internet_gateway(gateway_id, attachment.vpc_id)
        elif gateway_id.startswith("vgw-"):
            backend.detach_vpn_gateway(gateway_id, attachment.vpc_id)
    except EC2ClientError as error:
        if "NotFound" not in error.code and "NotAttached" not in error.code:
            raise


@deletes_for("AWS::EC2::NatGateway")
def _delete_nat_gateway(gateway: Any, account_id: str, region_name: str) -> None:  # noqa: ANN401
    backend = _ec2(account_id, region_name)
    if gateway.id in backend.nat_gateways:
        backend.delete_nat_gateway(gateway.id)
        # EC2 removes a deleted NAT gateway's network interface and frees its address.
        if gateway._eni is not None and gateway._eni.id in backend.enis:
            backend.delete_network_interface(gateway._eni.id)
        backend.nat_gateways.pop(gateway.id, None)


@deletes_for("AWS::EC2::Route")
def _delete_route(route: Any, account_id: str, region_name: str) -> None:  # noqa: ANN401
    backend = _ec2(account_id, region_name)
    table = backend.route_tables.get(route.route_table.id)
    if table is not None:
        table._routes.pop(route.id, None)


@deletes_for("AWS::EC2::RouteTable")
def _delete_route_table(table: Any, account_id: str, region_name: str) -> None:  # noqa: ANN401
    backend = _ec2(account_id, region_name)
    if table.id in backend.route_tables:
        backend.delete_route_table(table.id)  # refuses while associated: moto retries


@deletes_for("AWS::EC2::SubnetRouteTableAssociation")
def _delete_association(association: Any, account_id: str, region_name: str) -> None:  # noqa: ANN401
    backend = _ec2(account_id, region_name)
    table = backend.route_tables.get(association.route_table_id)
    if table is None:
        return
    for association_id, subnet_id in list(table.associations.items()):
        if subnet_id == association.subnet_id:
            backend.disassociate_route_table(association_id)


@deletes_for("AWS::EC2::VPCEndpoint")
def _delete_vpc_endpoint(endpoint: Any, account_id: str, region_name: str) -> None:  # noqa: ANN401
    backend = _ec2(account_id, region_name)
    if endpoint.id not in backend.vpc_end_points or endpoint.state == "deleted":
        return
    # moto removes the endpoint's route from each of its route tables and fails if a table or
    # route is gone already, which happens when the stack deleted the tables first.
    endpoint.route_table_ids = [
        table_id
        for table_id in endpoint.route_table_ids or []
        if table_id in backend.route_tables
        and generate_route_id(table_id, endpoint.destination_prefix_list_id)
        in backend.route_tables[table_id]._routes
    ]
    backend.delete_vpc_endpoints([endpoint.id])
