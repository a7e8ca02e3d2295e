"""Approval deploys the registered model with the deployer's code; the endpoint answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_deploy import endpoint_local
from local_deploy.lambda_code import InProcessFunction
from local_deploy.ml_local import approve_and_deploy
from local_deploy.smoke.ml import DEPLOYER_DIR, EMULATOR_GPU_INSTANCE_TYPE
from tests.local_pipeline.pipeline_fixtures import ACCOUNT, CAPTURE, GROUP, REGION, Account

# One package-scoped emulator and pipeline run: keep the tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("local_pipeline")

ENDPOINT = "local-endpoint"
CAPTURE_PREFIX = "data-capture/endpoint"
Run = tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]


def _deployer(account: Account, sampling: int) -> InProcessFunction:
    environment = {
        "MODEL_PACKAGE_GROUP_NAME": GROUP,
        "ENDPOINT_NAME": ENDPOINT,
        "EXECUTION_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/model",
        "INSTANCE_TYPE": EMULATOR_GPU_INSTANCE_TYPE,
        "INITIAL_INSTANCE_COUNT": "1",
        "MIN_CAPACITY": "1",
        "MAX_CAPACITY": "2",
        "TARGET_INVOCATIONS_PER_INSTANCE": "70",
        "KMS_KEY_ARN": account.kms_key_arn,
        "DATA_CAPTURE_S3_URI": f"s3://{CAPTURE}/{CAPTURE_PREFIX}",
        "DATA_CAPTURE_SAMPLING_PERCENTAGE": str(sampling),
        "SUBNET_IDS": "subnet-1",
        "SECURITY_GROUP_IDS": "sg-1",
        "ALARM_NAMES": "endpoint-5xx",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    configuration = {
        "FunctionName": "model-deployer",
        "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:model-deployer",
        "Handler": "handler.lambda_handler",
        "Environment": {"Variables": environment},
    }
    return InProcessFunction(configuration, DEPLOYER_DIR)


@pytest.fixture(scope="module")
def deployed(registered: Run, account: Account) -> dict[str, Any]:
    execution, _, _ = registered
    assert execution["PipelineExecutionStatus"] == "Succeeded", execution["FailureReason"]
    arn, result, endpoint = approve_and_deploy(
        account.clients("sagemaker"), _deployer(account, sampling=50), GROUP, ENDPOINT
    )
    return {"arn": arn, "result": result, "endpoint": endpoint}


def test_approve_deploys_the_newest_pending_package(
    deployed: dict[str, Any], account: Account
) -> None:
    sagemaker = account.clients("sagemaker")
    package = sagemaker.describe_model_package(ModelPackageName=deployed["arn"])
    assert package["ModelApprovalStatus"] == "Approved"
    assert deployed["result"]["outcome"] == "deployed"
    assert deployed["endpoint"]["EndpointStatus"] == "InService"
    targets = account.clients("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    assert [t["ResourceId"] for t in targets] == [f"endpoint/{ENDPOINT}/variant/AllTraffic"]


def test_invoke_endpoint_predicts_and_captures_half(
    deployed: dict[str, Any], account: Account
) -> None:
    runtime = account.clients("sagemaker-runtime")
    rows = "0.5,-1.0,0.25\n-2.0,0.1,1.5\n"
    answers = [
        runtime.invoke_endpoint(
            EndpointName=ENDPOINT, ContentType="text/csv", Accept="application/json", Body=rows
        )
        for _ in range(4)
    ]
    body = json.loads(answers[0]["Body"].read())
    assert answers[0]["ContentType"] == "application/json"
    assert answers[0]["InvokedProductionVariant"] == "AllTraffic"
    assert body["classes"] == [0, 1]
    assert len(body["predictions"]) == 2
    assert all(abs(sum(p["probabilities"]) - 1) < 1e-5 for p in body["predictions"])
    s3 = account.clients("s3")
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=CAPTURE, Prefix=CAPTURE_PREFIX).get("Contents", [])
    ]
    assert len(keys) == 2  # 50 % of 4, deterministic
    assert all(k.startswith(f"{CAPTURE_PREFIX}/{ENDPOINT}/AllTraffic/2026/03/01/09/") for k in keys)
    assert all(k.endswith(".jsonl") for k in keys)
    stored = s3.get_object(Bucket=CAPTURE, Key=keys[0])
    assert stored["SSEKMSKeyId"] == account.kms_key_arn
    record = json.loads(stored["Body"].read().decode().splitlines()[0])
    assert record["eventVersion"] == "0"
    assert record["captureData"]["endpointInput"] == {
        "mode": "INPUT",
        "observedContentType": "text/csv",
        "data": rows,
        "encoding": "CSV",
    }
    output = record["captureData"]["endpointOutput"]
    assert (output["mode"], output["encoding"]) == ("OUTPUT", "JSON")
    assert json.loads(output["data"])["classes"] == [0, 1]


def test_bad_request_is_a_model_error(deployed: dict[str, Any], account: Account) -> None:
    runtime = account.clients("sagemaker-runtime")
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(EndpointName=ENDPOINT, ContentType="text/csv", Body="1,2\n")
    assert raised.value.response["OriginalStatusCode"] == 400
    assert "the model expects 3 features" in str(raised.value)


def test_second_approval_without_a_pending_package_is_refused(
    deployed: dict[str, Any], account: Account
) -> None:
    from local_deploy.ml_local import MlLocalError  # noqa: PLC0415

    with pytest.raises(MlLocalError, match="no PendingManualApproval package"):
        approve_and_deploy(
            account.clients("sagemaker"), _deployer(account, sampling=50), GROUP, ENDPOINT
        )


def test_sampling_is_deterministic() -> None:
    taken = [endpoint_local._sampled("sampling-test", 20) for _ in range(10)]
    assert taken == [False, False, False, False, True] * 2
