"""Which SageMaker instance families carry local NVMe instance storage.

SageMaker refuses a volume KMS key (ResourceConfig.VolumeKmsKeyId, ClusterConfig.VolumeKmsKeyId,
EndpointConfig KmsKeyId) for these: their local volumes are always encrypted by the instance's
hardware module, and there is no EBS volume to put a key on. The model deployer Lambda keeps a
copy (lambda/model_deployer/deployment_plan.py: its asset is self-contained); the test
tests/lambda/model_deployer/test_deployer_plan.py checks that the two agree, so both paths decide
alike.
"""

from __future__ import annotations

LOCAL_STORAGE_FAMILIES = frozenset(
    {
        "c5d", "c6gd", "c6id", "g4ad", "g4dn", "g5", "g6", "g6e", "gr6", "m5d", "m6gd", "m6id",
        "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "r5d", "r6gd", "r6id", "trn1", "trn1n",
    }
)  # fmt: skip


def has_local_instance_storage(instance_type: str) -> bool:
    """True for `ml.g5.xlarge` and other types whose family has local NVMe storage."""
    parts = instance_type.split(".")
    if len(parts) != 3 or parts[0] != "ml":
        raise ValueError(f"{instance_type!r} is not a SageMaker instance type such as ml.g5.xlarge")
    return parts[1] in LOCAL_STORAGE_FAMILIES
