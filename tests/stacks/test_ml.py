"""MlStack: the training pipeline definition, registry, roles, deployer wiring, alarms, config."""

from __future__ import annotations

import copy
import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs.core.alarm_topic import AlarmTopic
from constructs.ml.training_pipeline import VPC_ENI_ACTIONS
from ml import contract
from platform_config import ConfigError, parse_profile
from platform_config.ml import Hyperparameters
from stacks.ml import MlStack
from tests.ml_pipeline.template_values import of_type, resolve_body, single, steps_by_name
from tests.synthesis import Synthesized, cdk_json_context

STACK = "MlStack"
PINNED_URL = "s3://model-archive-bucket/models/v7/model.tar.gz"

# From lambda/model_deployer/README.md, "Environment variables" (required ones plus VARIANT_NAME).
DEPLOYER_ENV = {
    "MODEL_PACKAGE_GROUP_NAME", "ENDPOINT_NAME", "EXECUTION_ROLE_ARN", "INSTANCE_TYPE",
    "INITIAL_INSTANCE_COUNT", "MIN_CAPACITY", "MAX_CAPACITY", "TARGET_INVOCATIONS_PER_INSTANCE",
    "KMS_KEY_ARN", "DATA_CAPTURE_S3_URI", "DATA_CAPTURE_SAMPLING_PERCENTAGE", "SUBNET_IDS",
    "SECURITY_GROUP_IDS", "ALARM_NAMES", "VARIANT_NAME", "POWERTOOLS_SERVICE_NAME",
}  # fmt: skip
# From the README's IAM table, plus what PythonFunction and the failure destination add.
DEPLOYER_ACTIONS = {
    "sagemaker:DescribeModelPackage", "sagemaker:DescribeModel", "sagemaker:CreateModel",
    "sagemaker:DescribeEndpointConfig", "sagemaker:CreateEndpointConfig",
    "sagemaker:DescribeEndpoint", "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint",
    "sagemaker:AddTags", "iam:PassRole", "s3:GetObject", "s3:ListBucket", "kms:CreateGrant",
    "kms:DescribeKey", "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:PutScalingPolicy",
    "sagemaker:UpdateEndpointWeightsAndCapacities", "cloudwatch:PutMetricAlarm",
    "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms", "iam:CreateServiceLinkedRole",
}  # fmt: skip
FUNCTION_BASELINE = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments",
                     "xray:PutTelemetryRecords", "sqs:SendMessage", "sqs:GetQueueAttributes",
                     "sqs:GetQueueUrl", "kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*",
                     "kms:GenerateDataKey*"}  # fmt: skip


def template(synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.template_json(STACK)


def definition(synthesized: Synthesized) -> dict[str, Any]:
    _, pipeline = single(template(synthesized), "AWS::SageMaker::Pipeline")
    return resolve_body(pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"])


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return policy["Properties"]["PolicyDocument"]["Statement"]


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


def role_policy(template_json: dict[str, Any], role_prefix: str) -> dict[str, Any]:
    policies = of_type(template_json, "AWS::IAM::Policy")
    (policy,) = [p for k, p in policies.items() if k.startswith(role_prefix)]
    return policy


# --- the pipeline definition ---------------------------------------------------------------


def test_five_steps_in_order_with_their_types(synthesized: Synthesized) -> None:
    document = definition(synthesized)
    assert document["Version"] == "2020-12-01"
    top = [(s["Name"], s["Type"]) for s in document["Steps"]]
    assert top == [
        ("Prepare", "Processing"),
        ("Train", "Training"),
        ("Evaluate", "Processing"),
        ("CheckMetric", "Condition"),
    ]
    condition = document["Steps"][3]["Arguments"]
    assert [(s["Name"], s["Type"]) for s in condition["IfSteps"]] == [
        ("PackageModel", "Processing"),
        ("RegisterModel", "RegisterModel"),
    ]
    assert [s["Type"] for s in condition["ElseSteps"]] == ["Fail"]
    core = [s["Type"] for s in steps_by_name(document).values() if s["Name"] != "PackageModel"]
    assert core[:5] == ["Processing", "Training", "Processing", "Condition", "RegisterModel"]


@pytest.mark.parametrize(
    ("profile", "instance", "max_run", "max_wait"),
    [("dev", "ml.g5.xlarge", 3600, 7200), ("prod", "ml.g5.4xlarge", 14400, 28800)],
)
def test_training_step_spot_checkpoints_vpc_isolation_kms(
    profile: str, instance: str, max_run: int, max_wait: int, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(profile)
    train = steps_by_name(definition(synthesized))["Train"]["Arguments"]
    assert train["ResourceConfig"]["InstanceType"] == instance
    # g5 has local NVMe storage: SageMaker refuses a volume key there (hardware-encrypted).
    assert "VolumeKmsKeyId" not in train["ResourceConfig"]
    assert train["EnableManagedSpotTraining"] is True
    assert train["StoppingCondition"] == {
        "MaxRuntimeInSeconds": max_run,
        "MaxWaitTimeInSeconds": max_wait,
    }
    assert train["CheckpointConfig"]["LocalPath"] == "/opt/ml/checkpoints"
    assert "checkpoints" in json.dumps(train["CheckpointConfig"]["S3Uri"])
    assert train["EnableNetworkIsolation"] is True
    assert train["EnableInterContainerTrafficEncryption"] is True
    subnets = train["VpcConfig"]["Subnets"]
    assert len(subnets) == {"dev": 2, "prod": 3}[profile]
    assert all("privateSubnet" in subnet for subnet in subnets)
    (security_group,) = train["VpcConfig"]["SecurityGroupIds"]
    assert security_group.startswith("{GetAtt:TrainingJobSecurityGroup")
    assert train["OutputDataConfig"]["KmsKeyId"].startswith("{GetAtt:MlKey")


def test_training_runs_train_py_in_script_mode_with_parameters(dev: Synthesized) -> None:
    document = definition(dev)
    train = steps_by_name(document)["Train"]["Arguments"]
    hyperparameters = train["HyperParameters"]
    assert hyperparameters["sagemaker_program"] == '"train.py"'
    code_channel = next(c for c in train["InputDataConfig"] if c["ChannelName"] == "code")
    code_uri = code_channel["DataSource"]["S3DataSource"]["S3Uri"]
    assert code_uri.endswith(".gz")
    # Network isolation: the code arrives as a channel, and the toolkit opens the local file.
    file_name = code_uri.rsplit("/", 1)[1]
    assert hyperparameters["sagemaker_submit_directory"] == (
        f'"/opt/ml/input/data/code/{file_name}"'
    )
    parameters = {p["Name"]: p for p in document["Parameters"]}
    assert hyperparameters["max_depth"] == {"Std:Join": {"On": "", "Values": [
        {"Get": "Parameters.MaxDepth"}]}}  # fmt: skip
    assert parameters["MaxDepth"] == {"Name": "MaxDepth", "Type": "Integer", "DefaultValue": 6}
    assert parameters["Eta"]["Type"] == "Float"
    assert parameters["InputDataUri"]["DefaultValue"].endswith("/training/events/")
    names = [m["Name"] for m in train["AlgorithmSpecification"]["MetricDefinitions"]]
    assert "validation:logloss" in names


def test_processing_steps_isolated_and_encrypted(dev: Synthesized) -> None:
    steps = steps_by_name(definition(dev))
    for name in ("Prepare", "Evaluate", "PackageModel"):
        arguments = steps[name]["Arguments"]
        cluster = arguments["ProcessingResources"]["ClusterConfig"]
        assert cluster["InstanceType"] == "ml.m5.xlarge"
        assert cluster["VolumeKmsKeyId"].startswith("{GetAtt:MlKey")  # m5: EBS, keyed
        assert arguments["NetworkConfig"]["EnableNetworkIsolation"] is True
        assert arguments["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
        assert arguments["ProcessingOutputConfig"]["KmsKeyId"].startswith("{GetAtt:MlKey")
        assert arguments["AppSpecification"]["ImageUri"].startswith("{FindInMap:XgboostImage")
    prepare_inputs = {i["InputName"]: i for i in steps["Prepare"]["Arguments"]["ProcessingInputs"]}
    assert prepare_inputs["export"]["S3Input"]["S3Uri"] == {"Get": "Parameters.InputDataUri"}
    assert steps["Prepare"]["Arguments"]["AppSpecification"]["ContainerEntrypoint"][-1] == (
        "prepare.py"
    )


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_condition_on_the_configured_threshold(
    profile: str, request: pytest.FixtureRequest
) -> None:
    steps = steps_by_name(definition(request.getfixturevalue(profile)))
    assert steps["Evaluate"]["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation",
         "FilePath": "evaluation.json"}
    ]  # fmt: skip
    (condition,) = steps["CheckMetric"]["Arguments"]["Conditions"]
    assert condition == {
        "Type": "GreaterThanOrEqualTo",
        "LeftValue": {
            "Std:JsonGet": {
                "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
                "Path": "metrics.accuracy",
            }
        },
        "RightValue": 0.7,
    }


def test_register_model_pending_approval_with_metrics(dev: Synthesized) -> None:
    register = steps_by_name(definition(dev))["RegisterModel"]["Arguments"]
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["ModelPackageGroupName"] == "dataplatform-dev-models"
    statistics = register["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["ContentType"] == "application/json"
    assert statistics["S3Uri"]["Std:Join"]["Values"] == [
        {"Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"},
        "evaluation.json",
    ]
    (container,) = register["InferenceSpecification"]["Containers"]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    assert container["ModelDataUrl"]["Std:Join"]["Values"][0] == {
        "Get": "Steps.PackageModel.ProcessingOutputConfig.Outputs['packaged'].S3Output.S3Uri"
    }
    lineage = register["CustomerMetadataProperties"]
    assert lineage["input_data_uri"] == {"Get": "Parameters.InputDataUri"}
    assert lineage["pipeline_execution_arn"] == {"Get": "Execution.PipelineExecutionArn"}


def test_model_package_group_and_pipeline_names(synthesized: Synthesized) -> None:
    prefix = f"dataplatform-{synthesized.profile}"
    t = template(synthesized)
    _, group = single(t, "AWS::SageMaker::ModelPackageGroup")
    assert group["Properties"]["ModelPackageGroupName"] == f"{prefix}-models"
    _, pipeline = single(t, "AWS::SageMaker::Pipeline")
    assert pipeline["Properties"]["PipelineName"] == f"{prefix}-training"
    assert pipeline["Properties"]["RoleArn"]["Fn::GetAtt"][0].startswith("TrainingExecutionRole")


# --- roles -------------------------------------------------------------------------------------


def test_no_managed_full_access_policies(synthesized: Synthesized) -> None:
    for role in of_type(template(synthesized), "AWS::IAM::Role").values():
        assert "FullAccess" not in json.dumps(role["Properties"].get("ManagedPolicyArns", []))


def test_execution_role_passes_only_itself_to_sagemaker(dev: Synthesized) -> None:
    t = template(dev)
    roles = of_type(t, "AWS::IAM::Role")
    (role_id,) = [k for k in roles if k.startswith("TrainingExecutionRole")]
    trust = roles[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "sagemaker.amazonaws.com"}]
    policy = role_policy(t, "TrainingExecutionRoleDefaultPolicy")
    (pass_role,) = [s for s in statements(policy) if "iam:PassRole" in actions_of(s)]
    assert pass_role["Resource"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    all_actions = {a for s in statements(policy) for a in actions_of(s)}
    assert not any(a.endswith("*") for a in all_actions), all_actions
    # Resource "*" only where IAM has nothing narrower: by the actions (grants write no Sid).
    wildcard_actions = sorted(
        a for s in statements(policy) if s["Resource"] == "*" for a in actions_of(s)
    )
    describe = sorted(a for a in VPC_ENI_ACTIONS if a.startswith("ec2:Describe"))
    assert wildcard_actions == sorted(
        ["ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", *describe]
    )


def test_execution_role_reads_only_the_training_prefix(dev: Synthesized) -> None:
    policy = role_policy(template(dev), "TrainingExecutionRoleDefaultPolicy")
    # Found by what they allow, not by Sid: the owners' grants write statements without one.
    # GetObject statements merge (the code archive's object joins the export's prefix): every
    # analytics-bucket object the role may read is under the training prefix.
    reads = [
        json.dumps(r)
        for s in statements(policy)
        if "s3:GetObject" in actions_of(s)
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        if "StorageAnalyticsBucket" in json.dumps(r)
    ]
    assert reads
    assert all(r.endswith('"/training/events/*"]]}') for r in reads), reads
    (listing,) = [
        s
        for s in statements(policy)
        if actions_of(s) == ["s3:ListBucket"] and "training/events/*" in json.dumps(s["Condition"])
    ]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["training/events/*"]}}


def test_execution_role_lists_the_code_prefix(dev: Synthesized) -> None:
    """The code inputs are S3Prefix inputs: SageMaker lists the prefix before it reads, so a
    role with GetObject on the archive alone fails the pipeline's first step."""
    policy = role_policy(template(dev), "TrainingExecutionRoleDefaultPolicy")
    asset_bucket = "-assets-${AWS::AccountId}"  # the bootstrap asset bucket, any qualifier
    (listing,) = [
        s
        for s in statements(policy)
        if actions_of(s) == ["s3:ListBucket"] and asset_bucket in json.dumps(s["Resource"])
    ]
    (prefix,) = listing["Condition"]["StringLike"]["s3:prefix"]
    assert prefix.endswith(".gz"), f"the listing is not narrowed to the code archive: {prefix}"
    code_reads = [
        s for s in statements(policy) if "s3:GetObject" in actions_of(s) and prefix in json.dumps(s)
    ]
    assert code_reads, f"no GetObject on the code archive {prefix} beside its listing"


# --- deployment --------------------------------------------------------------------------------


def test_eventbridge_rules_target_the_deployer_with_dlq(dev: Synthesized) -> None:
    rules = of_type(template(dev), "AWS::Events::Rule")
    patterns = {k: r["Properties"]["EventPattern"] for k, r in rules.items()}
    assert sorted(patterns.values(), key=json.dumps) == sorted(
        [
            {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "detail": {
                    "ModelPackageGroupName": ["dataplatform-dev-models"],
                    "ModelApprovalStatus": ["Approved"],
                },
            },
            {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Endpoint State Change"],
                "detail": {
                    "EndpointName": ["dataplatform-dev-inference"],
                    "EndpointStatus": ["IN_SERVICE"],
                },
            },
        ],
        key=json.dumps,
    )
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"]["Fn::GetAtt"][0].startswith("DeploymentDeployerFunction")
        assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith(
            "DeploymentFailedEvents"
        )
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_failure_queue_is_kms_encrypted_and_tls_only(dev: Synthesized) -> None:
    t = template(dev)
    _, queue = single(t, "AWS::SQS::Queue")
    assert queue["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0].startswith(
        "DeploymentFailedEventsKey"
    )
    _, policy = single(t, "AWS::SQS::QueuePolicy")
    deny = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    _, invoke = single(t, "AWS::Lambda::EventInvokeConfig")
    assert invoke["Properties"]["MaximumRetryAttempts"] == 2
    assert "OnFailure" in invoke["Properties"]["DestinationConfig"]


def test_deployer_environment(dev: Synthesized) -> None:
    t = template(dev)
    _, function = single(t, "AWS::Lambda::Function")
    env = function["Properties"]["Environment"]["Variables"]
    assert set(env) == DEPLOYER_ENV
    assert env["INSTANCE_TYPE"] == "ml.g5.xlarge"
    assert (env["MIN_CAPACITY"], env["MAX_CAPACITY"], env["INITIAL_INSTANCE_COUNT"]) == (
        "1", "2", "1"
    )  # fmt: skip
    assert env["DATA_CAPTURE_SAMPLING_PERCENTAGE"] == "20"
    assert env["EXECUTION_ROLE_ARN"]["Fn::GetAtt"][0].startswith("ServingRole")
    alarms = of_type(t, "AWS::CloudWatch::Alarm")
    assert sorted(p["Ref"] for p in env["ALARM_NAMES"]["Fn::Join"][1] if isinstance(p, dict)) == (
        sorted(alarms)
    )
    assert function["Properties"]["Timeout"] == 60
    assert function["Properties"]["MemorySize"] == 256


@pytest.mark.parametrize(("profile", "reserved"), [("dev", None), ("prod", 1)])
def test_deployer_reservation_per_profile(
    profile: str, reserved: int | None, request: pytest.FixtureRequest
) -> None:
    """dev reserves no concurrency (a new account's quota of 10 refuses any); prod keeps 1."""
    t = template(request.getfixturevalue(profile))
    _, function = single(t, "AWS::Lambda::Function")
    assert function["Properties"].get("ReservedConcurrentExecutions") == reserved


def test_deployer_iam_is_the_readme_table(dev: Synthesized) -> None:
    t = template(dev)
    roles = of_type(t, "AWS::IAM::Role")
    (role_id,) = [k for k in roles if k.startswith("DeploymentDeployerRole")]
    policies = [
        p for p in of_type(t, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]  # fmt: skip
    every = [s for p in policies for s in statements(p)]
    assert {a for s in every for a in actions_of(s)} == DEPLOYER_ACTIONS | FUNCTION_BASELINE
    assert roles[role_id]["Properties"].get("ManagedPolicyArns") is None
    by_sid = {s.get("Sid"): s for s in every}
    assert by_sid["Autoscaling"]["Resource"] == "*"
    assert by_sid["PassModelRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    assert by_sid["GrantEndpointKeyToSageMaker"]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"}
    }
    assert json.dumps(by_sid["Models"]["Resource"]).endswith(
        ':model/dataplatform-dev-inference-v*"]]}'
    )
    assert by_sid["AutoscalingServiceLinkedRole"]["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}
    }


def test_endpoint_alarms(dev: Synthesized) -> None:
    alarms = of_type(template(dev), "AWS::CloudWatch::Alarm")
    by_metric = {a["Properties"]["MetricName"]: a["Properties"] for a in alarms.values()}
    assert set(by_metric) == {"Invocation5XXErrors", "ModelLatency"}
    for properties in by_metric.values():
        assert properties["Namespace"] == "AWS/SageMaker"
        assert {"Name": "EndpointName", "Value": "dataplatform-dev-inference"} in (
            properties["Dimensions"]
        )
    assert by_metric["ModelLatency"]["Threshold"] == 500_000  # 500 ms in microseconds


def test_no_endpoint_until_a_model_is_approved(synthesized: Synthesized) -> None:
    t = template(synthesized)
    for resource_type in (
        "AWS::SageMaker::Endpoint",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Model",
        "AWS::ApplicationAutoScaling::ScalableTarget",
    ):
        assert not of_type(t, resource_type), resource_type  # fmt: skip


@pytest.mark.parametrize(("profile", "scheduled"), [("dev", False), ("prod", True)])
def test_schedule_per_profile(
    profile: str, scheduled: bool, request: pytest.FixtureRequest
) -> None:
    rules = of_type(template(request.getfixturevalue(profile)), "AWS::Events::Rule")
    schedules = [r["Properties"] for r in rules.values() if "ScheduleExpression" in r["Properties"]]
    assert len(schedules) == int(scheduled)
    if scheduled:
        (schedule,) = schedules
        assert schedule["ScheduleExpression"] == "cron(0 3 ? * SUN *)"
        assert "SageMakerPipelineParameters" in schedule["Targets"][0]


# --- the pinned-model path ----------------------------------------------------------------------


class _StandInNetwork(cdk.Stack):
    def __init__(self, scope: cdk.App) -> None:
        super().__init__(scope, "StandInNetwork")
        self.vpc = ec2.Vpc(self, "Vpc", max_azs=2, nat_gateways=1)


class _StandInLake(cdk.Stack):
    def __init__(self, scope: cdk.App) -> None:
        super().__init__(scope, "StandInLake")
        self.lake_key = kms.Key(self, "Key", enable_key_rotation=True)
        self.analytics_bucket = s3.Bucket(self, "Analytics", encryption_key=self.lake_key)


@pytest.fixture(scope="module")
def pinned() -> dict[str, Any]:
    """MlStack alone (stand-in network and lake) with ml.model_data_url set."""
    raw = copy.deepcopy(cdk_json_context()["profiles"]["dev"])
    raw["ml"]["model_data_url"] = PINNED_URL
    config = parse_profile("dev", raw)
    # The app's feature flags, without its profiles: only MlStack is built here.
    flags = {k: v for k, v in cdk_json_context().items() if k.startswith("@")}
    app = cdk.App(context=flags)
    topic = AlarmTopic(cdk.Stack(app, "StandInAlerting"), "AlarmTopic", topic_name="alarms")
    stack = MlStack(
        app,
        STACK,
        config=config,
        network=_StandInNetwork(app),
        lake=_StandInLake(app),
        alarm_topic=topic,
    )
    return app.synth().get_stack_by_name(stack.stack_name).template


def test_pinned_endpoint_created_by_cloudformation(pinned: dict[str, Any]) -> None:
    _, model = single(pinned, "AWS::SageMaker::Model")
    assert model["Properties"]["PrimaryContainer"]["ModelDataUrl"] == PINNED_URL
    assert model["Properties"]["EnableNetworkIsolation"] is True
    _, config = single(pinned, "AWS::SageMaker::EndpointConfig")
    (variant,) = config["Properties"]["ProductionVariants"]
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.g5.xlarge", 1)
    assert "KmsKeyId" not in config["Properties"]  # g5: local NVMe, hardware-encrypted
    capture = config["Properties"]["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 20
    assert capture["EnableCapture"] is True
    _, endpoint = single(pinned, "AWS::SageMaker::Endpoint")
    assert endpoint["Properties"]["EndpointName"] == "dataplatform-dev-inference"
    _, target = single(pinned, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["Properties"]["ResourceId"] == (
        "endpoint/dataplatform-dev-inference/variant/AllTraffic"
    )
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (1, 2)
    _, policy = single(pinned, "AWS::ApplicationAutoScaling::ScalingPolicy")
    tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 100
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == (
        "SageMakerVariantInvocationsPerInstance"
    )


def test_pinned_endpoint_replaces_the_deployer(pinned: dict[str, Any]) -> None:
    assert not of_type(pinned, "AWS::Lambda::Function")
    assert not of_type(pinned, "AWS::Events::Rule")
    # The serving role may read exactly the pinned artifact.
    policies = of_type(pinned, "AWS::IAM::Policy")
    (serving,) = [p for k, p in policies.items() if k.startswith("ServingRoleDefaultPolicy")]
    assert "model-archive-bucket/models/v7/model.tar.gz" in json.dumps(serving)


# --- config ------------------------------------------------------------------------------------


def _profile(**ml_changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(cdk_json_context()["profiles"]["dev"])
    raw["ml"].update(ml_changes)
    return raw


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"training_instance_type": "ml.m5.xlarge"}, "not a SageMaker GPU instance type"),
        ({"processing_instance_type": "ml.g5.xlarge"}, "not a SageMaker CPU instance type"),
        ({"max_run_seconds": 7200, "max_wait_seconds": 3600}, "max_wait_seconds (3600) is below"),
        ({"model_data_url": "https://bucket/model.tar.gz"}, "ml.model_data_url: got"),
        ({"model_data_url": "s3://bucket/"}, "s3://bucket/key URL"),
        ({"data_capture_sampling_percentage": 101}, "data_capture_sampling_percentage"),
        ({"endpoint_min_capacity": 3, "endpoint_max_capacity": 2}, "exceeds"),
        ({"endpoint_min_capacity": 0}, "endpoint_min_capacity"),
        ({"schedule_expression": "every day"}, "schedule_expression"),
        ({"schedule_expression": "rate(1 days)"}, "singular"),
        ({"metric_name": "log_loss"}, "ml.metric_name"),
        ({"metric_threshold": 1.5}, "ml.metric_threshold"),
        ({"endpoint_name": "Inference"}, "ml.endpoint_name"),
        ({"spot_training": "yes"}, "ml.spot_training"),
        ({"hyperparameters": {"max_depth": 6}}, "ml.hyperparameters.eta: missing"),
        ({"gpu": True}, "ml.gpu: unknown key"),
    ],
)
def test_bad_ml_config_is_one_clear_line(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_profile("dev", _profile(**changes))
    text = str(error.value)
    assert message in text
    assert "\n" not in text


def test_good_variants_accepted() -> None:
    config = parse_profile(
        "dev",
        _profile(
            model_data_url="s3://my-models/a/b/model.tar.gz",
            schedule_expression="rate(12 hours)",
            spot_training=False,
        ),
    )
    assert config.ml.model_data_url == "s3://my-models/a/b/model.tar.gz"
    assert config.ml.schedule_expression == "rate(12 hours)"


def test_hyperparameter_keys_match_the_training_script() -> None:
    assert set(Hyperparameters.model_fields) == set(contract.DEFAULT_HYPERPARAMETERS)
