"""GpuTrainingPipeline: the SageMaker pipeline, its execution role, network and model registry.

The definition comes from typed Python (ml_pipeline.training); this construct supplies the
deploy-time values (role, buckets, key, subnets, image, code archive) as CDK tokens and writes
the rendered JSON into PipelineDefinitionBody, so the template shows the definition in full.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct
from constructs.core.bucket_grants import (
    KEY_READ_WRITE,
    OBJECT_READ,
    OBJECT_READ_WRITE,
    grant_objects,
)
from constructs.core.cfn import default_policy, default_resource
from constructs.core.nag import acknowledge_wildcard_resources
from constructs.ml.source_archive import SourceArchive
from constructs.ml.xgboost_image import XgboostImage
from constructs.network.https_egress import https_egress_security_group
from ml_pipeline.training import TrainingPipelineSettings, build_training_pipeline

SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
# SageMaker Pipelines names every job it starts `pipelines-<execution>-<step>-<suffix>`.
_PIPELINE_JOB_NAMES = "pipelines-*"
VPC_ENI_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
)
_ENI_DESCRIBE_ACTIONS = [a for a in VPC_ENI_ACTIONS if a.startswith("ec2:Describe")]
# Actions on an existing interface: its ARN carries the ec2:Vpc key.
_ENI_CHANGE_ACTIONS = [
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
]


def vpc_network_interface_statements(
    scope: Construct, vpc: ec2.IVpc, sid: str
) -> list[iam.PolicyStatement]:
    """What SageMaker does with a role to put a job's or an endpoint's interfaces in `vpc`,
    each action scoped as far as EC2 allows (Service Authorization Reference):

    - CreateNetworkInterface: the subnet and security groups only in `vpc` (`ec2:Vpc`); the new
      interface's own ARN has no `ec2:Vpc` key yet, so it is allowed by type, not by VPC;
    - permissions on and deletion of interfaces: only interfaces in `vpc` (`ec2:Vpc`);
    - Describe*: no resource-level permissions (Resource * is the only valid value).

    Returns the statements; `eni_wildcards` lists their wildcard resources for cdk-nag.
    """
    stack = cdk.Stack.of(scope)
    in_vpc = {
        "StringEquals": {
            "ec2:Vpc": stack.format_arn(service="ec2", resource="vpc", resource_name=vpc.vpc_id)
        }
    }
    subnets, groups, interfaces = eni_wildcards(scope)
    return [
        iam.PolicyStatement(
            sid=sid,
            actions=["ec2:CreateNetworkInterface"],
            resources=[subnets, groups],
            conditions=in_vpc,
        ),
        iam.PolicyStatement(
            sid=f"{sid}New",
            actions=["ec2:CreateNetworkInterface"],
            resources=[interfaces],
        ),
        iam.PolicyStatement(
            sid=f"{sid}Change",
            actions=_ENI_CHANGE_ACTIONS,
            resources=[interfaces],
            conditions=in_vpc,
        ),
        iam.PolicyStatement(sid=f"{sid}Describe", actions=_ENI_DESCRIBE_ACTIONS, resources=["*"]),
    ]


def eni_wildcards(scope: Construct) -> tuple[str, str, str]:
    """The subnet, security-group and network-interface ARN patterns of the stack's account and
    region that vpc_network_interface_statements uses."""
    stack = cdk.Stack.of(scope)
    return (
        stack.format_arn(service="ec2", resource="subnet", resource_name="*"),
        stack.format_arn(service="ec2", resource="security-group", resource_name="*"),
        stack.format_arn(service="ec2", resource="network-interface", resource_name="*"),
    )


@dataclass(frozen=True)
class TrainingData:
    """Where the pipeline reads its input: a prefix of a lake bucket, and the lake's key."""

    bucket: s3.IBucket
    prefix: str
    key: kms.IKey

    @property
    def s3_uri(self) -> str:
        return f"s3://{self.bucket.bucket_name}/{self.prefix}"


@dataclass(frozen=True)
class TrainingSpec:
    """What the pipeline's jobs run on, and the bar a model must clear to be registered.

    Plain values, like EndpointSpec: the stack builds one from its config.

    :param training_instance_type: the GPU instance type of the training job.
    :param processing_instance_type: the instance type of the prepare and evaluate jobs.
    :param endpoint_instance_type: the instance type a registered package is approved for.
    :param hyperparameters: defaults of the pipeline's hyperparameter parameters, named as
        ml/train.py names them (a run may override each one).
    :param metric_name: the evaluation metric the condition step compares (higher is better).
    :param metric_threshold: the least `metric_name` a model needs to be registered.
    :param spot_training: managed spot training, resumed from checkpoints. Default: on.
    :param max_run_seconds: the training job's run-time limit. Default: 3600.
    :param max_wait_seconds: run time plus time spent waiting for spot capacity.
        Default: 7200.
    :raises ValueError: if `max_wait_seconds` is below `max_run_seconds`.
    """

    training_instance_type: str
    processing_instance_type: str
    endpoint_instance_type: str
    hyperparameters: Mapping[str, int | float]
    metric_name: str
    metric_threshold: float
    spot_training: bool = True
    max_run_seconds: int = 3600
    max_wait_seconds: int = 7200

    def __post_init__(self) -> None:
        # SageMaker refuses a spot wait shorter than the run it covers.
        if self.max_wait_seconds < self.max_run_seconds:
            raise ValueError(
                f"'max_wait_seconds' ({self.max_wait_seconds}) must be at least "
                f"'max_run_seconds' ({self.max_run_seconds})"
            )


@dataclass(frozen=True)
class PipelineNames:
    pipeline: str
    model_package_group: str


class GpuTrainingPipeline(Construct):
    """Prepare, train on a GPU (managed spot, checkpoints), evaluate, and register the model as
    PendingManualApproval if its metric clears the threshold; every job inside private subnets
    with network isolation and KMS, under one least-privilege role.

    :param training: instance types, hyperparameters, spot settings and the registration bar.
    :param names: the pipeline's and its model package group's names.
    :param vpc: the VPC the jobs run in.
    :param subnets: the private subnets of the jobs' interfaces.
    :param training_data: the lake prefix the prepare step reads, and the lake key.
    :param artifacts: the bucket of job outputs, checkpoints and models.
    :param artifacts_key: the key of `artifacts`, job volumes and outputs.
    :param code: the archive of the job scripts.
    :param image: the XGBoost container image.
    :param schedule_expression: an EventBridge schedule that starts the pipeline.
        Default: none, runs are started by hand.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        training: TrainingSpec,
        names: PipelineNames,
        vpc: ec2.IVpc,
        subnets: Sequence[ec2.ISubnet],
        training_data: TrainingData,
        artifacts: s3.IBucket,
        artifacts_key: kms.IKey,
        code: SourceArchive,
        image: XgboostImage,
        schedule_expression: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack = cdk.Stack.of(self)
        self._vpc = vpc
        self.names = names
        self.artifacts_prefix = f"pipelines/{names.pipeline}/"
        self.security_group = https_egress_security_group(
            self,
            "JobSecurityGroup",
            vpc=vpc,
            description="SageMaker pipeline jobs: HTTPS out (S3, ECR), nothing in from outside",
        )
        self.model_package_group = sagemaker.CfnModelPackageGroup(
            self,
            "ModelPackageGroup",
            model_package_group_name=names.model_package_group,
            model_package_group_description=f"Models trained by the {names.pipeline} pipeline",
        )
        self.role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal(SAGEMAKER_SERVICE),
            description=f"Runs the {names.pipeline} pipeline and the jobs it starts",
        )
        self._grant_jobs(training_data, artifacts, artifacts_key, code, image)

        self.definition = build_training_pipeline(
            self._settings(
                training,
                subnets=subnets,
                training_data=training_data,
                artifacts=artifacts,
                artifacts_key=artifacts_key,
                code=code,
                image=image,
            )
        )
        self.pipeline = self._pipeline()
        self.pipeline_arn = self._stack.format_arn(
            service="sagemaker", resource="pipeline", resource_name=names.pipeline
        )
        if schedule_expression is not None:
            self._schedule(schedule_expression)

    def _pipeline(self) -> sagemaker.CfnPipeline:
        pipeline = sagemaker.CfnPipeline(
            self,
            "Pipeline",
            pipeline_name=self.names.pipeline,
            pipeline_description="Prepare, GPU training, evaluation and conditional registration",
            role_arn=self.role.role_arn,
            pipeline_definition={
                "PipelineDefinitionBody": self._stack.to_json_string(self.definition.render())
            },
        )
        # The pipeline must not exist before its role's permissions do (the role itself is
        # already a dependency through RoleArn), nor before its model package group.
        pipeline.add_resource_dependency(self._default_policy())
        pipeline.add_resource_dependency(self.model_package_group)
        return pipeline

    def _settings(
        self,
        training: TrainingSpec,
        *,
        subnets: Sequence[ec2.ISubnet],
        training_data: TrainingData,
        artifacts: s3.IBucket,
        artifacts_key: kms.IKey,
        code: SourceArchive,
        image: XgboostImage,
    ) -> TrainingPipelineSettings:
        """What ml_pipeline needs to render the definition: CDK tokens as plain strings."""
        names = self.names
        return TrainingPipelineSettings(
            role_arn=self.role.role_arn,
            image_uri=image.image_uri,
            code_s3_uri=code.s3_uri,
            code_file_name=code.file_name,
            input_data_uri=training_data.s3_uri,
            artifacts_s3_uri=f"s3://{artifacts.bucket_name}/{self.artifacts_prefix.rstrip('/')}",
            kms_key_arn=artifacts_key.key_arn,
            subnet_ids=tuple(s.subnet_id for s in subnets),
            security_group_ids=(self.security_group.security_group_id,),
            processing_instance_type=training.processing_instance_type,
            training_instance_type=training.training_instance_type,
            endpoint_instance_type=training.endpoint_instance_type,
            spot_training=training.spot_training,
            max_run_seconds=training.max_run_seconds,
            max_wait_seconds=training.max_wait_seconds,
            hyperparameters=dict(training.hyperparameters),
            metric_name=training.metric_name,
            metric_threshold=training.metric_threshold,
            model_package_group_name=names.model_package_group,
        )

    def _default_policy(self) -> cdk.CfnResource:
        return default_resource(default_policy(self.role))

    def _arn(self, resource: str, name: str) -> str:
        return self._stack.format_arn(service="sagemaker", resource=resource, resource_name=name)

    def _grant_jobs(
        self,
        training_data: TrainingData,
        artifacts: s3.IBucket,
        artifacts_key: kms.IKey,
        code: SourceArchive,
        image: XgboostImage,
    ) -> None:
        """The pipeline role's one policy: run this pipeline's jobs, register its packages, read
        the training export, use the artifact prefix and key, pull the image, log, meter."""
        for statement in self._sagemaker_statements():
            self.role.add_to_policy(statement)
        self._grant_data(training_data, artifacts, artifacts_key, code)
        image.grant_pull(self.role)
        for statement in self._runtime_statements():
            self.role.add_to_policy(statement)
        self._acknowledge_jobs(training_data, artifacts)

    def _sagemaker_statements(self) -> list[iam.PolicyStatement]:
        role, group = self.role, self.names.model_package_group
        return [
            iam.PolicyStatement(
                sid="RunPipelineJobs",
                actions=[
                    "sagemaker:CreateProcessingJob",
                    "sagemaker:DescribeProcessingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:StopTrainingJob",
                    "sagemaker:AddTags",
                ],
                resources=[
                    self._arn("processing-job", _PIPELINE_JOB_NAMES),
                    self._arn("training-job", _PIPELINE_JOB_NAMES),
                ],
            ),
            iam.PolicyStatement(
                sid="RegisterModelPackages",
                actions=[
                    "sagemaker:CreateModelPackage",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:AddTags",
                ],
                resources=[
                    self._arn("model-package-group", group),
                    self._arn("model-package", f"{group}/*"),
                ],
            ),
            iam.PolicyStatement(
                sid="PassOnlyItselfToSageMaker",
                actions=["iam:PassRole"],
                resources=[role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE}},
            ),
        ]

    def _grant_data(
        self,
        training_data: TrainingData,
        artifacts: s3.IBucket,
        artifacts_key: kms.IKey,
        code: SourceArchive,
    ) -> None:
        """Read the training export, use this pipeline's artifact prefix and key, read the code."""
        grant_objects(
            self.role,
            training_data.bucket,
            actions=OBJECT_READ,
            objects=[f"{training_data.prefix}*"],
            list_prefixes=True,
            key_actions=("kms:Decrypt", "kms:DescribeKey"),
            key=training_data.key,
        )
        # The artifacts key also encrypts the jobs' volumes, hence DescribeKey and, for the
        # volumes SageMaker attaches on the jobs' behalf, CreateGrant.
        grant_objects(
            self.role,
            artifacts,
            actions=OBJECT_READ_WRITE,
            objects=[f"{self.artifacts_prefix}*"],
            list_prefixes=True,
            key_actions=(*KEY_READ_WRITE, "kms:DescribeKey"),
            key=artifacts_key,
        )
        iam.Grant.add_to_principal(
            grantee=self.role,
            actions=["kms:CreateGrant"],
            resource_arns=[artifacts_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
        # The code inputs are S3Prefix inputs: SageMaker lists the prefix before it reads.
        grant_objects(
            self.role,
            code.asset.bucket,
            actions=OBJECT_READ,
            objects=[code.asset.s3_object_key],
            list_prefixes=True,
        )

    def _runtime_statements(self) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="JobLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                resources=self._job_log_groups(),
            ),
            iam.PolicyStatement(
                sid="TrainingMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            ),
            *vpc_network_interface_statements(self, self._vpc, "VpcJobNetworkInterfaces"),
        ]

    def _acknowledge_jobs(self, training_data: TrainingData, artifacts: s3.IBucket) -> None:
        group = self.names.model_package_group
        policy = default_policy(self.role)
        cdk.Validations.of(policy).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Resource * only where IAM allows nothing narrower: "
                "ecr:GetAuthorizationToken, cloudwatch:PutMetricData (limited to SageMaker "
                "namespaces by condition), and the EC2 network-interface actions SageMaker "
                "performs for VPC jobs (interface IDs are created per job).",
            )
        )
        acknowledge_wildcard_resources(
            policy,
            [
                self._arn("processing-job", _PIPELINE_JOB_NAMES),
                self._arn("training-job", _PIPELINE_JOB_NAMES),
            ],
            "SageMaker Pipelines names each job pipelines-<execution>-<step>-<suffix> at run "
            "time; the pattern admits only jobs started by a pipeline.",
        )
        acknowledge_wildcard_resources(
            policy,
            [self._arn("model-package", f"{group}/*")],
            "Model package versions are numbered at registration; the pattern is this "
            "stack's model package group only.",
        )
        acknowledge_wildcard_resources(
            policy,
            [
                training_data.bucket.arn_for_objects(f"{training_data.prefix}*"),
                artifacts.arn_for_objects(f"{self.artifacts_prefix}*"),
            ],
            "Object keys are chosen per export run and per pipeline execution; access is "
            "limited to the training-export prefix (read) and this pipeline's artifact prefix.",
        )
        acknowledge_wildcard_resources(
            policy,
            self._job_log_groups(),
            "SageMaker writes one log stream per job into these two fixed log groups; stream "
            "names are created by the service.",
        )
        acknowledge_wildcard_resources(
            policy,
            list(eni_wildcards(self)),
            "SageMaker creates each job's network interfaces at run time; subnets and security "
            "groups are limited to the platform VPC by the ec2:Vpc condition, as are changes to "
            "interfaces. A new interface's ARN has no ec2:Vpc key yet, hence its type pattern.",
        )

    def _job_log_groups(self) -> list[str]:
        return [
            self._stack.format_arn(
                service="logs",
                resource="log-group",
                resource_name=f"/aws/sagemaker/{kind}:*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            for kind in ("ProcessingJobs", "TrainingJobs")
        ]

    def _schedule(self, expression: str) -> None:
        role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description=f"Lets EventBridge start the {self.names.pipeline} pipeline on schedule",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["sagemaker:StartPipelineExecution"], resources=[self.pipeline_arn]
            )
        )
        events.CfnRule(
            self,
            "Schedule",
            description=f"Starts the {self.names.pipeline} pipeline",
            schedule_expression=expression,
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="pipeline",
                    arn=self.pipeline_arn,
                    role_arn=role.role_arn,
                    # The defaults run; the execution records them like any other parameters.
                    sage_maker_pipeline_parameters=events.CfnRule.SageMakerPipelineParametersProperty(
                        pipeline_parameter_list=[]
                    ),
                    retry_policy=events.CfnRule.RetryPolicyProperty(
                        maximum_retry_attempts=3, maximum_event_age_in_seconds=3600
                    ),
                )
            ],
        )
