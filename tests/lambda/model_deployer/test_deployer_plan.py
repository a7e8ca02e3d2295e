"""Pure rules of the deployer: names, blue/green policy, instance storage, package checks."""

from __future__ import annotations

import dataclasses

import pytest
from deployer_config import load_config
from deployer_fixtures import VALID_ENV
from deployment_plan import (
    _LOCAL_STORAGE_FAMILIES,
    ModelPackageError,
    build_deployment_config,
    build_endpoint_config_request,
    has_local_instance_storage,
    package_containers,
    split_s3_url,
    versioned_name,
)

from ml_pipeline.instance_storage import LOCAL_STORAGE_FAMILIES

CONFIG = load_config(VALID_ENV)
PACKAGE = {
    "ModelPackageArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/3",
    "ModelPackageVersion": 3,
    "InferenceSpecification": {
        "Containers": [{"Image": "repo/image:1", "ModelDataUrl": "s3://bucket/model.tar.gz"}]
    },
}


def test_names_are_deterministic_and_change_with_the_settings():
    request = {"InstanceType": "ml.p3.2xlarge"}

    name = versioned_name("churn-endpoint", 3, request)

    assert name == versioned_name("churn-endpoint", 3, dict(request))
    assert name.startswith("churn-endpoint-v3-")
    assert name != versioned_name("churn-endpoint", 3, {"InstanceType": "ml.g5.xlarge"})
    assert name != versioned_name("churn-endpoint", 4, request)


def test_long_endpoint_names_are_truncated_to_the_sagemaker_limit():
    name = versioned_name("e" * 63, 12345, {})

    assert len(name) == 63
    assert name.endswith(versioned_name("x", 12345, {})[1:])


@pytest.mark.parametrize(
    ("fleet", "routing"),
    [
        (1, {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}),
        (
            2,
            {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 600,
            },
        ),
        (
            30,
            {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 3},
                "WaitIntervalInSeconds": 600,
            },
        ),
    ],
)
def test_canary_is_at_most_half_the_new_fleet(fleet, routing):
    config = dataclasses.replace(CONFIG, initial_instance_count=fleet, max_capacity=max(fleet, 4))

    deployment = build_deployment_config(config)

    assert deployment["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == routing
    assert deployment["AutoRollbackConfiguration"]["Alarms"] == [
        {"AlarmName": "churn-endpoint-5xx"},
        {"AlarmName": "churn-endpoint-latency"},
    ]


@pytest.mark.parametrize(
    ("instance_type", "local"),
    [("ml.g5.xlarge", True), ("ml.g4dn.xlarge", True), ("ml.p4d.24xlarge", True),
     ("ml.p3.2xlarge", False), ("ml.inf2.xlarge", False), ("ml.m5.large", False)],
)  # fmt: skip
def test_volume_kms_key_only_for_instances_without_local_storage(instance_type, local):
    config = dataclasses.replace(CONFIG, instance_type=instance_type)

    request = build_endpoint_config_request(config, PACKAGE, "model-name")

    assert has_local_instance_storage(instance_type) is local
    assert ("KmsKeyId" in request) is not local
    assert request["DataCaptureConfig"]["KmsKeyId"] == CONFIG.kms_key_arn


def test_zero_sampling_turns_data_capture_off():
    config = dataclasses.replace(CONFIG, data_capture_sampling_percentage=0)

    request = build_endpoint_config_request(config, PACKAGE, "model-name")

    assert request["DataCaptureConfig"]["EnableCapture"] is False


@pytest.mark.parametrize(
    ("containers", "message"),
    [
        ([], "has no InferenceSpecification.Containers"),
        ([{"ModelDataUrl": "s3://b/k"}], r"Containers\[0\].Image is missing"),
        ([{"Image": "i"}], r"Containers\[0\].ModelDataUrl is missing"),
    ],
)
def test_undeployable_packages_are_explained(containers, message):
    package = {**PACKAGE, "InferenceSpecification": {"Containers": containers}}

    with pytest.raises(ModelPackageError, match=message):
        package_containers(package)


def test_model_data_url_must_be_s3():
    assert split_s3_url("s3://bucket/a/b.tar.gz") == ("bucket", "a/b.tar.gz")
    with pytest.raises(ModelPackageError, match="not an s3://bucket/key URL"):
        split_s3_url("https://bucket.s3.amazonaws.com/a.tar.gz")


def test_the_lambdas_nvme_families_agree_with_the_pipelines():
    # The Lambda asset stays self-contained, so it keeps its own copy of the list; the training
    # pipeline and the pinned endpoint use ml_pipeline's. Both paths must decide alike.
    assert _LOCAL_STORAGE_FAMILIES == LOCAL_STORAGE_FAMILIES
