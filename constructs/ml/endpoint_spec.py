"""EndpointSpec: what the GPU real-time endpoint looks like, shared by both ways of deploying it
(the approval-driven deployer Lambda and the CloudFormation-pinned endpoint)."""

from __future__ import annotations

from dataclasses import dataclass

VARIANT_NAME = "AllTraffic"


@dataclass(frozen=True)
class EndpointSpec:
    endpoint_name: str
    instance_type: str
    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: int
    data_capture_s3_uri: str
    data_capture_sampling_percentage: int
    #: encrypts the instance volume (where the family has no local storage) and captured data
    kms_key_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    variant_name: str = VARIANT_NAME

    @property
    def scalable_resource_id(self) -> str:
        return f"endpoint/{self.endpoint_name}/variant/{self.variant_name}"
