"""Kinesis Data Streams: AWS::Kinesis::Stream, replacing moto's own model.

moto bug worked around here (moto 5.2.5): moto's model reads only ShardCount, retention and
tags. StreamModeDetails (on-demand capacity) and StreamEncryption (KMS) were dropped, so an
encrypted on-demand stream came out unencrypted and provisioned with one shard.
"""

from __future__ import annotations

from moto.kinesis.models import KinesisBackend, kinesis_backends

from ._base import Handler, as_int, tag_list_to_dict

_DEFAULT_RETENTION_HOURS = 24


class Stream(Handler):
    """Ref: the stream name. GetAtt: Arn."""

    TYPE = "AWS::Kinesis::Stream"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = frozenset({"Arn"})

    def _backend(self) -> KinesisBackend:
        return kinesis_backends[self.account_id][self.region_name]

    def _mode(self) -> dict[str, str]:
        return self.prop("StreamModeDetails") or {"StreamMode": "PROVISIONED"}

    def _encrypt(self, stream_arn: str) -> None:
        encryption = self.prop("StreamEncryption")
        if encryption:
            self._backend().start_stream_encryption(
                stream_arn, self.name, encryption["EncryptionType"], encryption["KeyId"]
            )

    def create(self) -> None:
        on_demand = self._mode()["StreamMode"] == "ON_DEMAND"
        stream = self._backend().create_stream(
            self.name,
            # moto's on-demand streams still need a shard count; AWS starts them with 4.
            shard_count=as_int(self.prop("ShardCount")) or (4 if on_demand else 1),
            stream_mode=self._mode(),
            retention_period_hours=as_int(self.prop("RetentionPeriodHours"))
            or _DEFAULT_RETENTION_HOURS,
        )
        tags = tag_list_to_dict(self.prop("Tags"))
        if tags:
            self._backend().add_tags_to_stream(stream.arn, self.name, tags)
        self._encrypt(stream.arn)
        self.physical_resource_id = self.name
        self.attributes = {"Arn": stream.arn}

    def update_in_place(self, previous: Handler) -> bool:
        if self.name != previous.name:
            return False
        backend = self._backend()
        stream = backend.describe_stream(stream_arn=None, stream_name=self.name)
        if self._mode() != previous._mode():  # type: ignore[attr-defined]
            backend.update_stream_mode(stream.arn, self._mode())
        if self._mode()["StreamMode"] == "PROVISIONED" and self.prop("ShardCount"):
            backend.update_shard_count(stream.arn, self.name, int(self.prop("ShardCount")))
        retention = as_int(self.prop("RetentionPeriodHours")) or _DEFAULT_RETENTION_HOURS
        if retention > stream.retention_period_hours:
            backend.increase_stream_retention_period(stream.arn, self.name, retention)
        elif retention < stream.retention_period_hours:
            backend.decrease_stream_retention_period(stream.arn, self.name, retention)
        if self.prop("StreamEncryption") != previous.prop("StreamEncryption"):
            if self.prop("StreamEncryption"):
                self._encrypt(stream.arn)
            else:
                backend.stop_stream_encryption(stream.arn, self.name)
        self.physical_resource_id = previous.physical_resource_id
        self.attributes = dict(previous.attributes)
        return True

    def delete_resource(self) -> None:
        if self.physical_resource_id in self._backend().streams:
            self._backend().delete_stream(stream_arn=None, stream_name=self.physical_resource_id)
