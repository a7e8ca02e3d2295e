"""The few places where this package hooks into moto's CloudFormation parser.

Each patch wraps one function of ``moto.cloudformation.parsing``; moto looks those up as
module globals at call time, so replacing the module attribute is enough. All patches are
idempotent: applying them twice wraps nothing twice.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel
from moto.iam import access_control
from moto.s3 import exceptions as s3_exceptions
from moto.s3 import models as s3_models
from moto.utilities.utils import get_partition

from ._base import MOTO_DELETES, REGISTRY, Handler

logger = logging.getLogger(__name__)

_MARK = "__moto_cfn_models__"

# Lambda-backed custom resources (``Custom::*`` and AWS::CloudFormation::CustomResource) run
# their Lambda in Docker under moto. Without a native handler here they would leave the
# stack in CREATE_IN_PROGRESS forever when Docker is absent, so the guard refuses them.
_LAMBDA_CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"


#: Starts the error message of a refused template, so that callers can recognise it.
UNSUPPORTED_MESSAGE = "moto_cfn_models: the local emulator cannot create these resources"


def unsupported_resources(
    template: dict[str, Any], *, allow_lambda_custom_resources: bool
) -> list[tuple[str, str]]:
    """(logical ID, type) of every resource in ``template`` that nothing here can create."""
    found = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        resource_type = resource.get("Type", "")
        if resource_type in REGISTRY or resource_type in parsing.NULL_MODELS:
            continue
        if resource_type.startswith("Custom::") or resource_type == _LAMBDA_CUSTOM_RESOURCE:
            if allow_lambda_custom_resources:
                continue
        elif resource_type in parsing.get_model_map():
            continue
        found.append((logical_id, resource_type))
    return found


def _refuse_unsupported(template: dict[str, Any], allow_lambda_custom_resources: bool) -> None:
    missing = unsupported_resources(
        template, allow_lambda_custom_resources=allow_lambda_custom_resources
    )
    if not missing:
        return
    listed = ", ".join(f"{logical_id} ({resource_type})" for logical_id, resource_type in missing)
    # moto's own ValidationError: moto derives the error's wire format from the exception's
    # module, so a subclass defined here would not serialise.
    raise ValidationError(
        message=(
            f"{UNSUPPORTED_MESSAGE}, so the stack was not deployed: {listed}. "
            "Add a handler for each type to moto_cfn_models "
            "(a Lambda-backed Custom:: resource needs a native handler: there is no Docker)."
        )
    )


_PREVIOUS_JSON = "_moto_cfn_models_previous_json"


def _without_metadata(resource_json: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in resource_json.items() if key != "Metadata"}


def _patched(function: object) -> bool:
    return getattr(function, _MARK, False)


def _fix_policy_statement_conditions() -> None:
    """Two moto bugs in evaluating a policy statement's Condition, fixed together.

    * A condition on a context key that the request does not carry counts as met; in IAM it
      does not (unless the operator ends in ``IfExists``, or is ``Null``). moto supplies no
      ``aws:SecureTransport``, so the TLS-only statement every secure bucket carries (Deny s3:*
      when aws:SecureTransport is false) denied every request to the bucket.
    * A statement whose condition is not met returns DENIED, whatever its Effect; in IAM it
      simply does not apply (NEUTRAL).
    """
    statement_class = access_control.IAMPolicyStatement
    if _patched(statement_class.is_action_permitted):
        return
    moto_check_conditions = statement_class._check_conditions
    moto_is_action_permitted = statement_class.is_action_permitted

    def check_conditions(
        self: access_control.IAMPolicyStatement,
        incoming_condition_values: dict[str, str] | None,
    ) -> bool:
        for operator, keys in (self._statement.get("Condition") or {}).items():
            if operator.endswith("IfExists") or operator == "Null":
                continue
            if any(key not in (incoming_condition_values or {}) for key in keys):
                return False
        return moto_check_conditions(self, incoming_condition_values)

    def is_action_permitted(
        self: access_control.IAMPolicyStatement,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> access_control.PermissionResult:
        result = moto_is_action_permitted(
            self, action, resource, principal, incoming_condition_values
        )
        if (
            result == access_control.PermissionResult.DENIED
            and self._statement.get("Condition")
            and not self._check_conditions(incoming_condition_values)
        ):
            return access_control.PermissionResult.NEUTRAL
        return result

    setattr(is_action_permitted, _MARK, True)
    statement_class._check_conditions = check_conditions  # type: ignore[method-assign]
    statement_class.is_action_permitted = is_action_permitted  # type: ignore[method-assign]


def _fix_non_empty_bucket_delete() -> None:
    """moto bug: deleting a non-empty AWS::S3::Bucket succeeds without deleting it.

    moto's S3 backend returns None for a bucket with objects, and the CloudFormation model
    ignores that, so the stack forgets a bucket that still exists. CloudFormation fails the
    delete instead; raising lets moto retry after Custom::S3AutoDeleteObjects has emptied the
    bucket, or fail the stack deletion with the reason if nothing empties it.
    """
    moto_delete = s3_models.FakeBucket.delete_from_cloudformation_json
    if _patched(moto_delete):
        return

    def delete_from_cloudformation_json(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        backend = s3_models.s3_backends[account_id][get_partition(region_name)]
        bucket = backend.buckets.get(resource_name)
        if bucket is not None and bucket.keys:
            raise s3_exceptions.BucketNotEmpty(resource_name)
        moto_delete(resource_name, cloudformation_json, account_id, region_name)

    setattr(delete_from_cloudformation_json, _MARK, True)
    s3_models.FakeBucket.delete_from_cloudformation_json = staticmethod(  # type: ignore[method-assign,assignment]
        delete_from_cloudformation_json
    )


def _support_get_stack_output() -> None:
    """moto lacks the ``Fn::GetStackOutput`` intrinsic and passes it through unresolved.

    CDK writes it for cross-stack references when the app sets
    ``@aws-cdk/core:defaultCrossStackReferences`` to ``weak``. It reads an output of another
    stack (optionally in another region), by stack name and output name.
    """
    if _patched(parsing.clean_json):
        return
    moto_clean_json = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: parsing.ResourceMap) -> Any:  # noqa: ANN401
        if isinstance(resource_json, dict) and "Fn::GetStackOutput" in resource_json:
            reference = moto_clean_json(resource_json["Fn::GetStackOutput"], resources_map)
            return _stack_output(
                resources_map._account_id,
                reference.get("Region") or resources_map._region_name,
                reference["StackName"],
                reference["OutputName"],
            )
        return moto_clean_json(resource_json, resources_map)

    setattr(clean_json, _MARK, True)
    parsing.clean_json = clean_json


def _stack_output(account_id: str, region: str, stack_name: str, output_name: str) -> str:
    from moto.cloudformation.models import cloudformation_backends  # noqa: PLC0415 - cycle

    stack = cloudformation_backends[account_id][region].get_stack(stack_name)
    for output in stack.outputs or []:
        if output["OutputKey"] == output_name:
            return output["OutputValue"]
    raise ValidationError(
        message=f"Fn::GetStackOutput: stack {stack_name} has no output {output_name}"
    )


def _roll_back_failed_creates() -> None:
    """moto bug: a stack whose creation fails stays CREATE_IN_PROGRESS for ever.

    Its created resources stay too, and the CDK CLI then waits on the stack at the next
    deploy. CloudFormation rolls back instead: it deletes what it created and leaves the stack
    in ROLLBACK_COMPLETE, which the CDK CLI deletes and recreates on the next deploy.
    """
    moto_create_resources = cfn_models.Stack.create_resources
    if _patched(moto_create_resources):
        return

    def create_resources(self: cfn_models.Stack) -> None:
        try:
            moto_create_resources(self)
        except Exception as error:
            self.status = "CREATE_FAILED"
            self._add_stack_event("CREATE_FAILED", resource_status_reason=str(error))
            self._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=str(error))
            try:
                self.resource_map.delete()
            except Exception:  # the stack is reported failed either way
                logger.exception("rolling back stack %s left resources behind", self.name)
            self.status = "ROLLBACK_COMPLETE"
            self._add_stack_event("ROLLBACK_COMPLETE")
            raise

    setattr(create_resources, _MARK, True)
    cfn_models.Stack.create_resources = create_resources  # type: ignore[method-assign]


def _use_moto_delete_fixes() -> None:
    """Route deletes of the types registered in MOTO_DELETES to their fixed delete."""
    moto_delete_resource = parsing.ResourceMap._delete_resource
    if _patched(moto_delete_resource):
        return

    def delete_resource(
        self: parsing.ResourceMap,
        parsed_resource: Any,  # noqa: ANN401 - any moto model
        resource_json: dict[str, Any],
    ) -> None:
        delete = MOTO_DELETES.get(resource_json.get("Type", ""))
        if delete is not None and not isinstance(parsed_resource, Handler):
            delete(parsed_resource, self._account_id, self._region_name)
            return
        moto_delete_resource(self, parsed_resource, resource_json)

    setattr(delete_resource, _MARK, True)
    parsing.ResourceMap._delete_resource = delete_resource  # type: ignore[method-assign]


def _install_service_fixes() -> None:
    # Each lives in its service's module; imported here, after moto, to avoid an import cycle.
    from .athena import install_query_engine  # noqa: PLC0415
    from .athena_rest import install_rest_json  # noqa: PLC0415
    from .autoscaling_lifecycle import install_lifecycle_actions  # noqa: PLC0415
    from .autoscaling_update import install_update_keeps_mixed_instances_policy  # noqa: PLC0415
    from .awslambda import install_function_fixes  # noqa: PLC0415
    from .cfn_signals import install_resource_signals  # noqa: PLC0415
    from .glue_job_runs import install_job_run_reports  # noqa: PLC0415
    from .iam_evaluation import install_role_managed_policies  # noqa: PLC0415
    from .sagemaker import install_update_endpoint  # noqa: PLC0415

    install_function_fixes()
    install_update_endpoint()
    install_lifecycle_actions()
    install_update_keeps_mixed_instances_policy()
    install_query_engine()
    install_rest_json()
    install_job_run_reports()
    install_resource_signals()
    install_role_managed_policies()


def _list_registered_handlers() -> None:
    """Put this package's handlers into moto's type map, after (so over) moto's own models."""
    if _patched(parsing.get_model_list):
        return
    moto_models = parsing.get_model_list

    @functools.lru_cache
    def get_model_list() -> list[type[CloudFormationModel]]:
        # moto lists only *direct* subclasses of CloudFormationModel; ours derive from
        # Handler, and a handler placed after moto's model overrides it in the type map.
        return [*moto_models(), *REGISTRY.values()]

    setattr(get_model_list, _MARK, True)
    parsing.get_model_list = get_model_list


def _prefer_native_custom_handlers() -> None:
    """A handler registered here for a ``Custom::`` type wins over moto's Lambda-invoking one."""
    if _patched(parsing.resource_class_from_type):
        return
    moto_resource_class_from_type = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> type[CloudFormationModel]:
        # moto sends every Custom:: type to its Lambda-invoking CustomModel.
        if resource_type in REGISTRY:
            return REGISTRY[resource_type]
        return moto_resource_class_from_type(resource_type)

    setattr(resource_class_from_type, _MARK, True)
    parsing.resource_class_from_type = resource_class_from_type


def _replace_resources_without_update() -> None:
    """moto bug: for a type whose model has no update hook, moto returns None and stores None
    as the resource, so the resource silently vanishes from the stack and every Ref to it
    becomes None. Replace it instead, as CloudFormation does."""
    if _patched(parsing.parse_and_update_resource):
        return
    moto_parse_and_update = parsing.parse_and_update_resource

    def parse_and_update_resource(
        logical_id: str,
        resource_json: dict[str, Any],
        resources_map: parsing.ResourceMap,
        account_id: str,
        region_name: str,
    ) -> CloudFormationModel | None:
        resource_class = parsing.resource_class_from_type(resource_json["Type"])
        update = resource_class.update_from_cloudformation_json
        if not hasattr(update, "__isabstractmethod__"):
            return moto_parse_and_update(
                logical_id, resource_json, resources_map, account_id, region_name
            )
        original = resources_map[logical_id]
        previous_json = getattr(resources_map, _PREVIOUS_JSON, {}).get(logical_id)
        if previous_json is not None and _without_metadata(previous_json) == _without_metadata(
            resource_json
        ):
            return original  # a Metadata-only change: CloudFormation changes nothing
        # Drop the cached instance so that the lookup below creates the new one.
        resources_map._parsed_resources.pop(logical_id, None)
        replacement = resources_map[logical_id]
        if original is not None:
            resources_map._delete_resource(original, resource_json)
        return replacement

    setattr(parse_and_update_resource, _MARK, True)
    parsing.parse_and_update_resource = parse_and_update_resource


def _keep_previous_resource_json() -> None:
    """Let an update compare each resource with what the stack had before.

    moto overwrites the stored resource JSON before it updates; without this copy,
    :func:`_replace_resources_without_update` could not tell a Metadata-only change from a
    real one.
    """
    if _patched(parsing.ResourceMap.update):
        return
    moto_update = parsing.ResourceMap.update

    def update(
        self: parsing.ResourceMap,
        template: dict[str, Any],
        parameters: dict[str, Any] | None = None,
    ) -> None:
        # moto bug: parsing a resource adds "Properties": {} to its stored JSON when the
        # template had none, so on every update such a resource (an SNS topic without
        # properties, say) differs from the new template and is needlessly replaced.
        for resource in (template.get("Resources") or {}).values():
            resource.setdefault("Properties", {})
        setattr(self, _PREVIOUS_JSON, dict(self._resource_json_map))
        moto_update(self, template, parameters)

    setattr(update, _MARK, True)
    parsing.ResourceMap.update = update  # type: ignore[method-assign]


def _guard_templates() -> None:
    """Refuse a template with a resource nothing can create, at create and at update."""
    if _patched(parsing.ResourceMap.load):
        return
    moto_load = parsing.ResourceMap.load
    moto_update = parsing.ResourceMap.update

    def load(self: parsing.ResourceMap) -> None:
        # Runs before the Stack is stored, so a refused template leaves no half stack.
        _refuse_unsupported(self._template, _GUARD["allow_lambda_custom_resources"])
        moto_load(self)

    def update(
        self: parsing.ResourceMap,
        template: dict[str, Any],
        parameters: dict[str, Any] | None = None,
    ) -> None:
        _refuse_unsupported(template, _GUARD["allow_lambda_custom_resources"])
        moto_update(self, template, parameters)

    setattr(load, _MARK, True)
    setattr(update, _MARK, True)
    parsing.ResourceMap.load = load  # type: ignore[method-assign]
    parsing.ResourceMap.update = update  # type: ignore[method-assign]


def _refresh_type_map() -> None:
    """moto caches its type map; drop the caches so the next lookup sees the handlers."""
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


def apply(*, allow_lambda_custom_resources: bool) -> None:
    """Install the patches (once) and refresh moto's cached type map."""
    _install_service_fixes()
    _use_moto_delete_fixes()
    _roll_back_failed_creates()
    _support_get_stack_output()
    _fix_policy_statement_conditions()
    _fix_non_empty_bucket_delete()
    _list_registered_handlers()
    _prefer_native_custom_handlers()
    _replace_resources_without_update()
    # The guard reads its switch at call time, so a second register() can change it.
    _GUARD["allow_lambda_custom_resources"] = allow_lambda_custom_resources
    # Order matters: the guard wraps the copy, so a refused template is refused before the
    # copy (or moto) sees it.
    _keep_previous_resource_json()
    _guard_templates()
    _refresh_type_map()


_GUARD: dict[str, bool] = {"allow_lambda_custom_resources": False}
