"""The MlStack smoke group against a moto server, with the stack's resources made by hand.

The full local deploy (tests/local_deploy) runs these checks after `cdk deploy`; here the few
resources they read are created directly, so the checks' own logic is tested in seconds.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local_deploy.smoke import SmokeContext, run_checks
from local_deploy.smoke import ml as ml_smoke
from platform_config import parse_profile
from tests.synthesis import cdk_json_context

REGION = "us-east-1"
PIPELINE = "dataplatform-dev-training"
GROUP = "dataplatform-dev-models"
ENDPOINT = "dataplatform-dev-inference"
BUCKET = "ml-artifacts-smoke"


@pytest.fixture(scope="module")
def endpoint_url() -> Iterator[str]:
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    _host, port = server.get_host_and_port()
    yield f"http://localhost:{port}"
    server.stop()


def _deploy_stand_ins(session: boto3.Session, url: str) -> dict[str, str]:
    def client(name: str):
        return session.client(name, endpoint_url=url)

    iam = client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "sagemaker.amazonaws.com"}}]}  # fmt: skip
    role = iam.create_role(RoleName="smoke-model", AssumeRolePolicyDocument=json.dumps(trust))
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    vpc = client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = client("ec2").create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = client("ec2").create_security_group(GroupName="sg", Description="d", VpcId=vpc)
    client("s3").create_bucket(Bucket=BUCKET)
    sagemaker = client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    definition = {"Version": "2020-12-01", "Steps": [
        {"Name": "Prepare", "Type": "Processing", "Arguments": {}},
        {"Name": "Train", "Type": "Training", "Arguments": {"EnableManagedSpotTraining": True}},
        {"Name": "Evaluate", "Type": "Processing", "Arguments": {}},
        {"Name": "CheckMetric", "Type": "Condition", "Arguments": {
            "IfSteps": [{"Name": "RegisterModel", "Type": "RegisterModel", "Arguments": {}}],
            "ElseSteps": []}},
    ]}  # fmt: skip
    sagemaker.create_pipeline(
        PipelineName=PIPELINE,
        PipelineDefinition=json.dumps(definition),
        RoleArn=role["Role"]["Arn"],
    )
    events = client("events")
    for name, detail in (
        ("approved", {"ModelPackageGroupName": [GROUP], "ModelApprovalStatus": ["Approved"]}),
        ("in-service", {"EndpointName": [ENDPOINT], "EndpointStatus": ["IN_SERVICE"]}),
    ):
        events.put_rule(Name=name, EventPattern=json.dumps({"source": ["aws.sagemaker"],
                                                             "detail": detail}))  # fmt: skip
    environment = {
        "MODEL_PACKAGE_GROUP_NAME": GROUP, "ENDPOINT_NAME": ENDPOINT,
        "EXECUTION_ROLE_ARN": role["Role"]["Arn"], "INSTANCE_TYPE": "ml.g5.xlarge",
        "INITIAL_INSTANCE_COUNT": "1", "MIN_CAPACITY": "1", "MAX_CAPACITY": "2",
        "TARGET_INVOCATIONS_PER_INSTANCE": "100", "KMS_KEY_ARN": key,
        "DATA_CAPTURE_S3_URI": f"s3://{BUCKET}/datacapture/",
        "DATA_CAPTURE_SAMPLING_PERCENTAGE": "20",
        "SUBNET_IDS": subnet, "SECURITY_GROUP_IDS": group["GroupId"],
        "ALARM_NAMES": f"{ENDPOINT}-invocation-5xx,{ENDPOINT}-model-latency",
    }  # fmt: skip
    lambda_role = iam.create_role(RoleName="smoke-fn", AssumeRolePolicyDocument=json.dumps(trust))
    client("lambda").create_function(
        FunctionName="smoke-deployer",
        Runtime="python3.13",
        Role=lambda_role["Role"]["Arn"],
        Handler="handler.lambda_handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={"Variables": environment},
    )
    return {
        "PipelineName": PIPELINE,
        "ModelPackageGroupName": GROUP,
        "EndpointName": ENDPOINT,
        "ArtifactsBucketName": BUCKET,
        "DeployerFunctionName": "smoke-deployer",
    }


def test_every_ml_check_passes_against_the_emulator(endpoint_url: str) -> None:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    outputs = _deploy_stand_ins(session, endpoint_url)
    rules = session.client("events", endpoint_url=endpoint_url).list_rules()["Rules"]
    context = SmokeContext(
        stack_id=ml_smoke.STACK_ID,
        stack_name="dataplatform-dev-ml",
        outputs=outputs,
        config=parse_profile("dev", copy.deepcopy(cdk_json_context()["profiles"]["dev"])),
        session=session,
        endpoint=endpoint_url,
        resources={r["Name"]: ("AWS::Events::Rule", r["Name"]) for r in rules},
    )
    results = list(run_checks(context, ml_smoke.CHECKS))
    failures = [(r.name, r.detail) for r in results if not r.passed]
    assert failures == []
    assert "endpoint dataplatform-dev-inference" in results[-1].detail
