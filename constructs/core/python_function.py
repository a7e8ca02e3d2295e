"""PythonFunction: a Lambda from `lambda/<name>/` with the platform's runtime and log defaults."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from constructs import Construct
from constructs.core.bundling import LocalBundler, local_bundling
from constructs.core.cfn import default_policy, default_resource, depend_only_on
from constructs.core.encrypted_log_group import EncryptedLogGroup
from constructs.core.key import RotatingKey
from constructs.core.nag import skip_checkov

LAMBDA_ROOT = Path(__file__).resolve().parents[2] / "lambda"

# Powertools for AWS Lambda (Python) v3, published by AWS as a public layer in every commercial
# region under the same account, so one Fn::Sub serves an environment-agnostic stack.
POWERTOOLS_LAYER_VERSION = 27
_POWERTOOLS_LAYER = (
    "arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:"
    f"AWSLambdaPowertoolsPythonV3-python313-arm64:{POWERTOOLS_LAYER_VERSION}"
)


def _copy_with_extras(source: Path, extra_files: Mapping[str, Path]) -> LocalBundler:
    """Local bundling: the function's folder plus named extra files (a shared schema, say).

    A plain file copy on the synth machine: milliseconds. Because the asset hash is taken from
    the output, a change to an extra file redeploys the function.
    """

    def bundle(output_dir: str) -> bool:
        shutil.copytree(
            source,
            output_dir,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "README.md", "tests"),
        )
        for name, path in extra_files.items():
            shutil.copyfile(path, Path(output_dir) / name)
        return True

    return bundle


class PythonFunction(Construct):
    """Python 3.13 on arm64 (Graviton: cheaper per GB-second), handler `handler.lambda_handler`,
    an explicit KMS-encrypted log group with retention (not Lambda's never-expiring default),
    structured JSON logs through Powertools, and X-Ray tracing.

    The role starts with no managed policy: only writes to its own log group and X-Ray.
    Grant it what the function needs with the owning construct's `grant_*` methods on
    `self.role` (`stream.grant_read(fn.role)`), or `self.role.add_to_policy` where no owner
    offers one. The function waits for the role's policies (`wait_for_policies`), not the role.

    Environment variables are encrypted at rest with a customer-managed key: `environment_key`,
    or by default a rotating key of the function's own (`self.environment_key`).

    :param source: the folder under lambda/ that holds handler.py.
    :param description: the function's description.
    :param memory_size: memory in MiB.
    :param timeout: the function's timeout.
    :param log_retention: how long the function's log events are kept. Default: two years.
    :param removal_policy: what happens to the log group and the keys this construct creates
        when they leave the stack. Default: RETAIN.
    :param environment: extra environment variables. Default: only POWERTOOLS_SERVICE_NAME.
    :param reserved_concurrency: reserved concurrent executions. Default: none reserved (and
        checkov's CKV_AWS_115 skipped, with the reason: a quota of 10 refuses any reservation).
    :param extra_files: files copied into the asset beside handler.py, by name. Default: none.
    :param environment_key: encrypts the environment. Default: a new rotating key.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: str,
        description: str,
        memory_size: int,
        timeout: cdk.Duration,
        log_retention: logs.RetentionDays = logs.RetentionDays.TWO_YEARS,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        environment: Mapping[str, str] | None = None,
        reserved_concurrency: int | None = None,
        extra_files: Mapping[str, Path] | None = None,
        environment_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        source_dir = LAMBDA_ROOT / source
        if not (source_dir / "handler.py").is_file():
            raise ValueError(f"{source_dir} has no handler.py; a Lambda folder needs one")
        self._execution_role(source, log_retention, removal_policy, environment_key)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.lambda_handler",
            code=self._code(source_dir, extra_files or {}),
            description=description,
            memory_size=memory_size,
            timeout=timeout,
            reserved_concurrent_executions=reserved_concurrency,
            environment={"POWERTOOLS_SERVICE_NAME": source, **(environment or {})},
            environment_encryption=self.environment_key,
            layers=[
                lambda_.LayerVersion.from_layer_version_arn(
                    self, "Powertools", cdk.Fn.sub(_POWERTOOLS_LAYER)
                )
            ],
            role=self.role,
            log_group=self.logs.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
        )
        self.wait_for_policies()
        self._acknowledge()
        if reserved_concurrency is None:
            self.skip_checkov(
                {
                    "CKV_AWS_115": "No reservation, by choice of the caller: Lambda keeps 100 "
                    "executions unreserved, so an account whose concurrency quota is 10 (as "
                    "many new accounts' is) refuses any reservation; the function shares the "
                    "account's unreserved pool."
                }
            )

    def _execution_role(
        self,
        source: str,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
        environment_key: kms.IKey | None,
    ) -> None:
        """The log group, the role (writes its logs, decrypts its environment) and the key."""
        self.logs = EncryptedLogGroup(
            self, "Logs", retention=log_retention, removal_policy=removal_policy
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the {source} Lambda function",
        )
        self.logs.log_group.grant_write(self.role)
        self.environment_key = environment_key or RotatingKey(
            self,
            "EnvironmentKey",
            description=f"Encrypts the {source} Lambda function's environment variables",
            removal_policy=removal_policy,
        )
        self.environment_key.grant_decrypt(self.role)

    def wait_for_policies(self, *extra_policies: iam.Policy) -> None:
        """Make the function wait for its role's default policy and `extra_policies`, and for
        nothing else (the role itself is already ordered by the function's Fn::GetAtt)."""
        depend_only_on(default_resource(self.function), default_policy(self.role), *extra_policies)

    def skip_checkov(self, skips: Mapping[str, str]) -> None:
        """Skip checkov checks on the function resource, each with its reason."""
        skip_checkov(self.function, skips)

    def _acknowledge(self) -> None:
        self.skip_checkov(
            {
                "CKV_AWS_117": "The platform's functions call AWS APIs only (Firehose's "
                "transform works on the records it is handed; the deployer calls SageMaker and "
                "Application Auto Scaling); none reaches a resource inside the VPC, so VPC "
                "attachment would add ENIs and NAT or endpoint cost and protect nothing."
            }
        )
        cdk.Validations.of(default_resource(self.function)).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-L1",
                reason="Pinned to python3.13, the runtime the handlers are tested for and that "
                "the python313 Powertools layer is built for; move both to 3.14 together.",
            )
        )
        cdk.Validations.of(default_policy(self.role)).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level "
                "permissions; AWS documents Resource * as the only valid value.",
            )
        )

    @staticmethod
    def _code(source_dir: Path, extra_files: Mapping[str, Path]) -> lambda_.Code:
        if not extra_files:
            return lambda_.Code.from_asset(
                str(source_dir), exclude=["__pycache__", "*.pyc", "README.md", "tests"]
            )
        return lambda_.Code.from_asset(
            str(source_dir),
            bundling=local_bundling(_copy_with_extras(source_dir, dict(extra_files))),
        )
