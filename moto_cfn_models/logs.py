"""CloudWatch Logs: AWS::Logs::LogGroup, replacing moto's own model.

moto bugs worked around here (moto 5.2.5): moto's model passes the template's properties
straight to its backend, which reads the KMS key as ``kmsKeyId`` (the API's casing), so the
template's ``KmsKeyId`` was dropped and every log group came out unencrypted; and the model
has no update hook, so any change made moto drop the log group from the stack.
"""

from __future__ import annotations

from moto.logs.models import LogsBackend, logs_backends

from ._base import Handler, as_int, tag_list_to_dict


class LogGroup(Handler):
    """Ref: the log group name. GetAtt: Arn."""

    TYPE = "AWS::Logs::LogGroup"
    NAME_PROPERTY = "LogGroupName"
    ATTRIBUTES = frozenset({"Arn"})

    def _backend(self) -> LogsBackend:
        return logs_backends[self.account_id][self.region_name]

    def create(self) -> None:
        group = self._backend().create_log_group(
            self.name,
            tag_list_to_dict(self.prop("Tags")),
            kmsKeyId=self.prop("KmsKeyId"),
            RetentionInDays=as_int(self.prop("RetentionInDays")),
        )
        self.physical_resource_id = self.name
        self.attributes = {"Arn": f"{group.arn}:*"}  # CloudFormation's Arn ends in ":*"

    def update_in_place(self, previous: Handler) -> bool:
        if self.name != previous.name:
            return False
        group = self._backend().groups[self.name]
        group.kms_key_id = self.prop("KmsKeyId")
        group.retention_in_days = as_int(self.prop("RetentionInDays"))
        self.physical_resource_id = previous.physical_resource_id
        self.attributes = dict(previous.attributes)
        return True

    def delete_resource(self) -> None:
        if self.physical_resource_id in self._backend().groups:
            self._backend().delete_log_group(self.physical_resource_id)


class LogStream(Handler):
    """Ref: the log stream name. moto's CloudFormation has no model for it."""

    TYPE = "AWS::Logs::LogStream"
    NAME_PROPERTY = "LogStreamName"

    def _backend(self) -> LogsBackend:
        return logs_backends[self.account_id][self.region_name]

    def create(self) -> None:
        self._backend().create_log_stream(self.require("LogGroupName"), self.name)
        self.physical_resource_id = self.name

    def delete_resource(self) -> None:
        group = self._backend().groups.get(self.prop("LogGroupName"))
        if group is not None and self.physical_resource_id in group.streams:
            self._backend().delete_log_stream(self.prop("LogGroupName"), self.physical_resource_id)
