"""In-process moto with moto_cfn_models registered, and helpers to deploy small templates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import moto_cfn_models
from tests.fake_aws import use_fake_aws

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def _aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_aws(monkeypatch, REGION)


class Cfn:
    """Deploys templates through the CloudFormation API of an in-process moto."""

    def __init__(self) -> None:
        self.client = boto3.client("cloudformation", region_name=REGION)

    def aws(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)

    @staticmethod
    def _body(resources: dict[str, Any], outputs: dict[str, Any] | None) -> str:
        template: dict[str, Any] = {"Resources": resources}
        if outputs:
            template["Outputs"] = {key: {"Value": value} for key, value in outputs.items()}
        return json.dumps(template)

    def create(
        self, resources: dict[str, Any], outputs: dict[str, Any] | None = None, name: str = "t"
    ) -> dict[str, str]:
        self.client.create_stack(StackName=name, TemplateBody=self._body(resources, outputs))
        return self.outputs(name)

    def update(
        self, resources: dict[str, Any], outputs: dict[str, Any] | None = None, name: str = "t"
    ) -> dict[str, str]:
        self.client.update_stack(StackName=name, TemplateBody=self._body(resources, outputs))
        return self.outputs(name)

    def delete(self, name: str = "t") -> None:
        self.client.delete_stack(StackName=name)

    def outputs(self, name: str = "t") -> dict[str, str]:
        stack = self.client.describe_stacks(StackName=name)["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def physical_ids(self, name: str = "t") -> dict[str, str]:
        summaries = self.client.list_stack_resources(StackName=name)["StackResourceSummaries"]
        return {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}


@pytest.fixture
def cfn() -> Iterator[Cfn]:
    with mock_aws():
        moto_cfn_models.register()
        yield Cfn()
