"""One endpoint description for the construct tests that take an `EndpointSpec` (the pinned
endpoint and the approval deployer), written once."""

from __future__ import annotations

from constructs.ml.endpoint_spec import EndpointSpec

KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# CloudFormation validation rejects IDs that do not look like real ones.
SPEC = EndpointSpec(
    endpoint_name="demo-endpoint",
    instance_type="ml.g5.xlarge",
    min_capacity=1,
    max_capacity=3,
    target_invocations_per_instance=50,
    data_capture_s3_uri="s3://capture-bucket/capture",
    data_capture_sampling_percentage=20,
    kms_key_arn=KEY_ARN,
    subnet_ids=("subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"),
    security_group_ids=("sg-0a1b2c3d4e5f60718",),
)
