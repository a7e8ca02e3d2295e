"""CloudFormation creates a KMS-encrypted secret as its execution role, and the emulator asks
whether the key lets it (moto_cfn_models.iam_evaluation), as AWS does: the key policy that once
rolled the real ClusterStack back (Decrypt denied to all but the node roles) rolls it back here."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.fake_aws import create_service_role
from tests.moto_cfn_models.conftest import Cfn

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
NODE = f"arn:aws:iam::{ACCOUNT}:role/node"


def _stack(deny_all_but_node: bool) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
    ]
    if deny_all_but_node:
        statements.append(
            {
                "Sid": "OnlyTheNodesDecrypt",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalArn": [NODE]}},
            }
        )
    return {
        "Key": {
            "Type": "AWS::KMS::Key",
            "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": statements}},
        },
        "Secret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
                "GenerateSecretString": {"PasswordLength": 32},
            },
        },
    }


def _deploy(cfn: Cfn, name: str, deny_all_but_node: bool) -> dict[str, Any]:
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/cfn-exec"
    cfn.client.create_stack(
        StackName=name,
        TemplateBody=json.dumps({"Resources": _stack(deny_all_but_node)}),
        RoleARN=role_arn,
    )
    stack: dict[str, Any] = cfn.client.describe_stacks(StackName=name)["Stacks"][0]
    return stack


def _execution_role(cfn: Cfn) -> None:
    admin = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    create_service_role(
        cfn.aws("iam"), "cfn-exec", "cloudformation.amazonaws.com", {"admin": admin}
    )


def test_a_key_that_lets_the_account_decide_creates_the_secret(cfn: Cfn) -> None:
    _execution_role(cfn)
    assert _deploy(cfn, "fixed", deny_all_but_node=False)["StackStatus"] == "CREATE_COMPLETE"
    assert len(cfn.aws("secretsmanager").list_secrets()["SecretList"]) == 1


def test_a_key_that_denies_cloudformation_decrypt_rolls_the_stack_back(cfn: Cfn) -> None:
    _execution_role(cfn)
    # moto creates resources inside CreateStack: the failure is its answer, then the rollback.
    with pytest.raises(ClientError) as refused:
        _deploy(cfn, "broken", deny_all_but_node=True)
    message = str(refused.value)
    assert "AccessDenied" in message
    assert "role/cfn-exec is not authorized to perform: kms:Decrypt" in message
    assert "ExplicitlyDenied: denied by resource#OnlyTheNodesDecrypt" in message
    stack = cfn.client.describe_stacks(StackName="broken")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.client.describe_stack_events(StackName="broken")["StackEvents"]
    (failed,) = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert "kms:Decrypt" in failed["ResourceStatusReason"]
    assert cfn.aws("secretsmanager").list_secrets()["SecretList"] == []


def test_without_an_execution_role_the_caller_is_not_evaluated(cfn: Cfn) -> None:
    """CreateStack without RoleARN runs as the caller, whose identity moto does not know."""
    cfn.client.create_stack(
        StackName="as-caller", TemplateBody=json.dumps({"Resources": _stack(True)})
    )
    stack = cfn.client.describe_stacks(StackName="as-caller")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
