"""EC2: AWS::EC2::SecurityGroupIngress, with a physical ID and a delete.

moto's own model authorizes the rule but has no physical resource ID, so ListStackResources
shows the rule without one (it reads as skipped), ``Ref`` is None, and deleting the stack
leaves the rule behind. The Spark cluster's security groups are built from such rules (master
and workers reach each other on Spark's ports only), so this handler overrides moto's model:
``Ref`` and ``GetAtt Id`` are the rule ID (``sgr-...``), as in AWS.
"""

from __future__ import annotations

from ._base import Handler
from .ec2 import _backend, cidr_ranges, revoke_rules


class SecurityGroupIngress(Handler):
    """Ref and GetAtt Id: the security group rule ID (``sgr-...``)."""

    TYPE = "AWS::EC2::SecurityGroupIngress"
    ATTRIBUTES = frozenset({"Id"})

    def _group_id(self) -> str:
        if self.prop("GroupId"):
            return str(self.prop("GroupId"))
        groups = _backend(self).describe_security_groups(groupnames=[self.require("GroupName")])
        return groups[0].id

    def create(self) -> None:
        ip_ranges = cidr_ranges(self)
        source: dict[str, str] = {}
        if self.prop("SourceSecurityGroupId"):
            source["GroupId"] = self.prop("SourceSecurityGroupId")
        if self.prop("SourceSecurityGroupName"):
            source["GroupName"] = self.prop("SourceSecurityGroupName")
        if self.prop("Description") and source:
            source["Description"] = self.prop("Description")
        prefix_list = self.prop("SourcePrefixListId")
        if not (ip_ranges or source or prefix_list):
            raise ValueError(
                f"{self.TYPE} {self.logical_id}: set one of CidrIp, CidrIpv6, "
                "SourceSecurityGroupId, SourceSecurityGroupName or SourcePrefixListId"
            )
        rules, _ = _backend(self).authorize_security_group_ingress(
            group_name_or_id=self._group_id(),
            ip_protocol=str(self.require("IpProtocol")),
            from_port=self.prop("FromPort"),
            to_port=self.prop("ToPort"),
            ip_ranges=ip_ranges,
            source_groups=[source] if source else [],
            prefix_list_ids=[{"PrefixListId": prefix_list}] if prefix_list else [],
        )
        self.physical_resource_id = rules[0].id
        self.attributes = {"Id": self.physical_resource_id}

    def delete_resource(self) -> None:
        backend = _backend(self)
        group = backend.get_security_group_from_id(self._group_id())
        if group is None:
            return  # the group went first; its rules went with it
        revoke_rules(backend, group, ingress=True, only=self.physical_resource_id)
