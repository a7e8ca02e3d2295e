"""How stateful resources (buckets, keys, log groups) behave when their stack is deleted."""

from __future__ import annotations

import aws_cdk as cdk

from platform_config.storage import StorageConfig


def removal_policy(storage: StorageConfig) -> cdk.RemovalPolicy:
    """RETAIN unless the profile explicitly opts in to DESTROY (config forbids it in production).

    There is deliberately no auto-delete: that needs a Lambda-backed custom resource, and a
    bucket that still holds data should stop a stack deletion rather than be emptied by it.
    """
    if storage.removal_policy == "destroy":
        return cdk.RemovalPolicy.DESTROY
    return cdk.RemovalPolicy.RETAIN
