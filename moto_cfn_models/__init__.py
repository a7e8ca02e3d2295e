"""CloudFormation support in moto for the resource types its CloudFormation layer lacks.

moto 5.2 creates about 100 CloudFormation resource types and silently skips the rest while
still reporting ``CREATE_COMPLETE``. This package adds handlers for the types this project
deploys (one module per AWS service), each creating, updating and deleting its resource
through moto's own service backend, so the service API answers afterwards. It also installs a
strict guard: a template resource that nothing can create fails the stack with a message that
names its logical ID and type, instead of being skipped.

Call :func:`register` once per process, before the first stack is created: in a moto server
process, or in a test that uses ``mock_aws``.
"""

from __future__ import annotations

import importlib

from . import _patches, account_quotas
from ._base import REGISTRY, Handler
from ._patches import UNSUPPORTED_MESSAGE, unsupported_resources

SERVICE_MODULES = (
    "application_autoscaling",
    "athena",
    "awslambda",
    "autoscaling",
    "autoscaling_lifecycle",
    "autoscaling_schedule",
    "cdk",
    "cloudwatch",
    "ec2",
    "ec2_ingress",
    "firehose",
    "glue",
    "kafka",
    "kinesis",
    "kms",
    "lakeformation",
    "logs",
    "route53",
    "s3",
    "sagemaker",
    "secretsmanager",
    "sns",
    "sqs",
)

__all__ = [
    "REGISTRY",
    "UNSUPPORTED_MESSAGE",
    "Handler",
    "handled_types",
    "register",
    "unsupported_resources",
]


def _import_handlers() -> None:
    for module in SERVICE_MODULES:
        importlib.import_module(f"{__name__}.{module}")


def handled_types() -> frozenset[str]:
    """The CloudFormation types this package creates (some override moto's own model)."""
    _import_handlers()
    return frozenset(REGISTRY)


def register(*, allow_lambda_custom_resources: bool = False) -> None:
    """Make moto's CloudFormation use this package's handlers and refuse unknown types.

    ``allow_lambda_custom_resources`` lets ``Custom::*`` resources without a native handler
    through to moto's Lambda-invoking model, which needs Docker.
    """
    _import_handlers()
    _patches.apply(allow_lambda_custom_resources=allow_lambda_custom_resources)
    # Not CloudFormation: the quota APIs `make preflight` asks (a labelled stand-in).
    account_quotas.install()
