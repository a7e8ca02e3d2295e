"""EndpointSpec: what the GPU real-time endpoint looks like, shared by both ways of deploying it
(the approval-driven deployer Lambda and the CloudFormation-pinned endpoint)."""

from __future__ import annotations

from dataclasses import dataclass

VARIANT_NAME = "AllTraffic"


@dataclass(frozen=True)
class EndpointSpec:
    """What the GPU real-time endpoint looks like: name, instance type, capacity range,
    autoscaling target, data capture, encryption key and network placement.

    Plain data, no CDK resources: the stack builds one and hands it to the approval deployer
    (which passes it to its Lambda as environment variables), to the pinned endpoint and to the
    endpoint alarms, so the three cannot disagree about the endpoint.
    """

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
