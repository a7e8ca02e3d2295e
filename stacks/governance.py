"""AWS Control Tower's proactive controls, checked at every synth, the CDK way.

CDK's policy-validation plugin interface runs cdklabs' `CfnGuardValidator` over every template
once the app is synthesized: the cfn-guard rules of Control Tower's proactive controls (the
same rules Control Tower's CloudFormation hook enforces in an organization that enables them),
plus the organization's own rule files named by the profile. Any failure stops the synth,
names the resource and the control, and is written to cdk.out/validation-report.json.

The controls the platform fails on purpose are acknowledged on exactly the resources that
platform_config/guard_controls.py lists, with its reasons; the same control on any other
resource still fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import aws_cdk as cdk
import jsii
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

from constructs import Construct, IConstruct
from platform_config import PlatformConfig
from platform_config.governance import PROJECT_ROOT
from platform_config.guard_controls import disabled_for

#: The plugin's name: the namespace of its rule ids in reports and acknowledgements.
PLUGIN_NAME = "cdk-validator-cfnguard"


def acknowledgement_id(rule: str) -> str:
    """How CDK names a cfn-guard rule when it is acknowledged (the report says the same)."""
    return f"{PLUGIN_NAME}::{rule}"


def _find(app: cdk.App, path: str) -> IConstruct | None:
    """The construct at `path`; None if its stack is not in this app (e.g. cluster.enabled off).
    A path into a stack that is there must exist: the list would be stale."""
    stack_id, *rest = path.split("/")
    node: IConstruct | None = app.node.try_find_child(stack_id)
    if node is None:
        return None
    for part in rest:
        child = node.node.try_find_child(part)
        if child is None:
            raise LookupError(
                f"platform_config/guard_controls.py names {path}, which this app does not have "
                f"(no {part!r} under {node.node.path}): update the list"
            )
        node = child
    return node


@jsii.implements(cdk.IPolicyValidationPlugin)
class ControlTowerChecks:
    """cdklabs' CfnGuardValidator, with the severity its findings lack set to "error".

    aws-cdk-lib 2.275 decides whether a plugin's report fails from the severity of what is left
    once acknowledged findings are taken out, and the validator reports no severity: with even
    one of its findings acknowledged, every other one would pass. Each finding here says
    "error", so any failure that is not acknowledged stops the synth.
    """

    def __init__(self, rule_files: Sequence[str]) -> None:
        self._guard = CfnGuardValidator(control_tower_rules_enabled=True, rules=list(rule_files))

    @property
    def name(self) -> str:
        return str(self._guard.name)

    @property
    def version(self) -> str | None:
        return self._guard.version

    @property
    def rule_ids(self) -> list[str] | None:
        return list(self._guard.rule_ids or [])

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        report = self._guard.validate(cast(cdk.IPolicyValidationContextBeta1, context))
        return cdk.PolicyValidationPluginReport(
            success=report.success,
            plugin_version=self.version,
            metadata=report.metadata,
            violations=[
                cdk.PolicyViolation(
                    rule_name=violation.rule_name,
                    description=violation.description,
                    fix=violation.fix,
                    rule_metadata=violation.rule_metadata,
                    severity=violation.severity or "error",
                    violating_resources=[
                        cdk.PolicyViolatingResource(
                            locations=list(resource.locations),
                            resource_logical_id=resource.resource_logical_id,
                            template_path=resource.template_path,
                        )
                        for resource in violation.violating_resources
                    ],
                )
                for violation in report.violations
            ],
        )


def add_control_tower_checks(app: cdk.App, config: PlatformConfig) -> None:
    """Check every template of `app` against Control Tower's proactive controls and the
    profile's own rule files; acknowledge the controls the profile's stage disables, on the
    resources listed for each. Call once every stack is built."""
    guard = config.governance.guard
    rule_files = [str(PROJECT_ROOT / path) for path in guard.rule_files]
    cdk.Validations.of(app).add_plugins(ControlTowerChecks(rule_files))
    for control in disabled_for(config.stage, guard.enabled_controls):
        for path in control.resources:
            construct = _find(app, path)
            if construct is None:
                continue
            cdk.Validations.of(cast(Construct, construct)).acknowledge(
                cdk.Acknowledgment(
                    id=acknowledgement_id(control.rule),
                    reason=f"{control.control} (platform_config/guard_controls.py): "
                    f"{control.reason}",
                )
            )
