"""Prefix-scoped grants on a bucket's objects and on the key that encrypts them.

aws-cdk-lib's `bucket.grant_read` grants on every object of the bucket and on the key with a
fixed action list. The platform's consumers need less: the objects under a few prefixes, an
optional `s3:ListBucket` limited to those prefixes, and only the key actions their use needs
(read: `kms:Decrypt`). `grant_objects` is this codebase's one `grant()`, as in aws-cdk-lib's
aws-s3/lib/bucket-grants.ts: every object grant goes through it, and it grants on the bucket's
key in the same call, so a consumer cannot forget the key nor write the statements by hand.
Owners (`SecureBucket`, `LakeStorage`) offer named grants built on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

OBJECT_READ: tuple[str, ...] = ("s3:GetObject",)
# Spark's and SageMaker's uploads are multipart; aborting cleans up a failed one.
OBJECT_READ_WRITE: tuple[str, ...] = ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload")
# Read and write plus delete: Spark's commit protocol writes under _temporary/ and deletes it.
OBJECT_READ_WRITE_DELETE: tuple[str, ...] = (*OBJECT_READ_WRITE, "s3:DeleteObject")
# What SSE-KMS needs of the key: Decrypt to read, GenerateDataKey to write.
KEY_READ: tuple[str, ...] = ("kms:Decrypt",)
KEY_READ_WRITE: tuple[str, ...] = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")


def grant_objects(
    grantee: iam.IGrantable,
    bucket: s3.IBucket,
    *,
    actions: Sequence[str],
    objects: Sequence[str] = ("*",),
    list_prefixes: bool = False,
    key_actions: Sequence[str] = (),
    key: kms.IKey | None = None,
    key_conditions: Mapping[str, Any] | None = None,
) -> iam.Grant:
    """Grant `actions` on the objects of `bucket` that match `objects`, and `key_actions` on its
    key.

    :param grantee: the principal (a role) that gets the permissions.
    :param bucket: the bucket whose objects are granted.
    :param actions: object actions, e.g. `OBJECT_READ`.
    :param objects: object key patterns, as `bucket.arn_for_objects` takes them: `f"{prefix}*"`
        for a prefix, a plain key for one object. Default: `("*",)`, every object.
    :param list_prefixes: also grant `s3:ListBucket` on the bucket, limited by an `s3:prefix`
        StringLike condition to the same patterns (none when a pattern is `*`). Default: no
        listing.
    :param key_actions: actions on the key that encrypts the objects, e.g. `KEY_READ`. Default:
        none (an unencrypted or S3-managed-key bucket, such as the CDK asset bucket).
    :param key: the key. Default: the bucket's own `encryption_key`.
    :param key_conditions: conditions on the key statement, e.g. `kms_via_s3(...)`. Default: none.
    :returns: one Grant combining every statement written.
    :raises ValueError: when `key_actions` are asked for and the bucket has no key.
    """
    grant = iam.Grant.add_to_principal(
        grantee=grantee,
        actions=list(actions),
        resource_arns=[bucket.arn_for_objects(pattern) for pattern in objects],
    )
    if list_prefixes:
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["s3:ListBucket"],
                resource_arns=[bucket.bucket_arn],
                # Listing every object needs no condition; a request without a prefix would
                # fail a StringLike on s3:prefix.
                conditions=(
                    None if "*" in objects else {"StringLike": {"s3:prefix": list(objects)}}
                ),
            )
        )
    if key_actions:
        key = key or bucket.encryption_key
        if key is None:
            raise ValueError(
                f"key_actions {list(key_actions)} given for a bucket with no encryption_key; "
                "pass key= or no key_actions"
            )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=list(key_actions),
                resource_arns=[key.key_arn],
                conditions=dict(key_conditions) if key_conditions else None,
            )
        )
    return grant


def kms_via_s3(bucket: s3.IBucket, objects: Sequence[str]) -> dict[str, Any]:
    """Key conditions that allow the key only through S3, for this bucket's `objects` patterns.

    With an S3 bucket key the encryption context is the bucket's ARN; without, the object's.
    """
    bucket_arn = bucket.bucket_arn
    return {
        "StringEquals": {"kms:ViaService": f"s3.{cdk.Stack.of(bucket).region}.amazonaws.com"},
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [
                bucket_arn,
                *(bucket.arn_for_objects(pattern) for pattern in objects),
            ]
        },
    }
