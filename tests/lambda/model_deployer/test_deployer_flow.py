"""The model deployer end to end against moto: approval events in, SageMaker resources out."""

from __future__ import annotations

import boto3
import pytest
from deployer_fixtures import (
    ALARMS,
    ENDPOINT,
    GROUP,
    IMAGE,
    REGION,
    VALID_ENV,
    FakeContext,
    endpoint_state_event,
    model_package_event,
    set_moto_endpoint_status,
)
from deployment_plan import MalformedEventError
from sagemaker_deployer import ArtifactMissingError

RESOURCE_ID = f"endpoint/{ENDPOINT}/variant/AllTraffic"


@pytest.fixture
def sagemaker(aws):
    return boto3.client("sagemaker", region_name=REGION)


@pytest.fixture
def autoscaling(aws):
    return boto3.client("application-autoscaling", region_name=REGION)


def _nothing_deployed(sagemaker) -> bool:
    return (
        sagemaker.list_models()["Models"] == []
        and sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
        and sagemaker.list_endpoints()["Endpoints"] == []
    )


def test_first_approval_creates_model_config_endpoint_and_autoscaling(
    load_handler, registry, sagemaker, autoscaling
):
    handler, calls = load_handler()
    arn, version, url = registry.register("a")

    result = handler.lambda_handler(model_package_event(arn, version), FakeContext())

    assert result["outcome"] == "deployed"
    assert result["created"] == ["model", "endpoint_config", "endpoint"]
    assert result["autoscaling"] == "applied"
    assert result["model_name"].startswith(f"{ENDPOINT}-v{version}-")

    model = sagemaker.describe_model(ModelName=result["model_name"])
    assert model["PrimaryContainer"] == {
        "Image": IMAGE,
        "ModelDataUrl": url,
        "Environment": {"MODEL_TAG": "a"},
    }
    assert model["ExecutionRoleArn"] == VALID_ENV["EXECUTION_ROLE_ARN"]
    assert model["VpcConfig"] == {
        "Subnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
        "SecurityGroupIds": ["sg-0123abcd"],
    }
    # moto's Model ignores EnableNetworkIsolation (always reports False), so assert on the request.
    assert calls.params("CreateModel")[0]["EnableNetworkIsolation"] is True

    endpoint_config = sagemaker.describe_endpoint_config(
        EndpointConfigName=result["endpoint_config_name"]
    )
    assert endpoint_config["KmsKeyId"] == VALID_ENV["KMS_KEY_ARN"]
    (variant,) = endpoint_config["ProductionVariants"]
    assert variant["InstanceType"] == "ml.p3.2xlarge"
    assert variant["InitialInstanceCount"] == 2
    assert variant["ModelName"] == result["model_name"]
    capture = endpoint_config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == 20
    assert capture["DestinationS3Uri"] == VALID_ENV["DATA_CAPTURE_S3_URI"]
    assert capture["KmsKeyId"] == VALID_ENV["KMS_KEY_ARN"]
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]

    endpoint = sagemaker.describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointConfigName"] == result["endpoint_config_name"]

    (target,) = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")[
        "ScalableTargets"
    ]
    assert target["ResourceId"] == RESOURCE_ID
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    (policy,) = autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")[
        "ScalingPolicies"
    ]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert tracking["TargetValue"] == 70.0
    assert (
        tracking["PredefinedMetricSpecification"]["PredefinedMetricType"]
        == "SageMakerVariantInvocationsPerInstance"
    )
    assert (tracking["ScaleInCooldown"], tracking["ScaleOutCooldown"]) == (600, 300)


def test_second_approved_version_updates_endpoint_blue_green(load_handler, registry, sagemaker):
    handler, calls = load_handler()
    first_arn, first_version, _ = registry.register("a")
    first = handler.lambda_handler(model_package_event(first_arn, first_version), FakeContext())
    second_arn, second_version, _ = registry.register("b")

    result = handler.lambda_handler(model_package_event(second_arn, second_version), FakeContext())

    assert result["outcome"] == "updated"
    assert result["created"] == ["model", "endpoint_config"]
    assert result["traffic_routing"] == "CANARY"
    # The conftest's recorder keeps what the deployer sent (after botocore validated it against
    # the real API model); moto_cfn_models gives moto the UpdateEndpoint that applies it.
    (update,) = calls.params("UpdateEndpoint")
    assert update["EndpointName"] == ENDPOINT
    assert update["EndpointConfigName"] == result["endpoint_config_name"]
    assert update["DeploymentConfig"] == {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 600,
            },
            "TerminationWaitInSeconds": 600,
            "MaximumExecutionTimeoutInSeconds": 3600,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": name} for name in ALARMS]},
    }
    assert "CreateEndpoint" not in calls.names()[calls.names().index("UpdateEndpoint") :]
    endpoint = sagemaker.describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointConfigName"] == result["endpoint_config_name"]
    # The old model and config stay: a blue/green rollback needs them.
    models = {m["ModelName"] for m in sagemaker.list_models()["Models"]}
    assert models == {first["model_name"], result["model_name"]}


def test_duplicate_approval_event_changes_nothing(load_handler, registry, sagemaker):
    handler, calls = load_handler()
    arn, version, _ = registry.register("a")
    event = model_package_event(arn, version)
    first = handler.lambda_handler(event, FakeContext())
    calls_after_first = len(calls.calls)

    again = handler.lambda_handler(event, FakeContext())

    assert again["outcome"] == "unchanged"
    assert "created" not in again
    assert again["endpoint_config_name"] == first["endpoint_config_name"]
    second_call_names = calls.names()[calls_after_first:]
    assert not {"CreateModel", "CreateEndpointConfig", "CreateEndpoint", "UpdateEndpoint"} & set(
        second_call_names
    )
    assert len(sagemaker.list_models()["Models"]) == 1
    assert len(sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 1


@pytest.mark.parametrize(
    ("group", "status", "reason_part"),
    [
        ("other-team-models", "Approved", "is not this stack's"),
        (GROUP, "PendingManualApproval", "only 'Approved' is deployed"),
        (GROUP, "Rejected", "only 'Approved' is deployed"),
    ],
)
def test_events_for_other_groups_or_not_approved_are_rejected_without_side_effects(
    load_handler, registry, sagemaker, group, status, reason_part
):
    handler, calls = load_handler()
    arn, version, _ = registry.register("a", status=status, group=group)

    result = handler.lambda_handler(
        model_package_event(arn, version, status=status, group=group), FakeContext()
    )

    assert result["outcome"] == "rejected"
    assert reason_part in result["reason"]
    assert calls.calls == []
    assert _nothing_deployed(sagemaker)


def test_approval_revoked_since_the_event_is_rejected(load_handler, registry, sagemaker):
    handler, _ = load_handler()
    arn, version, _ = registry.register("a", status="Rejected")

    result = handler.lambda_handler(model_package_event(arn, version), FakeContext())

    assert result["outcome"] == "rejected"
    assert "approval revoked" in result["reason"]
    assert _nothing_deployed(sagemaker)


def test_missing_artifact_fails_with_its_url_and_creates_nothing(load_handler, registry, sagemaker):
    handler, _ = load_handler()
    arn, version, url = registry.register("a", upload_artifact=False)

    with pytest.raises(ArtifactMissingError, match=url):
        handler.lambda_handler(model_package_event(arn, version), FakeContext())

    assert _nothing_deployed(sagemaker)


@pytest.mark.parametrize(
    ("mutate", "field_named"),
    [
        (lambda e: e.pop("detail"), "event.detail"),
        (lambda e: e["detail"].pop("ModelApprovalStatus"), "event.detail.ModelApprovalStatus"),
        (lambda e: e["detail"].pop("ModelPackageGroupName"), "event.detail.ModelPackageGroupName"),
        (lambda e: e["detail"].update(ModelPackageVersion="2"), "ModelPackageVersion"),
        (lambda e: e["detail"].update(ModelPackageVersion=7), "does not match ModelPackageArn"),
        (lambda e: e.update({"detail-type": "Something Else"}), "detail-type"),
    ],
)
def test_malformed_events_raise_naming_the_field(
    load_handler, registry, sagemaker, mutate, field_named
):
    handler, calls = load_handler()
    arn, version, _ = registry.register("a")
    event = model_package_event(arn, version)
    mutate(event)

    with pytest.raises(MalformedEventError, match=field_named):
        handler.lambda_handler(event, FakeContext())

    assert calls.calls == []
    assert _nothing_deployed(sagemaker)


def test_busy_endpoint_is_not_updated_again(load_handler, registry, sagemaker):
    handler, calls = load_handler()
    first_arn, first_version, _ = registry.register("a")
    handler.lambda_handler(model_package_event(first_arn, first_version), FakeContext())
    set_moto_endpoint_status("Updating")
    second_arn, second_version, _ = registry.register("b")

    result = handler.lambda_handler(model_package_event(second_arn, second_version), FakeContext())

    assert result["outcome"] == "busy"
    assert "Updating" in result["reason"]
    assert calls.params("UpdateEndpoint") == []
    assert len(sagemaker.list_models()["Models"]) == 1


def test_failed_endpoint_needs_an_operator(load_handler, registry):
    handler, calls = load_handler()
    first_arn, first_version, _ = registry.register("a")
    handler.lambda_handler(model_package_event(first_arn, first_version), FakeContext())
    set_moto_endpoint_status("Failed")
    second_arn, second_version, _ = registry.register("b")

    with pytest.raises(RuntimeError, match=f"endpoint {ENDPOINT} is Failed"):
        handler.lambda_handler(model_package_event(second_arn, second_version), FakeContext())
    assert calls.params("UpdateEndpoint") == []


def test_autoscaling_waits_for_the_endpoint_in_service_event(load_handler, registry, autoscaling):
    handler, _ = load_handler()

    # A real endpoint starts out Creating; moto's is InService at once, so make it Creating
    # right after CreateEndpoint returns.
    def leave_creating(**_kwargs):
        set_moto_endpoint_status("Creating")

    handler.CLIENTS.sagemaker.meta.events.register(
        "after-call.sagemaker.CreateEndpoint", leave_creating
    )
    arn, version, _ = registry.register("a")

    deployed = handler.lambda_handler(model_package_event(arn, version), FakeContext())
    assert deployed["outcome"] == "deployed"
    assert deployed["autoscaling"] == "deferred"
    assert (
        autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    )

    set_moto_endpoint_status("InService")
    scaled = handler.lambda_handler(endpoint_state_event("IN_SERVICE"), FakeContext())

    assert scaled["outcome"] == "scaled"
    assert scaled["autoscaling"] == "applied"
    (target,) = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")[
        "ScalableTargets"
    ]
    assert target["ResourceId"] == RESOURCE_ID


@pytest.mark.parametrize(
    "event",
    [endpoint_state_event("CREATING"), endpoint_state_event("IN_SERVICE", name="someone-else")],
)
def test_other_endpoint_events_are_ignored(load_handler, event):
    handler, calls = load_handler()

    result = handler.lambda_handler(event, FakeContext())

    assert result["outcome"] == "rejected"
    assert calls.calls == []


def test_instance_type_change_deregisters_autoscaling_before_update(
    load_handler, registry, sagemaker, monkeypatch
):
    handler, _ = load_handler()
    first_arn, first_version, _ = registry.register("a")
    handler.lambda_handler(model_package_event(first_arn, first_version), FakeContext())
    monkeypatch.setenv("INSTANCE_TYPE", "ml.g4dn.xlarge")
    handler, calls = load_handler()  # a new cold start with the changed setting
    second_arn, second_version, _ = registry.register("b")

    result = handler.lambda_handler(model_package_event(second_arn, second_version), FakeContext())

    assert result["outcome"] == "updated"
    names = calls.names()
    assert names.index("DeregisterScalableTarget") < names.index("UpdateEndpoint")
    # g4dn has local NVMe storage: CreateEndpointConfig would fail with a volume KMS key.
    new_config = sagemaker.describe_endpoint_config(
        EndpointConfigName=result["endpoint_config_name"]
    )
    assert "KmsKeyId" not in new_config
    assert new_config["DataCaptureConfig"]["KmsKeyId"] == VALID_ENV["KMS_KEY_ARN"]
