"""CloudFormation resource signals: ``CreationPolicy.ResourceSignal`` and ``SignalResource``.

moto 5.2.5 ignores a resource's CreationPolicy (the stack is CREATE_COMPLETE as soon as its
resources exist) and has no SignalResource action. CloudFormation instead holds a resource
with a ``ResourceSignal`` creation policy in CREATE_IN_PROGRESS until it has received
``Count`` SUCCESS signals; a FAILURE signal, or the ``Timeout`` passing first, fails the
resource and rolls the stack back.

:func:`install_resource_signals` adds that for ``AWS::AutoScaling::AutoScalingGroup`` (the type
the Spark cluster signals; :data:`SIGNALLED_TYPES`), on stacks created with CreateStack:

* after moto has created the resources, each such group with ``Count`` > 0 becomes a wait,
  and the stack stays CREATE_IN_PROGRESS (moto's own mechanism for custom resources);
* ``SignalResource`` (the API, as boto3 and ``cfn-signal`` call it) records a signal per
  UniqueId. The resource completes with enough SUCCESS signals (``Count``, or its
  ``AutoScalingCreationPolicy.MinSuccessfulInstancesPercent``), and the stack with its last
  wait. A FAILURE signal that leaves too few possible successes fails the resource with
  CloudFormation's reason (``Received FAILURE signal with UniqueId i-...``): the stack goes
  ROLLBACK_IN_PROGRESS, its resources are deleted, and it ends ROLLBACK_COMPLETE (or
  CREATE_FAILED, resources kept, with DisableRollback);
* the timeout is applied lazily, whenever a stack is read (DescribeStacks, ListStacks,
  DescribeStackEvents, ...), against moto's clock, which tests pin: a wait past its deadline
  fails with ``Received 0 SUCCESS signal(s) out of 1. Unable to satisfy 100%
  MinSuccessfulInstancesPercent requirement``, as CloudFormation says.

The reason of a FAILURE is CloudFormation's: the SignalResource API has no field for the
sender's reason (StackName, LogicalResourceId, UniqueId, Status), so the node's own reason
belongs in its boot log.

Not emulated: moto creates every resource of a template at once, so resources that depend on a
waiting group exist before it completes (CloudFormation creates them after); update policies
(``AutoScalingRollingUpdate.WaitOnResourceSignals``) are not waited on, since moto replaces a
group on any update; stacks created from a change set ignore creation policies, as before.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.utils import utcnow

logger = logging.getLogger(__name__)

SIGNALLED_TYPES = frozenset({"AWS::AutoScaling::AutoScalingGroup"})
DEFAULT_TIMEOUT = "PT5M"  # CloudFormation's default ResourceSignal.Timeout
MAX_TIMEOUT = timedelta(hours=12)
STATUSES = ("SUCCESS", "FAILURE")
#: Starts the reason of the CREATE_IN_PROGRESS event a waiting resource gets once the stack's
#: resources exist: a client may then read the stack (the local boot looks for it).
WAITING_REASON = "Waiting for "
_WAITS = "_moto_cfn_models_signal_waits"
_MARK = "__moto_cfn_models_signals__"
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
# Signals arrive on the server's request threads while the CLI polls on others.
_LOCK = threading.RLock()
_EXPIRING = threading.local()


def now() -> datetime:
    """The emulator's clock (moto's ``utcnow``, naive UTC): tests pin it."""
    return utcnow()


def parse_timeout(text: str) -> timedelta:
    """An ISO 8601 duration as CloudFormation takes it: ``PT#H#M#S``, at most 12 hours."""
    match = _DURATION.match(str(text))
    if match is None or not any(match.groups()):
        raise ValueError(f"ResourceSignal Timeout {text!r} is not an ISO 8601 duration PT#H#M#S")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    duration = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if duration > MAX_TIMEOUT:
        raise ValueError(f"ResourceSignal Timeout {text} exceeds 12 hours (PT12H)")
    return duration


@dataclass
class SignalWait:
    """One resource waiting for its signals."""

    logical_id: str
    resource_type: str
    physical_id: str
    count: int
    min_successful_percent: int
    timeout: str
    deadline: datetime
    received: dict[str, str] = field(default_factory=dict)
    """UniqueId -> SUCCESS or FAILURE (a second signal from one UniqueId counts once)."""

    @property
    def needed(self) -> int:
        return max(1, math.ceil(self.count * self.min_successful_percent / 100))

    @property
    def successes(self) -> int:
        return sum(status == "SUCCESS" for status in self.received.values())

    @property
    def failures(self) -> int:
        return sum(status == "FAILURE" for status in self.received.values())

    def satisfied(self) -> bool:
        return self.successes >= self.needed

    def hopeless(self) -> bool:
        """Too many failures for the remaining signals to reach what is needed."""
        return self.failures > self.count - self.needed

    def timeout_reason(self) -> str:
        return (
            f"Received {self.successes} SUCCESS signal(s) out of {self.count}. Unable to "
            f"satisfy {self.min_successful_percent}% MinSuccessfulInstancesPercent requirement"
        )


def creation_wait(
    logical_id: str, resource_json: dict[str, Any], physical_id: str, started: datetime
) -> SignalWait | None:
    """The wait a resource's CreationPolicy asks for, or None (no policy, or Count 0)."""
    if resource_json.get("Type") not in SIGNALLED_TYPES:
        return None
    policy = resource_json.get("CreationPolicy") or {}
    signal = policy.get("ResourceSignal")
    if signal is None:
        return None
    count = int(signal.get("Count", 1))  # a number, or a string of one (never an intrinsic)
    if count < 0:
        raise ValueError(f"{logical_id}: ResourceSignal Count {count} is negative")
    if count == 0:
        return None
    timeout = str(signal.get("Timeout", DEFAULT_TIMEOUT))
    percent = int(
        (policy.get("AutoScalingCreationPolicy") or {}).get("MinSuccessfulInstancesPercent", 100)
    )
    if not 0 <= percent <= 100:
        raise ValueError(f"{logical_id}: MinSuccessfulInstancesPercent {percent} is not 0-100")
    return SignalWait(
        logical_id=logical_id,
        resource_type=resource_json["Type"],
        physical_id=physical_id,
        count=count,
        min_successful_percent=percent,
        timeout=timeout,
        deadline=started + parse_timeout(timeout),
    )


def waits_of(stack: cfn_models.Stack) -> dict[str, SignalWait]:
    """The stack's resources still waiting for signals (logical ID -> wait)."""
    return getattr(stack.resource_map, _WAITS, {})


def _resource_event(
    stack: cfn_models.Stack, wait: SignalWait, status: str, reason: str | None
) -> None:
    event = cfn_models.Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=wait.logical_id,
        physical_resource_id=wait.physical_id,
        resource_type=wait.resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)
    stack.events.append(event)


def _backend_of(stack: cfn_models.Stack) -> cfn_models.CloudFormationBackend:
    return cfn_models.cloudformation_backends[stack.account_id][stack.region_name]


def fail_creation(stack: cfn_models.Stack, wait: SignalWait, reason: str) -> None:
    """The resource failed: fail the stack and roll it back, as CloudFormation does."""
    setattr(stack.resource_map, _WAITS, {})
    _resource_event(stack, wait, "CREATE_FAILED", reason)
    summary = f"The following resource(s) failed to create: [{wait.logical_id}]."
    stack.stack_status_reason = summary
    if stack.disable_rollback:
        stack.status = "CREATE_FAILED"
        stack._add_stack_event("CREATE_FAILED", resource_status_reason=summary)
        return
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event(
        "ROLLBACK_IN_PROGRESS", resource_status_reason=f"{summary} Rollback requested by user."
    )
    try:
        stack.resource_map.delete()
    except Exception:  # the stack is reported failed either way
        logger.exception("rolling back stack %s left resources behind", stack.name)
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")


def _complete(stack: cfn_models.Stack, wait: SignalWait) -> None:
    waits = waits_of(stack)
    waits.pop(wait.logical_id, None)
    _resource_event(stack, wait, "CREATE_COMPLETE", None)
    if not waits:
        stack.mark_creation_complete()


def signal_resource(
    backend: cfn_models.CloudFormationBackend,
    *,
    stack_name: str,
    logical_id: str,
    unique_id: str,
    status: str,
) -> None:
    """Record one signal (the SignalResource API)."""
    if status not in STATUSES:
        raise ValidationError(message=f"Status {status!r} is not SUCCESS or FAILURE")
    if not 1 <= len(unique_id or "") <= 64:
        raise ValidationError(message="UniqueId must be 1 to 64 characters")
    with _LOCK:
        expire_waits(backend)
        try:
            stack = backend.get_stack(stack_name)
        except ValidationError:
            raise ValidationError(message=f"Stack {stack_name} does not exist") from None
        if logical_id not in stack.resource_map.resources:
            raise ValidationError(
                message=f"Resource {logical_id} does not exist for stack {stack_name}"
            )
        wait = waits_of(stack).get(logical_id)
        if wait is None or stack.status != "CREATE_IN_PROGRESS":
            raise ValidationError(
                message=f"Resource {logical_id} of stack {stack_name} is not waiting for "
                f"signals (the stack is {stack.status})"
            )
        if unique_id in wait.received:
            return  # CloudFormation counts a UniqueId once
        wait.received[unique_id] = status
        _resource_event(
            stack, wait, "CREATE_IN_PROGRESS", f"Received {status} signal with UniqueId {unique_id}"
        )
        if status == "FAILURE" and wait.hopeless():
            fail_creation(stack, wait, f"Received FAILURE signal with UniqueId {unique_id}")
        elif wait.satisfied():
            _complete(stack, wait)


def expire_waits(backend: cfn_models.CloudFormationBackend) -> None:
    """Fail every wait whose timeout has passed (called on every read of the stacks)."""
    if getattr(_EXPIRING, "active", False):
        return  # a rollback below reads stacks too
    with _LOCK:
        _EXPIRING.active = True
        try:
            moment = now()
            for stack in list(backend.stacks.values()):
                if stack.status != "CREATE_IN_PROGRESS":
                    continue
                for wait in list(waits_of(stack).values()):
                    if moment >= wait.deadline:
                        fail_creation(stack, wait, wait.timeout_reason())
                        break
        finally:
            _EXPIRING.active = False


def validate_creation_policies(template: dict[str, Any]) -> None:
    """Refuse a template whose ResourceSignal policies CloudFormation would refuse."""
    for logical_id, resource_json in (template.get("Resources") or {}).items():
        try:
            creation_wait(logical_id, resource_json, "", now())
        except (TypeError, ValueError) as error:
            raise ValidationError(message=f"Template format error: {error}") from None


def _wait_for_creation_policies() -> None:
    moto_load = parsing.ResourceMap.load
    moto_create = parsing.ResourceMap.create

    def load(self: parsing.ResourceMap) -> None:
        # Runs before the Stack is stored, so a refused template leaves no half stack.
        validate_creation_policies(self._template)
        moto_load(self)

    def create(self: parsing.ResourceMap, template: dict[str, Any]) -> bool:
        ready = moto_create(self, template)
        started = now()
        waits: dict[str, SignalWait] = {}
        for logical_id, resource_json in (template.get("Resources") or {}).items():
            resource = self._parsed_resources.get(logical_id)
            if resource is None:  # a false Condition: not created, nothing to wait for
                continue
            physical_id = str(getattr(resource, "physical_resource_id", "") or "")
            wait = creation_wait(logical_id, resource_json, physical_id, started)
            if wait is not None:
                waits[logical_id] = wait
        setattr(self, _WAITS, waits)
        if not waits:
            return ready
        backend = cfn_models.cloudformation_backends[self._account_id][self._region_name]
        stack = backend.stacks.get(self.stack_id)
        if stack is None:  # not a stack of this backend's CreateStack: nothing to report to
            setattr(self, _WAITS, {})
            return ready
        for wait in waits.values():
            _resource_event(
                stack,
                wait,
                "CREATE_IN_PROGRESS",
                f"{WAITING_REASON}{wait.needed} SUCCESS signal(s) within {wait.timeout} "
                "(CreationPolicy ResourceSignal)",
            )
        return False

    setattr(create, _MARK, True)
    parsing.ResourceMap.load = load  # type: ignore[method-assign]
    parsing.ResourceMap.create = create  # type: ignore[method-assign]


def _expire_on_reads() -> None:
    backend_class = cfn_models.CloudFormationBackend
    for name in ("describe_stacks", "list_stacks", "get_stack"):
        moto_read = getattr(backend_class, name)

        def read(
            self: cfn_models.CloudFormationBackend,
            *args: object,
            _moto_read: Callable[..., object] = moto_read,
            **kwargs: object,
        ) -> object:
            expire_waits(self)
            return _moto_read(self, *args, **kwargs)

        setattr(backend_class, name, functools.wraps(moto_read)(read))


def _add_signal_resource_action() -> None:
    from moto.cloudformation.responses import CloudFormationResponse  # noqa: PLC0415
    from moto.core.responses import ActionResult, EmptyResult  # noqa: PLC0415

    def signal_response(self: CloudFormationResponse) -> ActionResult:
        signal_resource(
            self.cloudformation_backend,
            stack_name=self._get_param("StackName"),
            logical_id=self._get_param("LogicalResourceId"),
            unique_id=self._get_param("UniqueId"),
            status=self._get_param("Status"),
        )
        return EmptyResult()

    CloudFormationResponse.signal_resource = signal_response  # type: ignore[attr-defined]


def install_resource_signals() -> None:
    """Install the patches once (idempotent)."""
    if getattr(parsing.ResourceMap.create, _MARK, False):
        return
    _wait_for_creation_policies()
    _expire_on_reads()
    _add_signal_resource_action()
