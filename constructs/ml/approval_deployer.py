"""ApprovalDeployer: approval of a model package -> EventBridge -> deployer Lambda -> endpoint.

Two rules on the default bus feed lambda/model_deployer: "Approved" state changes of this
stack's model package group, and IN_SERVICE state changes of this stack's endpoint (autoscaling
is attached once the endpoint is ready). Events EventBridge cannot deliver, and events the
function still fails on after its retries, land in one KMS-encrypted, TLS-only queue.
The IAM below is the table in lambda/model_deployer/README.md, statement by statement.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from constructs import Construct
from constructs.core.bucket_grants import OBJECT_READ
from constructs.core.cfn import default_policy, default_resource
from constructs.core.key import RotatingKey
from constructs.core.nag import acknowledge_wildcard_resources
from constructs.core.python_function import PythonFunction
from constructs.ml.endpoint_spec import EndpointSpec
from constructs.ml.model_serving import S3Location
from constructs.ml.training_pipeline import SAGEMAKER_SERVICE

MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"
AUTOSCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
# What lambda/model_deployer registers and scales (its SCALABLE_DIMENSION).
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
FAILED_EVENT_RETENTION = cdk.Duration.days(14)


class ApprovalDeployer(Construct):
    """Deploys each approved model package of one group to the GPU endpoint described by `spec`.

    Creates the deployer Lambda (lambda/model_deployer, its own encrypted log group), two
    EventBridge rules on the default bus (package "Approved" in `model_package_group_name`;
    `spec.endpoint_name` IN_SERVICE), and one KMS-encrypted, TLS-only queue for events that
    EventBridge cannot deliver or that the function still fails on after its retries.

    Secure defaults: the function's role gets only the statements of the table in
    lambda/model_deployer/README.md, each scoped to this group, this endpoint and its config
    names; it may pass only `execution_role`, only to SageMaker; the queue's key lets
    EventBridge encrypt only for this account.

    :param spec: the endpoint the function creates and updates.
    :param model_package_group_name: the group whose approvals trigger a deployment.
    :param execution_role: the role the endpoint's model runs with (passed to SageMaker).
    :param artifacts: where the approved packages' model artifacts live (read to validate them).
    :param alarms: the auto-rollback alarms of every blue/green update.
    :param reserved_concurrency: concurrent executions reserved for the function. Default:
        none reserved. The reservation is not what keeps deployments apart: SageMaker refuses
        CreateEndpoint on an existing endpoint and UpdateEndpoint on one that is not InService,
        and the function answers those races itself (an "already existing" create counts as
        done; a refused create or update raises, and Lambda's retry then finds the endpoint and
        answers `unchanged` or `busy`). A reservation of 1 also queues concurrent events, but
        an account must keep 100 executions unreserved, so one whose quota is 10 (as many new
        accounts' is) refuses any reservation.
    :param log_retention: how long the function's log events are kept. Default: two years.
    :param removal_policy: what happens to the log group, the keys and the queue when they
        leave the stack. Default: RETAIN.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: EndpointSpec,
        model_package_group_name: str,
        execution_role: iam.IRole,
        artifacts: S3Location,
        alarms: Sequence[cloudwatch.IAlarm],
        reserved_concurrency: int | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.TWO_YEARS,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack = cdk.Stack.of(self)
        self.spec = spec
        self.function = PythonFunction(
            self,
            "Deployer",
            source="model_deployer",
            description="Deploys approved model packages to the GPU endpoint",
            log_retention=log_retention,
            removal_policy=removal_policy,
            # API calls only, never a wait (see the function's README).
            memory_size=256,
            timeout=cdk.Duration.seconds(60),
            environment=self._environment(spec, model_package_group_name, execution_role, alarms),
            # Optional: SageMaker and the function's own checks keep concurrent runs safe (see
            # reserved_concurrency above); with 1, Lambda also queues and retries throttled
            # asynchronous events (within the max event age below).
            reserved_concurrency=reserved_concurrency,
        )
        self.function.skip_checkov(
            {
                "CKV_AWS_116": "Asynchronous failures go to an on-failure destination (the "
                "failed-event queue, through the EventInvokeConfig below), which keeps the "
                "request and the error; a dead-letter queue would keep less, in the same place."
            }
        )
        self.failed_events = self._failure_queue(removal_policy)
        self.function.function.configure_async_invoke(
            retry_attempts=2,
            max_event_age=cdk.Duration.hours(1),
            on_failure=destinations.SqsDestination(self.failed_events),
        )
        self._grant(spec, model_package_group_name, execution_role, artifacts, alarms)
        self._rules(spec, model_package_group_name)

    def _rules(self, spec: EndpointSpec, model_package_group_name: str) -> None:
        """Approvals of the group's packages, and the endpoint reaching IN_SERVICE, invoke the
        function; what EventBridge cannot deliver goes to the failed-event queue."""
        target = targets.LambdaFunction(
            self.function.function,
            dead_letter_queue=self.failed_events,
            retry_attempts=8,
            max_event_age=cdk.Duration.hours(2),
        )
        self.approval_rule = events.Rule(
            self,
            "ModelApproved",
            description=f"Approved packages of {model_package_group_name} -> deployer",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=[MODEL_PACKAGE_STATE_CHANGE],
                detail={
                    "ModelPackageGroupName": [model_package_group_name],
                    "ModelApprovalStatus": ["Approved"],
                },
            ),
            targets=[target],
        )
        self.in_service_rule = events.Rule(
            self,
            "EndpointInService",
            description=f"{spec.endpoint_name} IN_SERVICE -> deployer attaches autoscaling",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=[ENDPOINT_STATE_CHANGE],
                detail={"EndpointName": [spec.endpoint_name], "EndpointStatus": ["IN_SERVICE"]},
            ),
            targets=[target],
        )

    @staticmethod
    def _environment(
        spec: EndpointSpec,
        group: str,
        execution_role: iam.IRole,
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> dict[str, str]:
        return {
            "MODEL_PACKAGE_GROUP_NAME": group,
            "ENDPOINT_NAME": spec.endpoint_name,
            "EXECUTION_ROLE_ARN": execution_role.role_arn,
            "INSTANCE_TYPE": spec.instance_type,
            "INITIAL_INSTANCE_COUNT": str(spec.min_capacity),
            "MIN_CAPACITY": str(spec.min_capacity),
            "MAX_CAPACITY": str(spec.max_capacity),
            "TARGET_INVOCATIONS_PER_INSTANCE": str(spec.target_invocations_per_instance),
            "KMS_KEY_ARN": spec.kms_key_arn,
            "DATA_CAPTURE_S3_URI": spec.data_capture_s3_uri,
            "DATA_CAPTURE_SAMPLING_PERCENTAGE": str(spec.data_capture_sampling_percentage),
            "SUBNET_IDS": cdk.Fn.join(",", list(spec.subnet_ids)),
            "SECURITY_GROUP_IDS": cdk.Fn.join(",", list(spec.security_group_ids)),
            "ALARM_NAMES": ",".join(alarm.alarm_name for alarm in alarms),
            "VARIANT_NAME": spec.variant_name,
        }

    def _failure_queue(self, removal_policy: cdk.RemovalPolicy) -> sqs.Queue:
        key = RotatingKey(
            self,
            "FailedEventsKey",
            description="Encrypts the model deployer's failed-event queue",
            removal_policy=removal_policy,
        )
        # EventBridge encrypts what it dead-letters with this key, so it must be allowed to.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeDeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": self._stack.account}},
            )
        )
        queue = sqs.Queue(
            self,
            "FailedEvents",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=FAILED_EVENT_RETENTION,
            # Says what the queue is: a dead-letter queue (Control Tower's CT.SQS.PR.1 asks
            # every other queue for a DLQ of its own). allowAll is SQS's default when unset:
            # any queue of this account and Region may name it.
            redrive_allow_policy=sqs.RedriveAllowPolicy(
                redrive_permission=sqs.RedrivePermission.ALLOW_ALL
            ),
            removal_policy=removal_policy,
        )
        cdk.Validations.of(default_resource(queue)).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is itself the dead-letter destination of the deployer's "
                "EventBridge targets and its async invocations; it has nowhere further to go.",
            )
        )
        return queue

    def _sagemaker_arn(self, resource: str, name: str) -> str:
        return self._stack.format_arn(service="sagemaker", resource=resource, resource_name=name)

    def _grant(
        self,
        spec: EndpointSpec,
        group: str,
        execution_role: iam.IRole,
        artifacts: S3Location,
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        """The function's default policy: the table in lambda/model_deployer/README.md."""
        endpoint = spec.endpoint_name
        model = self._sagemaker_arn("model", f"{endpoint}-v*")
        endpoint_config = self._sagemaker_arn("endpoint-config", f"{endpoint}-v*")
        for statement in (
            *self._sagemaker_statements(
                spec, group=group, model=model, endpoint_config=endpoint_config
            ),
            *self._access_statements(spec, execution_role),
            *self._autoscaling_statements(spec, alarms),
        ):
            self.function.role.add_to_policy(statement)
        # Check the artifact exists (HeadObject needs ListBucket to tell "absent" from denied);
        # no key grant: the deployer never reads the artifact's content.
        artifacts.grant(self.function.role, OBJECT_READ, list_bucket=True)
        self._acknowledge(group, model, endpoint_config, artifacts)
        self._grant_autoscaling()

    def _sagemaker_statements(
        self, spec: EndpointSpec, *, group: str, model: str, endpoint_config: str
    ) -> list[iam.PolicyStatement]:
        """Read an approved package, create its model and endpoint config, create or update the
        endpoint, and tag what it creates."""
        endpoint_arn = self._sagemaker_arn("endpoint", spec.endpoint_name)
        return [
            iam.PolicyStatement(
                sid="DescribeModelPackages",
                actions=["sagemaker:DescribeModelPackage"],
                resources=[self._sagemaker_arn("model-package", f"{group}/*")],
            ),
            iam.PolicyStatement(
                sid="Models",
                actions=["sagemaker:DescribeModel", "sagemaker:CreateModel"],
                resources=[model],
            ),
            iam.PolicyStatement(
                sid="EndpointConfigs",
                actions=["sagemaker:DescribeEndpointConfig", "sagemaker:CreateEndpointConfig"],
                resources=[endpoint_config],
            ),
            iam.PolicyStatement(
                sid="Endpoint",
                actions=[
                    "sagemaker:DescribeEndpoint",
                    "sagemaker:CreateEndpoint",
                    "sagemaker:UpdateEndpoint",
                ],
                resources=[endpoint_arn, endpoint_config],
            ),
            iam.PolicyStatement(
                sid="TagWhatItCreates",
                actions=["sagemaker:AddTags"],
                resources=[model, endpoint_config, endpoint_arn],
            ),
        ]

    @staticmethod
    def _access_statements(
        spec: EndpointSpec, execution_role: iam.IRole
    ) -> list[iam.PolicyStatement]:
        """Pass the model role (to SageMaker only), let SageMaker use the endpoint's key."""
        return [
            iam.PolicyStatement(
                sid="PassModelRole",
                actions=["iam:PassRole"],
                resources=[execution_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
            ),
            iam.PolicyStatement(
                sid="GrantEndpointKeyToSageMaker",
                actions=["kms:CreateGrant"],
                resources=[spec.kms_key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
            iam.PolicyStatement(
                sid="DescribeEndpointKey", actions=["kms:DescribeKey"], resources=[spec.kms_key_arn]
            ),
        ]

    def _autoscaling_statements(
        self, spec: EndpointSpec, alarms: Sequence[cloudwatch.IAlarm]
    ) -> list[iam.PolicyStatement]:
        """Attach target-tracking autoscaling to the endpoint, and read the rollback alarms."""
        endpoint = spec.endpoint_name
        endpoint_arn = self._sagemaker_arn("endpoint", endpoint)
        return [
            iam.PolicyStatement(
                sid="AutoscalingCallerRights",
                actions=["sagemaker:UpdateEndpointWeightsAndCapacities"],
                resources=[endpoint_arn],
            ),
            iam.PolicyStatement(
                sid="TargetTrackingAlarms",
                actions=[
                    "cloudwatch:PutMetricAlarm",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:DeleteAlarms",
                ],
                resources=[
                    self._stack.format_arn(
                        service="cloudwatch",
                        resource="alarm",
                        resource_name=f"TargetTracking-endpoint/{endpoint}/*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            ),
            iam.PolicyStatement(
                sid="RollbackAlarms",
                actions=["cloudwatch:DescribeAlarms"],
                resources=[alarm.alarm_arn for alarm in alarms],
            ),
            iam.PolicyStatement(
                sid="AutoscalingServiceLinkedRole",
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    self._stack.format_arn(
                        service="iam",
                        region="",
                        resource="role",
                        resource_name=f"aws-service-role/{AUTOSCALING_SERVICE}/"
                        "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                    )
                ],
                conditions={"StringEquals": {"iam:AWSServiceName": AUTOSCALING_SERVICE}},
            ),
        ]

    def _grant_autoscaling(self) -> None:
        # A policy of its own, so that its Resource * carries its own reviewed reason instead of
        # sharing the default policy's (X-Ray) acknowledgement.
        policy = iam.Policy(
            self,
            "AutoscalingPolicy",
            roles=[self.function.role],
            statements=[
                iam.PolicyStatement(
                    sid="Autoscaling",
                    actions=[
                        "application-autoscaling:RegisterScalableTarget",
                        "application-autoscaling:DeregisterScalableTarget",
                        "application-autoscaling:PutScalingPolicy",
                    ],
                    resources=["*"],
                    # The request-level keys these actions take (the scalable target itself has
                    # none): SageMaker variants' instance counts only, no other service's targets.
                    conditions={
                        "StringEquals": {
                            "application-autoscaling:service-namespace": "sagemaker",
                            "application-autoscaling:scalable-dimension": SCALABLE_DIMENSION,
                        }
                    },
                )
            ],
        )
        self.function.wait_for_policies(policy)
        cdk.Validations.of(default_resource(policy)).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Application Auto Scaling's Register/Deregister/PutScalingPolicy take no "
                "narrower resource: a scalable target's ARN carries an ID generated at "
                "registration (see lambda/model_deployer/README.md).",
            )
        )

    def _acknowledge(
        self, group: str, model: str, endpoint_config: str, artifacts: S3Location
    ) -> None:
        policy = default_policy(self.function.role)
        acknowledge_wildcard_resources(
            policy,
            [self._sagemaker_arn("model-package", f"{group}/*"), model, endpoint_config],
            "Names are minted per approved version (<endpoint>-v<version>-<hash>, package "
            "versions numbered at registration); each pattern is this stack's group or endpoint.",
        )
        acknowledge_wildcard_resources(
            policy,
            [artifacts.objects_arn],
            "The deployer checks that an approved package's artifact exists; artifacts are "
            "written under per-execution keys of this pipeline's prefix.",
        )
        acknowledge_wildcard_resources(
            policy,
            [
                self._stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=f"TargetTracking-endpoint/{self.spec.endpoint_name}/*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            "Application Auto Scaling names target-tracking alarms with a generated suffix; the "
            "pattern covers only this endpoint's alarms.",
        )
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
            cdk.Validations.of(policy).acknowledge(
                cdk.Acknowledgment(
                    id=f"AwsSolutions-IAM5[Action::{action}]",
                    reason="Added by CDK's SQS grant for the failure destination, on the "
                    "queue's own key only: the function can only encrypt what it sends there.",
                )
            )
