"""Lambda: Permission (replacing moto's model), EventInvokeConfig, and Function fixes.

moto bugs worked around here (moto 5.2.5):

* moto's Permission model has no physical ID (so the emulator lists it with none, and ``Ref``
  returns a Python object), no delete (the statement stays in the function's policy after the
  stack is gone) and no update hook.
* moto's Function model passes only a few properties to its backend and drops the rest:
  Architectures, Layers, TracingConfig, KmsKeyArn, EphemeralStorage and Tags. They are set on
  the created function afterwards (:func:`install_function_fixes`).
"""

from __future__ import annotations

import json
from typing import Any

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import LambdaBackend, LambdaFunction, lambda_backends
from moto.cloudformation.exceptions import ValidationError

from ._base import Handler

# The statement ID is the permission's physical ID; Lambda caps it at 100 characters.
_MAX_STATEMENT_ID = 100
# Template properties that are also AddPermission parameters of the same name.
_PERMISSION_PROPERTIES = (
    "Action",
    "Principal",
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "PrincipalOrgID",
    "FunctionUrlAuthType",
)


class Permission(Handler):
    """Ref: the statement ID that CloudFormation generates. Every change replaces it."""

    TYPE = "AWS::Lambda::Permission"

    def _backend(self) -> LambdaBackend:
        return lambda_backends[self.account_id][self.region_name]

    def create(self) -> None:
        statement_id = self.name[:_MAX_STATEMENT_ID]
        request = {k: self.prop(k) for k in _PERMISSION_PROPERTIES if self.prop(k) is not None}
        request["StatementId"] = statement_id
        self._backend().add_permission(self.require("FunctionName"), None, json.dumps(request))
        self.physical_resource_id = statement_id

    def delete_resource(self) -> None:
        try:
            self._backend().remove_permission(self.prop("FunctionName"), self.physical_resource_id)
        except UnknownFunctionException:
            return  # the function went first, and its policy with it


_CONFIG_PROPERTIES = ("DestinationConfig", "MaximumEventAgeInSeconds", "MaximumRetryAttempts")


class EventInvokeConfig(Handler):
    """Ref: a generated ID. Every change is applied in place (PutFunctionEventInvokeConfig)."""

    TYPE = "AWS::Lambda::EventInvokeConfig"

    def _backend(self) -> LambdaBackend:
        return lambda_backends[self.account_id][self.region_name]

    def create(self) -> None:
        config = {key: self.prop(key) for key in _CONFIG_PROPERTIES if self.prop(key) is not None}
        self._backend().put_function_event_invoke_config(self.require("FunctionName"), config)

    def update_in_place(self, previous: Handler) -> bool:
        if self.prop("FunctionName") != previous.prop("FunctionName"):
            return False
        # moto's Put appends a second configuration and Get keeps returning the first, so
        # clear the old one before putting the new one (PutFunctionEventInvokeConfig replaces).
        return self.recreate_over(previous)

    def delete_resource(self) -> None:
        try:
            self._backend().delete_function_event_invoke_config(self.prop("FunctionName"))
        except UnknownFunctionException:
            return  # the function went first, and its configuration with it


def _apply_dropped_properties(function: LambdaFunction, properties: dict[str, Any]) -> None:
    if "Architectures" in properties:
        function.architectures = list(properties["Architectures"])
    if "Layers" in properties:
        function.layers = [_layer(function, arn) for arn in properties["Layers"]]
    if "TracingConfig" in properties:
        function.tracing_config = dict(properties["TracingConfig"])
    if "KmsKeyArn" in properties:
        function.kms_key_arn = properties["KmsKeyArn"]
    if "EphemeralStorage" in properties:
        function.ephemeral_storage = int(properties["EphemeralStorage"]["Size"])
    if "Tags" in properties:
        function.tags = {tag["Key"]: tag["Value"] for tag in properties["Tags"]}


def _layer(function: LambdaFunction, layer_version_arn: str) -> dict[str, Any]:
    """A layer of this account must exist in the emulator, as in Lambda.

    A layer another account publishes (the public Powertools layer, say) cannot exist in an
    emulator of one account, so it is recorded by ARN, with no code.
    """
    if layer_version_arn.split(":")[4] != function.account_id:
        return {"Arn": layer_version_arn, "CodeSize": 0}
    return function._get_layers_data([layer_version_arn])[0]


def _named_failure(function_name: str, error: Exception) -> ValidationError:
    return ValidationError(
        message=f"moto_cfn_models: AWS::Lambda::Function {function_name}: "
        f"{type(error).__name__}: {error}"
    )


def install_function_fixes() -> None:
    """Wrap moto's Function model so that the properties it drops reach the function."""
    moto_create = LambdaFunction.create_from_cloudformation_json
    moto_update = LambdaFunction.update_from_cloudformation_json
    if getattr(moto_create, "__moto_cfn_models__", False):
        return

    def create_from_cloudformation_json(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: str,
    ) -> LambdaFunction:
        function = moto_create(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        try:
            _apply_dropped_properties(function, cloudformation_json["Properties"])
        except Exception as error:
            function.delete(account_id, region_name)
            raise _named_failure(resource_name, error) from error
        return function

    def update_from_cloudformation_json(
        original_resource: LambdaFunction,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> LambdaFunction:
        function = moto_update(
            original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )
        try:
            _apply_dropped_properties(function, cloudformation_json["Properties"])
        except Exception as error:
            raise _named_failure(function.function_name, error) from error
        return function

    create_from_cloudformation_json.__moto_cfn_models__ = True  # type: ignore[attr-defined]
    LambdaFunction.create_from_cloudformation_json = staticmethod(  # type: ignore[method-assign,assignment]
        create_from_cloudformation_json
    )
    LambdaFunction.update_from_cloudformation_json = staticmethod(  # type: ignore[method-assign,assignment]
        update_from_cloudformation_json
    )
