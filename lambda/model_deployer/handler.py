"""Deploy an approved SageMaker model package to this stack's GPU real-time endpoint.

Invoked by EventBridge for two kinds of event (see README.md):
  * "SageMaker Model Package State Change" with ModelApprovalStatus Approved: create the Model and
    EndpointConfig for that package version, then create the endpoint or blue/green-update it.
  * "SageMaker Endpoint State Change" with EndpointStatus IN_SERVICE for our endpoint: register the
    variant with Application Auto Scaling (a Creating endpoint cannot be registered yet).

Environment variables (set by the CDK, validated once at cold start; a bad one fails init with a
ConfigError naming it):
  MODEL_PACKAGE_GROUP_NAME          model package group whose approvals this function deploys
  ENDPOINT_NAME                     real-time endpoint to create or update
  EXECUTION_ROLE_ARN                role SageMaker assumes for the Model (pulls image, artifact)
  INSTANCE_TYPE                     GPU instance type of the variant, e.g. ml.g5.xlarge
  INITIAL_INSTANCE_COUNT            instances of a new fleet (between MIN_CAPACITY and MAX_CAPACITY)
  MIN_CAPACITY, MAX_CAPACITY        Application Auto Scaling bounds (MIN_CAPACITY >= 1)
  TARGET_INVOCATIONS_PER_INSTANCE   target of the SageMakerVariantInvocationsPerInstance policy
  KMS_KEY_ARN                       key for the instance volume and the captured data
  DATA_CAPTURE_S3_URI               s3://bucket/prefix in the lake for request/response capture
  DATA_CAPTURE_SAMPLING_PERCENTAGE  0-100; 0 turns capture off
  SUBNET_IDS, SECURITY_GROUP_IDS    comma-separated; the Model's VPC config
  ALARM_NAMES                       comma-separated CloudWatch alarms (5xx, latency) that roll a
                                    blue/green deployment back; 1 to 10 names
Optional, with defaults:
  VARIANT_NAME (AllTraffic), CANARY_PERCENT (10), CANARY_WAIT_SECONDS (600),
  TERMINATION_WAIT_SECONDS (600), MAX_DEPLOYMENT_SECONDS (3600),
  SCALE_IN_COOLDOWN_SECONDS (600), SCALE_OUT_COOLDOWN_SECONDS (300), POWERTOOLS_SERVICE_NAME.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from deployer_config import load_config
from deployment_plan import Ignored, ModelApproval, classify_event
from sagemaker_deployer import AwsClients, DeploymentResult, ModelDeployer

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "model-deployer"))

CONFIG = load_config(os.environ)
_BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
CLIENTS = AwsClients(
    sagemaker=boto3.client("sagemaker", config=_BOTO_CONFIG),
    s3=boto3.client("s3", config=_BOTO_CONFIG),
    autoscaling=boto3.client("application-autoscaling", config=_BOTO_CONFIG),
)
DEPLOYER = ModelDeployer(CONFIG, CLIENTS)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        result = _dispatch(event)
    except Exception:
        # Logged here as one structured line with the event's identity; re-raised so the invocation
        # counts as an error and the event goes to the failure destination after Lambda's retries.
        logger.exception(
            "model deployer failed",
            extra={
                "event_id": _get(event, "id"),
                "detail_type": _get(event, "detail-type"),
            },
        )
        raise
    summary = result.as_dict()
    # Nested under one key: flat keys such as "created" would clash with LogRecord attributes.
    logger.info("model deployer result", extra={"result": summary})
    return summary


def _dispatch(event: object) -> DeploymentResult:
    request = classify_event(event, CONFIG)
    if isinstance(request, Ignored):
        return DeploymentResult(
            outcome="rejected",
            reason=request.reason,
            endpoint_name=CONFIG.endpoint_name,
        )
    if isinstance(request, ModelApproval):
        return DEPLOYER.deploy(request)
    return DEPLOYER.on_endpoint_in_service(request)


def _get(event: object, key: str) -> object:
    return event.get(key) if isinstance(event, dict) else None
