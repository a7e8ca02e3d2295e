"""constructs/core/python_function.py: PythonFunction, built in a bare stack from props."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template

from constructs.core.cfn import default_policy, default_resource
from constructs.core.python_function import PythonFunction
from tests.constructs.bare import bare_stack, synthesized

SOURCE = "firehose_transform"  # any folder under lambda/ with a handler.py


@pytest.fixture(scope="module")
def built() -> tuple[Template, PythonFunction, cdk.Stack]:
    app, stack = bare_stack()
    function = PythonFunction(
        stack,
        "Transform",
        source=SOURCE,
        description="Test function",
        memory_size=256,
        timeout=cdk.Duration.seconds(30),
        log_retention=logs.RetentionDays.ONE_MONTH,
    )
    template = synthesized(app, stack)  # cdk-nag clean (warnings included), or synth fails
    return template, function, stack


def _function(template: Template) -> Mapping[str, Any]:
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    return function


def test_arm64_python_313_traced_json_logs(
    built: tuple[Template, PythonFunction, cdk.Stack],
) -> None:
    template, function, stack = built
    properties = _function(template)["Properties"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == "handler.lambda_handler"
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["LoggingConfig"]["LogFormat"] == "JSON"
    assert properties["LoggingConfig"]["LogGroup"] == {
        "Ref": stack.get_logical_id(default_resource(function.logs.log_group))
    }
    assert properties["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == SOURCE
    # The environment is encrypted under the function's own key, not Lambda's.
    assert properties["KmsKeyArn"] == {
        "Fn::GetAtt": [stack.get_logical_id(default_resource(function.environment_key)), "Arn"]
    }
    assert "AWSLambdaPowertoolsPythonV3-python313-arm64" in str(properties["Layers"])


def test_log_group_is_encrypted_with_the_retention_given(
    built: tuple[Template, PythonFunction, cdk.Stack],
) -> None:
    template, _, _ = built
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": Match.object_like({"RetentionInDays": 30, "KmsKeyId": Match.any_value()}),
            "DeletionPolicy": "Retain",
        },
    )


def test_role_has_no_managed_policy_and_function_waits_only_for_its_policy(
    built: tuple[Template, PythonFunction, cdk.Stack],
) -> None:
    template, function, stack = built
    (role,) = template.find_resources("AWS::IAM::Role").values()
    assert "ManagedPolicyArns" not in role["Properties"]
    # The role is ordered by the function's Fn::GetAtt; a DependsOn on it is cfn-lint's W3005.
    policy_id = stack.get_logical_id(default_resource(default_policy(function.role)))
    assert _function(template)["DependsOn"] == [policy_id]


def test_a_folder_without_handler_is_refused() -> None:
    _, stack = bare_stack()
    with pytest.raises(ValueError, match=r"has no handler\.py"):
        PythonFunction(
            stack,
            "Missing",
            source="no_such_function",
            description="none",
            memory_size=128,
            timeout=cdk.Duration.seconds(3),
        )
