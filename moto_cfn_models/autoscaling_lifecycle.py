"""EC2 Auto Scaling lifecycle hooks, in CloudFormation and in the API, as AWS runs them.

moto 5.2 gets four things wrong that the Spark cluster's graceful scale-in depends on:

* ``AWS::AutoScaling::LifecycleHook`` is not created from CloudFormation (the backend has
  ``create_lifecycle_hook``; only the CloudFormation glue is missing): :class:`LifecycleHook`.
* A scale-in terminates instances at once, even when the group has a termination hook; AWS
  moves each into ``Terminating:Wait`` until the hook is completed or times out.
* ``CompleteLifecycleAction`` and ``RecordLifecycleActionHeartbeat`` raise
  NotImplementedError.
* ``CapacityRebalance`` in a template is dropped (the API keeps it).

:func:`install_lifecycle_actions` patches the backend and the API, the way UpdateEndpoint was
added to SageMaker. A hook's timeout is applied lazily, when the group or its instances are
read, against :func:`now` (moto's clock, which tests pin); the global timeout (100 x the
heartbeat timeout, at most 48 h) bounds heartbeats as in AWS.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.autoscaling import models as as_models
from moto.autoscaling.exceptions import ValidationError as AutoScalingValidationError
from moto.autoscaling.models import AutoScalingBackend
from moto.core.utils import utcnow

from ._base import as_bool, as_int
from .autoscaling import GroupSetting

TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
TERMINATING_WAIT = "Terminating:Wait"
GLOBAL_TIMEOUT_CAP_S = 172_800
_MARK = "__moto_cfn_models_lifecycle__"


def now() -> datetime:
    """The emulator's clock (moto's ``utcnow``): tests pin it, nothing here reads the date."""
    return utcnow()


class LifecycleHook(GroupSetting):
    """Ref: the hook's name (CloudFormation generates one when the template names none)."""

    TYPE = "AWS::AutoScaling::LifecycleHook"
    NAME_PROPERTY = "LifecycleHookName"

    def create(self) -> None:
        group = self.existing_group()
        transition = self.require("LifecycleTransition")
        if transition not in (TERMINATING, LAUNCHING):
            raise ValueError(
                f"LifecycleTransition {transition!r} is not {LAUNCHING} or {TERMINATING}"
            )
        default_result = self.prop("DefaultResult", "ABANDON")
        if default_result not in ("CONTINUE", "ABANDON"):
            raise ValueError(f"DefaultResult {default_result!r} is not CONTINUE or ABANDON")
        timeout = as_int(self.prop("HeartbeatTimeout")) or 3600
        if not 30 <= timeout <= 7200:
            raise ValueError(f"HeartbeatTimeout {timeout} is outside 30-7200 seconds")
        hook = self._backend().create_lifecycle_hook(
            name=self.setting_name(),
            as_name=group,
            transition=transition,
            timeout=timeout,
            result=default_result,
        )
        # moto hard-codes a role and an SQS queue into every hook; show what the template says.
        hook.role_arn = self.prop("RoleARN")
        hook.notification_target_arn = self.prop("NotificationTargetARN")
        hook.notification_metadata = self.prop("NotificationMetadata")
        hook.global_timeout = min(100 * timeout, GLOBAL_TIMEOUT_CAP_S)
        self.physical_resource_id = self.setting_name()

    def delete_resource(self) -> None:
        self._backend().delete_lifecycle_hook(
            self.prop("AutoScalingGroupName"), self.setting_name()
        )


# --- lifecycle actions in the backend --------------------------------------------------------


@dataclass
class LifecycleAction:
    """One instance held in a ``:Wait`` state by a hook, until completed or timed out."""

    token: str
    instance_id: str
    group_name: str
    hook_name: str
    transition: str
    heartbeat_timeout_s: int
    default_result: str
    deadline: datetime
    global_deadline: datetime


def _actions(backend: AutoScalingBackend) -> dict[str, LifecycleAction]:
    """Pending actions by instance ID, kept on the backend so that a reset clears them."""
    if not hasattr(backend, "_lifecycle_actions"):
        backend._lifecycle_actions = {}  # type: ignore[attr-defined]
    return backend._lifecycle_actions  # type: ignore[attr-defined]


def _hooks(backend: AutoScalingBackend, group_name: str, transition: str) -> list[Any]:
    return [
        hook
        for hook in backend.lifecycle_hooks.values()
        if hook.auto_scaling_group_name == group_name and hook.lifecycle_transition == transition
    ]


def _start_action(backend: AutoScalingBackend, state: Any, hook: Any) -> LifecycleAction:  # noqa: ANN401
    from moto.moto_api._internal import mock_random  # noqa: PLC0415

    started = now()
    timeout = int(hook.heartbeat_timeout)
    global_timeout = int(getattr(hook, "global_timeout", None) or GLOBAL_TIMEOUT_CAP_S)
    action = LifecycleAction(
        token=str(mock_random.uuid4()),
        instance_id=state.instance.id,
        group_name=state.auto_scaling_group_name,
        hook_name=hook.name,
        transition=hook.lifecycle_transition,
        heartbeat_timeout_s=timeout,
        default_result=hook.default_result,
        deadline=started + timedelta(seconds=timeout),
        global_deadline=started + timedelta(seconds=min(global_timeout, GLOBAL_TIMEOUT_CAP_S)),
    )
    _actions(backend)[action.instance_id] = action
    state.lifecycle_state = TERMINATING_WAIT
    return action


def _finish_termination(backend: AutoScalingBackend, action: LifecycleAction) -> None:
    """The instance leaves the group and EC2 terminates it (CONTINUE and ABANDON alike)."""
    _actions(backend).pop(action.instance_id, None)
    group = backend.autoscaling_groups.get(action.group_name)
    if group is not None:
        group.instance_states = [
            s for s in group.instance_states if s.instance.id != action.instance_id
        ]
    backend.ec2_backend.terminate_instances([action.instance_id])
    if group is not None:
        backend.update_attached_elbs(group.name)


def expire_actions(backend: AutoScalingBackend) -> list[str]:
    """Apply each timed-out action's default result; returns the instance IDs concerned."""
    current = now()
    expired = [
        action
        for action in list(_actions(backend).values())
        if current >= min(action.deadline, action.global_deadline)
    ]
    for action in expired:
        _finish_termination(backend, action)
    return [action.instance_id for action in expired]


def _find_action(
    backend: AutoScalingBackend,
    *,
    group_name: str,
    hook_name: str,
    token: str | None,
    instance_id: str | None,
) -> LifecycleAction:
    expire_actions(backend)
    if group_name not in backend.autoscaling_groups:
        raise AutoScalingValidationError(f"AutoScalingGroup name not found - {group_name}")
    if not any(h.name == hook_name for h in _hooks(backend, group_name, TERMINATING)) and not any(
        h.name == hook_name for h in _hooks(backend, group_name, LAUNCHING)
    ):
        raise AutoScalingValidationError(
            f"No Lifecycle Hook found with name {hook_name} for group {group_name}"
        )
    if not token and not instance_id:
        raise AutoScalingValidationError("Either LifecycleActionToken or InstanceId is required")
    for action in _actions(backend).values():
        if action.group_name != group_name or action.hook_name != hook_name:
            continue
        if (token and action.token == token) or (
            not token and instance_id and action.instance_id == instance_id
        ):
            return action
    subject = f"token {token}" if token else f"instance ID {instance_id}"
    raise AutoScalingValidationError(f"No active Lifecycle Action found with {subject}")


def complete_lifecycle_action(
    backend: AutoScalingBackend,
    *,
    group_name: str,
    hook_name: str,
    result: str,
    token: str | None = None,
    instance_id: str | None = None,
) -> None:
    """CONTINUE or ABANDON: for a terminating instance both end in its termination."""
    if result not in ("CONTINUE", "ABANDON"):
        raise AutoScalingValidationError(f"LifecycleActionResult {result!r} is not valid")
    action = _find_action(
        backend, group_name=group_name, hook_name=hook_name, token=token, instance_id=instance_id
    )
    _finish_termination(backend, action)


def record_lifecycle_action_heartbeat(
    backend: AutoScalingBackend,
    *,
    group_name: str,
    hook_name: str,
    token: str | None = None,
    instance_id: str | None = None,
) -> LifecycleAction:
    """Restart the heartbeat timeout, never past the global timeout."""
    action = _find_action(
        backend, group_name=group_name, hook_name=hook_name, token=token, instance_id=instance_id
    )
    action.deadline = now() + timedelta(seconds=action.heartbeat_timeout_s)
    return action


def pending_action(backend: AutoScalingBackend, instance_id: str) -> LifecycleAction | None:
    """The action holding ``instance_id`` in ``Terminating:Wait``, if any (after timeouts)."""
    expire_actions(backend)
    return _actions(backend).get(instance_id)


# --- patches -----------------------------------------------------------------------------


def _patch_scale_in() -> None:
    group_class = as_models.FakeAutoScalingGroup
    moto_set_desired = group_class.set_desired_capacity

    @functools.wraps(moto_set_desired)
    def set_desired_capacity(self: Any, new_capacity: int | None) -> None:  # noqa: ANN401
        backend = self.autoscaling_backend
        hooks = _hooks(backend, self.name, TERMINATING)
        if getattr(self, "_moto_cfn_models_deleting", False) or not hooks:
            moto_set_desired(self, new_capacity)
            return
        # Only InService instances count and can be chosen for scale-in (moto would also pick
        # Standby or waiting ones); the chosen ones wait for the hook instead of terminating.
        held = [s for s in self.instance_states if s.lifecycle_state != "InService"]
        self.instance_states = [s for s in self.instance_states if s.lifecycle_state == "InService"]
        before = list(self.instance_states)
        chosen: list[str] = []
        ec2 = backend.ec2_backend
        ec2.terminate_instances = chosen.extend  # instance attribute shadows the method
        try:
            moto_set_desired(self, new_capacity)
        finally:
            del ec2.terminate_instances
        leaving = [s for s in before if s.instance.id in chosen]
        for state in leaving:
            _start_action(backend, state, hooks[0])
        self.instance_states = [*self.instance_states, *held, *leaving]

    setattr(set_desired_capacity, _MARK, True)
    group_class.set_desired_capacity = set_desired_capacity  # type: ignore[method-assign]

    moto_delete_group = AutoScalingBackend.delete_auto_scaling_group

    def delete_auto_scaling_group(self: AutoScalingBackend, group_name: str) -> None:
        # Deleting a group bypasses its hooks (as ForceDelete does); waiting instances go too.
        group = self.autoscaling_groups.get(group_name)
        if group is not None:
            for action in [a for a in _actions(self).values() if a.group_name == group_name]:
                _finish_termination(self, action)
            group._moto_cfn_models_deleting = True
        try:
            moto_delete_group(self, group_name)
        finally:
            if group is not None:
                group._moto_cfn_models_deleting = False

    AutoScalingBackend.delete_auto_scaling_group = delete_auto_scaling_group  # type: ignore[method-assign]

    # Timeouts take effect whenever anyone looks.
    for name in ("describe_auto_scaling_instances", "describe_auto_scaling_groups"):
        moto_read = getattr(AutoScalingBackend, name)

        def read(
            self: AutoScalingBackend,
            *args: object,
            _moto_read: Callable[..., object] = moto_read,
            **kwargs: object,
        ) -> object:
            expire_actions(self)
            return _moto_read(self, *args, **kwargs)

        setattr(AutoScalingBackend, name, functools.wraps(moto_read)(read))


def _patch_api() -> None:
    from moto.autoscaling.responses import AutoScalingResponse  # noqa: PLC0415
    from moto.core.responses import ActionResult, EmptyResult  # noqa: PLC0415

    def complete_response(self: AutoScalingResponse) -> ActionResult:
        complete_lifecycle_action(
            self.autoscaling_backend,
            group_name=self._get_param("AutoScalingGroupName"),
            hook_name=self._get_param("LifecycleHookName"),
            result=self._get_param("LifecycleActionResult"),
            token=self._get_param("LifecycleActionToken"),
            instance_id=self._get_param("InstanceId"),
        )
        return EmptyResult()

    def heartbeat_response(self: AutoScalingResponse) -> ActionResult:
        record_lifecycle_action_heartbeat(
            self.autoscaling_backend,
            group_name=self._get_param("AutoScalingGroupName"),
            hook_name=self._get_param("LifecycleHookName"),
            token=self._get_param("LifecycleActionToken"),
            instance_id=self._get_param("InstanceId"),
        )
        return EmptyResult()

    AutoScalingResponse.complete_lifecycle_action = complete_response  # type: ignore[attr-defined]
    AutoScalingResponse.record_lifecycle_action_heartbeat = heartbeat_response  # type: ignore[attr-defined]


def _patch_capacity_rebalance() -> None:
    group_class = as_models.FakeAutoScalingGroup
    moto_create = group_class.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: type,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,  # noqa: ANN401
    ) -> Any:  # noqa: ANN401
        group = moto_create(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        properties = cloudformation_json.get("Properties") or {}
        group.capacity_rebalance = as_bool(properties.get("CapacityRebalance"))
        return group

    group_class.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign,assignment]


def install_lifecycle_actions() -> None:
    """Install the patches once (idempotent)."""
    if getattr(as_models.FakeAutoScalingGroup.set_desired_capacity, _MARK, False):
        return
    _patch_scale_in()
    _patch_api()
    _patch_capacity_rebalance()
