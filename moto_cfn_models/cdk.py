"""AWS::CDK::Metadata: the version-reporting resource that every CDK stack carries.

Real CloudFormation keeps it as a record with no side effect; so does this handler.
"""

from __future__ import annotations

from ._base import Handler


class CdkMetadata(Handler):
    """Ref: a generated ID. No attributes."""

    TYPE = "AWS::CDK::Metadata"

    def create(self) -> None:
        """Nothing to create: the resource only records the CDK modules in use."""

    def update_in_place(self, previous: Handler) -> bool:
        self.physical_resource_id = previous.physical_resource_id
        return True

    def delete_resource(self) -> None:
        """Nothing to delete."""
