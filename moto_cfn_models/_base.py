"""The base class every handler in this package derives from.

moto drives a CloudFormation resource through a handful of class hooks
(``create_from_cloudformation_json``, ``update_from_cloudformation_json``, ``delete`` and
``get_cfn_attribute``). :class:`Handler` implements those hooks once, so that a handler only
says how to create, update in place and delete its resource through moto's service backend,
and what ``Ref`` and ``Fn::GetAtt`` return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.core.common_models import CloudFormationModel

#: Every handler class in this package, by CloudFormation type. Filled in by ``Handler``.
REGISTRY: dict[str, type[Handler]] = {}

#: Deletes for moto's own models whose delete is a silent no-op, by CloudFormation type. Each
#: takes moto's resource object, the account and the region. Filled in by ``deletes_for``.
MOTO_DELETES: dict[str, Callable[[Any, str, str], None]] = {}


def deletes_for(
    resource_type: str,
) -> Callable[[Callable[[Any, str, str], None]], Callable[[Any, str, str], None]]:
    """Register a delete for a type that moto creates but never deletes."""

    def register(delete: Callable[[Any, str, str], None]) -> Callable[[Any, str, str], None]:
        MOTO_DELETES[resource_type] = delete
        return delete

    return register


class Handler(CloudFormationModel):
    """One CloudFormation resource created through a moto service backend.

    Subclasses set ``TYPE`` (and ``NAME_PROPERTY`` when the type has a top-level name
    property that CloudFormation generates when absent), implement :meth:`create` and
    :meth:`delete_resource`, and set ``physical_resource_id`` (what ``Ref`` returns) and
    ``attributes`` (what ``Fn::GetAtt`` returns) in :meth:`create`.
    """

    TYPE: ClassVar[str] = ""
    NAME_PROPERTY: ClassVar[str] = ""
    ATTRIBUTES: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.TYPE:
            REGISTRY[cls.TYPE] = cls

    def __init__(
        self,
        *,
        account_id: str,
        region_name: str,
        name: str,
        logical_id: str,
        stack_id: str,
        properties: dict[str, Any],
    ) -> None:
        self.account_id = account_id
        self.region_name = region_name
        # The physical name: the template's name property, or one moto generated for us.
        self.name = name
        self.logical_id = logical_id
        self.stack_id = stack_id
        self.properties = properties
        self.physical_resource_id = name
        self.attributes: dict[str, Any] = {}

    # --- what a handler implements -------------------------------------------------------

    def create(self) -> None:
        raise NotImplementedError

    def delete_resource(self) -> None:
        raise NotImplementedError

    def update_in_place(self, previous: Handler) -> bool:
        """Apply this resource's properties over ``previous``; False means replace it."""
        return False

    def recreate_over(self, previous: Handler) -> bool:
        """Update in place by deleting ``previous`` and creating this one under its physical ID.

        For a resource that only attaches settings to others (a policy, a grant, an invoke
        config), which CloudFormation updates without a new ID. The old settings come off
        first: the new ones may attach elsewhere (other queues or topics), or would add to the
        old ones rather than replace them (a grant; moto's PutFunctionEventInvokeConfig).
        """
        previous.delete_resource()
        self.physical_resource_id = previous.physical_resource_id
        self.create()
        return True

    # --- helpers -------------------------------------------------------------------------

    def prop(self, key: str, default: Any = None) -> Any:  # noqa: ANN401 - template JSON
        return self.properties.get(key, default)

    def require(self, key: str) -> Any:  # noqa: ANN401 - template JSON
        if key not in self.properties:
            raise ValueError(f"{self.TYPE} {self.logical_id}: required property {key} is missing")
        return self.properties[key]

    @property
    def partition(self) -> str:
        return "aws-cn" if self.region_name.startswith("cn-") else "aws"

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        region_part = self.region_name if region else ""
        return f"arn:{self.partition}:{service}:{region_part}:{self.account_id}:{resource}"

    # --- moto's hooks --------------------------------------------------------------------

    @classmethod
    def cloudformation_type(cls) -> str:  # type: ignore[override]
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:  # type: ignore[override]
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:  # noqa: ANN401 - any JSON value
        if attribute_name in self.attributes:
            return self.attributes[attribute_name]
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @classmethod
    def _from_template(
        cls,
        *,
        name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        logical_id: str,
        stack_id: str,
    ) -> Handler:
        return cls(
            account_id=account_id,
            region_name=region_name,
            name=name,
            logical_id=logical_id,
            stack_id=stack_id,
            properties=dict(cloudformation_json.get("Properties") or {}),
        )

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: str,
    ) -> Handler:
        resource = cls._from_template(
            name=resource_name,
            cloudformation_json=cloudformation_json,
            account_id=account_id,
            region_name=region_name,
            logical_id=kwargs.get("LogicalId", ""),
            stack_id=kwargs.get("StackId", ""),
        )
        with resource.failures_named("create"):
            resource.create()
        return resource

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls,
        original_resource: Handler,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Handler:
        new = cls._from_template(
            name=new_resource_name,
            cloudformation_json=cloudformation_json,
            account_id=account_id,
            region_name=region_name,
            logical_id=original_resource.logical_id,
            stack_id=original_resource.stack_id,
        )
        if new.properties == original_resource.properties:
            return original_resource
        # moto generates a fresh random name on every update; CloudFormation keeps the name
        # it generated unless the template now names the resource itself.
        explicit_name = cls.NAME_PROPERTY and (
            cls.NAME_PROPERTY in new.properties or cls.NAME_PROPERTY in original_resource.properties
        )
        if not explicit_name:
            new.name = original_resource.name
        with new.failures_named("update"):
            if new.update_in_place(original_resource):
                return new
            # Replacement. CloudFormation creates the new resource before deleting the old
            # one, which only works when the physical names differ.
            if new.name == original_resource.name:
                original_resource.delete_resource()
                new.create()
            else:
                new.create()
                original_resource.delete_resource()
        return new

    def delete(self, account_id: str, region_name: str) -> None:
        with self.failures_named("delete"):
            self.delete_resource()

    @contextmanager
    def failures_named(self, action: str) -> Iterator[None]:
        """Turn a failure into a ValidationError that names the resource.

        moto reads resources through ``Mapping.get``, which turns a KeyError raised while
        creating one into "references undefined resource"; and a bare exception would reach
        the client as an anonymous 500. Either way the cause would be lost.
        """
        try:
            yield
        except ValidationError:
            raise
        except Exception as error:
            raise ValidationError(
                message=(
                    f"moto_cfn_models: {action} of {self.TYPE} {self.logical_id} failed: "
                    f"{type(error).__name__}: {error}"
                )
            ) from error

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        # moto falls back to this hook when ``delete()`` raised TypeError or AttributeError;
        # for our handlers that is a bug in the handler, and hiding it would leak the resource.
        raise RuntimeError(
            f"moto_cfn_models: deleting {cls.TYPE} {resource_name} failed inside its handler"
        )


def tag_list_to_dict(tags: list[dict[str, str]] | dict[str, str] | None) -> dict[str, str]:
    """CloudFormation writes tags as ``[{Key, Value}]`` for most types, a map for a few."""
    if not tags:
        return {}
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {t["Key"]: t["Value"] for t in tags}


def tag_dict_to_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def as_bool(value: object, default: bool = False) -> bool:
    """Template booleans may arrive as ``true`` or as the string ``"true"``."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def as_int(value: object) -> int | None:
    return None if value is None else int(str(value))
