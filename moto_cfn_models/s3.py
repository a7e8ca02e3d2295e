"""S3: AWS::S3::BucketPolicy and CDK's Custom::S3AutoDeleteObjects."""

from __future__ import annotations

import json

from moto.s3.models import S3Backend, s3_backends

from ._base import Handler


def _backend(handler: Handler) -> S3Backend:
    return s3_backends[handler.account_id][handler.partition]


class BucketPolicy(Handler):
    """Ref: the bucket name (the type's primary identifier). No attributes."""

    TYPE = "AWS::S3::BucketPolicy"

    def create(self) -> None:
        bucket = self.require("Bucket")
        document = self.require("PolicyDocument")
        if not isinstance(document, str):
            document = json.dumps(document)
        _backend(self).put_bucket_policy(bucket, document.encode("utf-8"))
        self.physical_resource_id = bucket

    def update_in_place(self, previous: Handler) -> bool:
        if self.prop("Bucket") != previous.prop("Bucket"):
            return False
        self.create()
        return True

    def delete_resource(self) -> None:
        backend = _backend(self)
        if self.physical_resource_id in backend.buckets:
            backend.delete_bucket_policy(self.physical_resource_id)


class AutoDeleteObjects(Handler):
    """CDK's ``auto_delete_objects=True``: empty the bucket when the resource is deleted.

    CDK ships it as a Lambda-backed custom resource; moto would need Docker to run it.
    """

    TYPE = "Custom::S3AutoDeleteObjects"

    def create(self) -> None:
        self.require("BucketName")

    def update_in_place(self, previous: Handler) -> bool:
        self.physical_resource_id = previous.physical_resource_id
        return True

    def delete_resource(self) -> None:
        backend = _backend(self)
        bucket_name = self.require("BucketName")
        if bucket_name not in backend.buckets:
            return
        bucket = backend.buckets[bucket_name]
        for key_name in list(bucket.keys.keys()):
            for version in list(bucket.keys.getlist(key_name)):
                backend.delete_object(bucket_name, key_name, version_id=version.version_id)
