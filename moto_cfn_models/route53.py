"""Route 53: AWS::Route53::HostedZone, private when the template names VPCs.

moto 5.2's own model creates every hosted zone public (``PrivateZone: False``), ignores
``VPCs``, ``HostedZoneConfig`` and ``HostedZoneTags``, and never deletes the zone. The Spark
cluster's workers find the master through a private zone on the VPC, so the emulator must
report it private, associated with that VPC; this handler overrides moto's model.
"""

from __future__ import annotations

from moto.route53.models import Route53Backend, route53_backends
from moto.utilities.utils import get_partition

from ._base import Handler, tag_list_to_dict


class HostedZone(Handler):
    """Ref and GetAtt Id: the zone ID (no ``/hostedzone/`` prefix). GetAtt NameServers."""

    TYPE = "AWS::Route53::HostedZone"
    ATTRIBUTES = frozenset({"Id", "NameServers"})

    def _backend(self) -> Route53Backend:
        return route53_backends[self.account_id][get_partition(self.region_name)]

    def _vpcs(self) -> list[tuple[str, str]]:
        return [
            (vpc["VPCId"], vpc.get("VPCRegion") or self.region_name)
            for vpc in self.prop("VPCs") or []
        ]

    def create(self) -> None:
        vpcs = self._vpcs()
        first_vpc, first_region = vpcs[0] if vpcs else (None, None)
        zone = self._backend().create_hosted_zone(
            self.require("Name"),
            private_zone=bool(vpcs),
            vpcid=first_vpc,
            vpcregion=first_region,
            comment=(self.prop("HostedZoneConfig") or {}).get("Comment"),
        )
        for vpc_id, region in vpcs[1:]:
            zone.add_vpc(vpc_id, region)
        tags = tag_list_to_dict(self.prop("HostedZoneTags"))
        if tags:
            self._backend().change_tags_for_resource(
                "hostedzone",
                zone.resource_id,
                [{"Key": k, "Value": v} for k, v in tags.items()],
                [],
            )
        self.physical_resource_id = zone.resource_id
        # AWS returns no name servers for a private zone: nothing resolves it from outside.
        name_servers = [] if vpcs else list(zone.delegation_set.name_servers)
        self.attributes = {"Id": zone.resource_id, "NameServers": name_servers}

    def update_in_place(self, previous: Handler) -> bool:
        # Name and public/private cannot change in place; VPCs, comment and tags can.
        if self.require("Name") != previous.require("Name") or bool(self._vpcs()) != bool(
            previous._vpcs()  # type: ignore[attr-defined]
        ):
            return False
        zone = self._backend().get_hosted_zone(previous.physical_resource_id)
        zone.vpcs = []
        for vpc_id, region in self._vpcs():
            zone.add_vpc(vpc_id, region)
        zone.comment = (self.prop("HostedZoneConfig") or {}).get("Comment")
        old = tag_list_to_dict(previous.prop("HostedZoneTags"))
        new = tag_list_to_dict(self.prop("HostedZoneTags"))
        self._backend().change_tags_for_resource(
            "hostedzone",
            zone.resource_id,
            [{"Key": k, "Value": v} for k, v in new.items()],
            [k for k in old if k not in new],
        )
        self.physical_resource_id = previous.physical_resource_id
        self.attributes = dict(previous.attributes)
        return True

    def delete_resource(self) -> None:
        # Refused while records other than NS and SOA remain, as in AWS (HostedZoneNotEmpty).
        if self.physical_resource_id in self._backend().zones:
            self._backend().delete_hosted_zone(self.physical_resource_id)
            self._backend().resource_tags.pop(self.physical_resource_id, None)
