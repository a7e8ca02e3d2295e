"""Constants, fakes and event builders shared by the model deployer tests (fixtures are in
conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends

REGION = "us-east-1"
GROUP = "churn-models"
ENDPOINT = "churn-endpoint"
ARTIFACT_BUCKET = "ml-artifacts-bucket"
IMAGE = f"{DEFAULT_ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/churn-inference:1.0"
ALARMS = ("churn-endpoint-5xx", "churn-endpoint-latency")

# moto validates InstanceType against an old enum that predates ml.g5, so the tests use GPU types
# it knows: ml.p3.2xlarge (EBS only, so the volume gets the KMS key) and ml.g4dn.xlarge (local
# NVMe storage, so it must not).
VALID_ENV = {
    "MODEL_PACKAGE_GROUP_NAME": GROUP,
    "ENDPOINT_NAME": ENDPOINT,
    "EXECUTION_ROLE_ARN": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/sagemaker-model-role",
    "INSTANCE_TYPE": "ml.p3.2xlarge",
    "INITIAL_INSTANCE_COUNT": "2",
    "MIN_CAPACITY": "1",
    "MAX_CAPACITY": "4",
    "TARGET_INVOCATIONS_PER_INSTANCE": "70",
    "KMS_KEY_ARN": f"arn:aws:kms:{REGION}:{DEFAULT_ACCOUNT_ID}:key/1234abcd-12ab-34cd-5678",
    "DATA_CAPTURE_S3_URI": "s3://lake-raw-bucket/data-capture/churn-endpoint",
    "DATA_CAPTURE_SAMPLING_PERCENTAGE": "20",
    "SUBNET_IDS": "subnet-0a1b2c3d, subnet-4e5f6a7b",
    "SECURITY_GROUP_IDS": "sg-0123abcd",
    "ALARM_NAMES": ",".join(ALARMS),
}


@dataclass
class FakeContext:
    """The attributes Powertools' inject_lambda_context reads from a Lambda context."""

    function_name: str = "model-deployer"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:model-deployer"
    )
    aws_request_id: str = "test-request-id"


@dataclass
class ApiCalls:
    """Requests the handler's clients sent, as (operation, wire parameters)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def params(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


def _wire_params(params: dict[str, Any]) -> dict[str, Any]:
    body = params.get("body") or b"{}"
    return json.loads(body)


def recorder_hook(recorder: ApiCalls) -> Callable[..., None]:
    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        recorder.calls.append((model.name, _wire_params(params)))

    return hook


@dataclass
class Registry:
    """The model registry and artifact bucket the deployer reads, seeded in moto."""

    sagemaker: Any
    s3: Any

    def register(
        self,
        version_tag: str,
        status: str = "Approved",
        group: str = GROUP,
        upload_artifact: bool = True,
    ) -> tuple[str, int, str]:
        """Register a model package; returns (ARN, version, artifact URL)."""
        key = f"pipelines/train-{version_tag}/output/model.tar.gz"
        if upload_artifact:
            self.s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=b"model bytes")
        url = f"s3://{ARTIFACT_BUCKET}/{key}"
        arn = self.sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [
                    {"Image": IMAGE, "ModelDataUrl": url, "Environment": {"MODEL_TAG": version_tag}}
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
        return arn, int(arn.rsplit("/", 1)[1]), url


def model_package_event(
    arn: str, version: int, status: str = "Approved", group: str = GROUP, image_url: str = ""
) -> dict[str, Any]:
    """A "SageMaker Model Package State Change" event shaped like the documented example."""
    return {
        "version": "0",
        "id": f"event-{version}-{status}",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": DEFAULT_ACCOUNT_ID,
        "time": "2026-11-20T17:00:14Z",
        "region": REGION,
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageVersion": version,
            "ModelPackageArn": arn,
            "CreationTime": "2026-11-20T17:00:14Z",
            "InferenceSpecification": {
                "Containers": [{"Image": IMAGE, "ModelDataUrl": image_url}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": status,
            "LastModifiedTime": "2026-11-20T17:00:14Z",
        },
    }


def endpoint_state_event(status: str = "IN_SERVICE", name: str = ENDPOINT) -> dict[str, Any]:
    """A "SageMaker Endpoint State Change" event shaped like the documented example."""
    return {
        "version": "0",
        "id": f"endpoint-{status}",
        "detail-type": "SageMaker Endpoint State Change",
        "source": "aws.sagemaker",
        "account": DEFAULT_ACCOUNT_ID,
        "time": "2026-11-20T17:30:00Z",
        "region": REGION,
        "resources": [f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:endpoint/{name}"],
        "detail": {
            "EndpointName": name,
            "EndpointArn": f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:endpoint/{name}",
            "EndpointConfigName": "whatever",
            "EndpointStatus": status,
            "Tags": {},
        },
    }


def set_moto_endpoint_status(status: str, name: str = ENDPOINT) -> None:
    """moto creates endpoints InService at once and never moves them; tests that need a Creating or
    Updating endpoint set the status on moto's backend directly."""
    sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].endpoints[name].endpoint_status = status
