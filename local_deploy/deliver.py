"""``python -m local_deploy deliver``: play Firehose for every deployed Kinesis-sourced stream.

Wires a :class:`~local_deploy.firehose.delivery.LocalFirehose` to what is deployed: the
delivery stream's description, the transform function's deployed code and environment, the Glue
table's columns, and a checkpoint file in the state folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local_deploy import deployment
from local_deploy.access import clients_as
from local_deploy.firehose.delivery import DeliverySummary, LocalFirehose
from local_deploy.firehose.parquet import TableSchema
from local_deploy.firehose.plan import DeliveryPlan
from local_deploy.firehose.source import Checkpoint
from local_deploy.lambda_code import FunctionCodeError, InProcessFunction, asset_directory
from local_deploy.settings import LocalSettings


def kinesis_delivery_streams(settings: LocalSettings) -> list[str]:
    firehose = deployment.client(settings, "firehose")
    names = firehose.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource")
    return sorted(names["DeliveryStreamNames"])


def _function_code_dir(settings: LocalSettings, function_name: str) -> Path:
    """The assembly's asset folder for a deployed function, found through its stack."""
    cloudformation = deployment.client(settings, "cloudformation")
    deployed = set(deployment.deployed_stack_names(settings))
    for stack in deployment.assembly_stacks(settings.assembly_dir):
        if stack.stack_name not in deployed:
            continue
        summaries = cloudformation.list_stack_resources(StackName=stack.stack_name)[
            "StackResourceSummaries"
        ]
        for summary in summaries:
            if summary["PhysicalResourceId"] == function_name:
                template = json.loads((settings.assembly_dir / stack.template_file).read_text())
                return asset_directory(
                    settings.assembly_dir, template, summary["LogicalResourceId"]
                )
    raise FunctionCodeError(f"no deployed stack of {settings.assembly_dir} holds {function_name}")


def transform_log_file(settings: LocalSettings, delivery_stream: str) -> Path:
    return settings.state_dir / f"transform-{delivery_stream}.log"


def checkpoint_file(settings: LocalSettings, delivery_stream: str) -> Path:
    return settings.state_dir / f"firehose-{delivery_stream}.checkpoint.json"


def deliver(settings: LocalSettings, delivery_stream: str) -> DeliverySummary:
    """Deliver every record that arrived in the stream's source since the last delivery."""

    def operator(service: str) -> Any:  # noqa: ANN401 - boto3 is untyped
        return deployment.client(settings, service)

    description = operator("firehose").describe_delivery_stream(DeliveryStreamName=delivery_stream)[
        "DeliveryStreamDescription"
    ]
    plan = DeliveryPlan.from_description(description)
    # Firehose reads the stream and writes the lake as its roles: authorized as AWS would.
    clients = clients_as(
        clients_as(operator, settings.region, plan.source_role_arn, ("kinesis",)),
        settings.region,
        plan.role_arn,
        ("s3",),
    )
    configuration = clients("lambda").get_function_configuration(FunctionName=plan.lambda_arn)
    table = clients("glue").get_table(DatabaseName=plan.database, Name=plan.table)["Table"]
    schema = TableSchema.from_glue(table["StorageDescriptor"]["Columns"])
    log_path = transform_log_file(settings, delivery_stream)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as log:
        code_dir = _function_code_dir(settings, configuration["FunctionName"])
        transform = InProcessFunction(configuration, code_dir, log=log)
        firehose = LocalFirehose(
            plan,
            clients=clients,
            transform=transform,
            schema=schema,
            checkpoint=Checkpoint(checkpoint_file(settings, delivery_stream)),
            region=settings.region,
        )
        return firehose.deliver()
