"""Instance types this platform may be configured with, grouped by the role they must fill.

A typo such as `ml.g5.huge`, or a CPU type where a GPU is required, must fail at synth with the
list of what would work, not at deploy time after an hour of CloudFormation. The catalogue is
data, kept in code so that synthesis needs no network lookups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_SIZES_XL_TO_48XL = (
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
    "24xlarge",
    "48xlarge",
)


@dataclass(frozen=True)
class InstanceCatalogue:
    """The families allowed for one role, each with the sizes that exist in it."""

    role: str
    families: Mapping[str, tuple[str, ...]]

    def check(self, instance_type: str) -> str:
        """Return `instance_type` unchanged if it exists in an allowed family, else raise."""
        family, _, size = instance_type.rpartition(".")
        if family not in self.families:
            allowed = ", ".join(self.families)
            raise ValueError(f"{instance_type!r} is not a {self.role}; allowed families: {allowed}")
        sizes = self.families[family]
        if size not in sizes:
            allowed = ", ".join(f"{family}.{s}" for s in sizes)
            raise ValueError(f"{instance_type!r} does not exist in {family}; allowed: {allowed}")
        return instance_type


SAGEMAKER_GPU = InstanceCatalogue(
    role="SageMaker GPU instance type",
    families={
        "ml.g4dn": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
        "ml.g5": _SIZES_XL_TO_48XL,
        "ml.g6": _SIZES_XL_TO_48XL,
        "ml.g6e": _SIZES_XL_TO_48XL,
        "ml.p3": ("2xlarge", "8xlarge", "16xlarge"),
        "ml.p4d": ("24xlarge",),
        "ml.p5": ("48xlarge",),
    },
)

SAGEMAKER_CPU = InstanceCatalogue(
    role="SageMaker CPU instance type",
    families={
        "ml.m5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
        "ml.c5": ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"),
        "ml.r5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    },
)

MSK_BROKER = InstanceCatalogue(
    role="Amazon MSK broker type",
    families={
        "kafka.t3": ("small",),
        "kafka.m5": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
        "kafka.m7g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    },
)

_EC2_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")

EC2_GENERAL = InstanceCatalogue(
    role="EC2 general-purpose, compute- or memory-optimised instance type",
    families=dict.fromkeys(
        ("m6i", "m7i", "m7g", "r6i", "r7i", "r7g", "c6i", "c7i", "c7g"), _EC2_SIZES
    ),
)

NAT_INSTANCE = InstanceCatalogue(
    role="NAT instance type (burstable: a NAT instance idles, and forwards in bursts)",
    families={
        "t4g": ("nano", "micro", "small", "medium"),
        "t3": ("nano", "micro", "small", "medium"),
        "t3a": ("nano", "micro", "small", "medium"),
    },
)
