"""EC2 Auto Scaling: UpdateAutoScalingGroup keeps a group's MixedInstancesPolicy.

moto 5.2.5 bug: ``FakeAutoScalingGroup.update`` assigns the request's MixedInstancesPolicy to
the group unconditionally, so an update that only changes sizes (``MaxSize``,
``DesiredCapacity``, as the local cluster scenario sends before it scales in) stores None. The
group then describes without its policy (no Overrides, no InstancesDistribution) and sizes
itself as if it had none. AWS changes only what the request names.

:func:`install_update_keeps_mixed_instances_policy` hands moto the group's own policy back
when the request names no launch source, so moto re-applies it (and sizes the group with it)
instead of dropping it. A request that names a launch configuration, a launch template or a
new policy is left to moto as before.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from moto.autoscaling import models as as_models

_MARK = "__moto_cfn_models_update__"
_LAUNCH_SOURCES = ("launch_config_name", "launch_template", "mixed_instances_policy")


def _as_request(policy: dict[str, Any]) -> dict[str, Any]:
    """The stored policy as a request would carry it.

    moto stores the launch template's ID *and* name in the specification, and rejects a
    request that names both, so only the ID goes back (moto adds the name again).
    """
    request = copy.deepcopy(policy)
    specification = request.get("LaunchTemplate", {}).get("LaunchTemplateSpecification", {})
    if specification.get("LaunchTemplateId"):
        specification.pop("LaunchTemplateName", None)
    return request


def install_update_keeps_mixed_instances_policy() -> None:
    """Install the patch once (idempotent)."""
    group_class = as_models.FakeAutoScalingGroup
    moto_update = group_class.update
    if getattr(moto_update, _MARK, False):
        return

    @functools.wraps(moto_update)
    def update(self: as_models.FakeAutoScalingGroup, **kwargs: Any) -> None:  # noqa: ANN401
        # moto's backend passes every argument by keyword.
        if self.mixed_instances_policy and not any(kwargs.get(k) for k in _LAUNCH_SOURCES):
            kwargs["mixed_instances_policy"] = _as_request(self.mixed_instances_policy)
        moto_update(self, **kwargs)

    setattr(update, _MARK, True)
    group_class.update = update  # type: ignore[method-assign,assignment]
