"""AWS Control Tower's proactive controls, checked at every synth, the CDK way.

CDK's policy-validation plugin interface runs cdklabs' `CfnGuardValidator` over every template
once the app is synthesized: the cfn-guard rules of Control Tower's proactive controls (the
same rules Control Tower's CloudFormation hook enforces in an organization that enables them),
plus the organization's own rule files named by the profile. Any failure stops the synth
(`cdk synth` exits 1), names the resource and the control, and is written to
cdk.out/validation-report.json.

The controls the platform fails on purpose (platform_config/guard_controls.py) run apart, in a
second `CfnGuardValidator` of those controls only, whose failures are acknowledged on exactly the
resources the list names, with its reasons: the report keeps them (`suppressedViolations`), and
the same control failing on any other resource still stops the synth.

Why two: aws-cdk-lib 2.275 decides whether a report with acknowledged findings fails from the
severity of the findings left, and `CfnGuardValidator` reports none, so the one report that
has acknowledgements must be read through `ListedControls`, which sets it. Reading a report
into Python also fails on a finding that names no resource (cfn-guard gives some; jsii refuses
the missing logical ID): only the listed controls go that way, and such a finding fails the
synth with what is known.
"""

from __future__ import annotations

import functools
import re
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import aws_cdk as cdk
import cdklabs.cdk_validator_cfnguard._jsii as validator_package
import jsii
import jsii.errors
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

from constructs import Construct, IConstruct
from platform_config import PlatformConfig
from platform_config.governance import PROJECT_ROOT
from platform_config.guard_controls import DisabledControl, disabled_for

#: The plugin's name: the namespace of its rule ids in reports and acknowledgements.
PLUGIN_NAME = "cdk-validator-cfnguard"
_CONTROL_TOWER_RULES = "package/rules/control-tower/cfn-guard/"
_RESOURCE_TYPE = re.compile(r'"(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)"')


def acknowledgement_id(rule: str) -> str:
    """How CDK names a cfn-guard rule when it is acknowledged (the report says the same)."""
    return f"{PLUGIN_NAME}::{rule}"


def rule_file(control: str) -> str:
    """The bundled rule file of a control, as `disabled_rules` names it: CT.S3.PR.9 is
    ct-s3-pr-9(.guard)."""
    return "ct-" + control.removeprefix("CT.").lower().replace(".", "-")


@functools.cache
def bundled_rules() -> dict[str, frozenset[str]]:
    """Every Control Tower rule file the pinned validator bundles, by name, with the resource
    types it reads (the `AWS::...` names in it)."""
    (tgz,) = Path(validator_package.__file__).parent.glob("*.jsii.tgz")
    rules = {}
    with tarfile.open(tgz) as tar:
        for member in tar:
            if member.name.startswith(_CONTROL_TOWER_RULES) and member.name.endswith(".guard"):
                file = tar.extractfile(member)
                text = file.read().decode("utf-8") if file else ""
                rules[Path(member.name).stem] = frozenset(_RESOURCE_TYPE.findall(text))
    return rules


def rules_that_read(resource_types: set[str]) -> frozenset[str]:
    """The bundled rules that read one of `resource_types`, or name no type (always run). The
    others have nothing to check in this app; leaving them out of cfn-guard's run changes no
    result and saves most of its time (6 of 9 s for dev's 7 templates)."""
    return frozenset(
        name for name, reads in bundled_rules().items() if not reads or reads & resource_types
    )


@jsii.implements(cdk.IPolicyValidationPlugin)
class ListedControls:
    """The controls of platform_config/guard_controls.py, and only those, with each finding's
    severity set to "error" (CfnGuardValidator sets none), so that what is not acknowledged
    fails."""

    def __init__(self, controls: Sequence[DisabledControl], rules: frozenset[str]) -> None:
        """:param rules: the bundled rule files to run: those of `controls` that have something
        to check."""
        self._controls = [c.control for c in controls]
        self._guard = CfnGuardValidator(
            control_tower_rules_enabled=True, disabled_rules=sorted(set(bundled_rules()) - rules)
        )

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str | None:
        return self._guard.version

    @property
    def rule_ids(self) -> list[str] | None:
        return list(self._guard.rule_ids or [])

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        try:
            report = self._guard.validate(cast(cdk.IPolicyValidationContextBeta1, context))
        except (RuntimeError, jsii.errors.JSIIError) as error:  # a finding with no resource
            return self._unreadable(context, str(error).splitlines()[0])
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

    def _unreadable(
        self, context: cdk.IPolicyValidationContext, error: str
    ) -> cdk.PolicyValidationPluginReport:
        listed = ", ".join(self._controls)
        return cdk.PolicyValidationPluginReport(
            success=False,
            plugin_version=self.version,
            violations=[
                cdk.PolicyViolation(
                    rule_name="listed-controls",
                    description=f"one of the controls platform_config/guard_controls.py "
                    f"disables ({listed}) fails on a resource it does not list, and "
                    f"cfn-guard did not say which ({error})",
                    fix="Check the resources added since the list was last right against those "
                    "controls; `make lint` names them when the profile turns the control back "
                    "on (governance.guard.enabled_controls).",
                    severity="error",
                    violating_resources=[
                        cdk.PolicyViolatingResource(locations=[], template_path=path)
                        for path in context.template_paths
                    ],
                )
            ],
        )


def _find(app: cdk.App, path: str, *, optional: bool = False) -> IConstruct | None:
    """The construct at `path`; None if its stack is not in this app (e.g. cluster.enabled off)
    or, for an `optional` path, if it is not there. Any other path into a stack that is there
    must exist: the list would be stale."""
    stack_id, *rest = path.split("/")
    node: IConstruct | None = app.node.try_find_child(stack_id)
    if node is None:
        return None
    for part in rest:
        child = node.node.try_find_child(part)
        if child is None:
            if optional:
                return None
            raise LookupError(
                f"platform_config/guard_controls.py names {path}, which this app does not have "
                f"(no {part!r} under {node.node.path}): update the list"
            )
        node = child
    return node


def add_control_tower_checks(app: cdk.App, config: PlatformConfig) -> None:
    """Check every template of `app` against Control Tower's proactive controls and the
    profile's own rule files; the controls the profile's stage disables apart, acknowledged on
    the resources listed for each. Call once every stack is built: the rules that read none of
    the resource types then in the app are left out, having nothing to check."""
    guard = config.governance.guard
    disabled = disabled_for(config.stage, guard.enabled_controls)
    listed = frozenset(rule_file(c.control) for c in disabled)
    present = {c.cfn_resource_type for c in app.node.find_all() if isinstance(c, cdk.CfnResource)}
    relevant = rules_that_read(present)
    every_other_control = CfnGuardValidator(
        control_tower_rules_enabled=True,
        disabled_rules=sorted(set(bundled_rules()) - (relevant - listed)),
        rules=[str(PROJECT_ROOT / path) for path in guard.rule_files],
    )
    # CfnGuardValidator implements the plugin interface under its earlier name
    # (IPolicyValidationPluginBeta1: the same members); the App runs both alike.
    cdk.Validations.of(app).add_plugins(cast(cdk.IPolicyValidationPlugin, every_other_control))
    if not listed & relevant:
        return
    cdk.Validations.of(app).add_plugins(ListedControls(disabled, listed & relevant))
    for control in disabled:
        required = [(path, False) for path in control.resources]
        optional = [(path, True) for path in control.optional_resources]
        for path, is_optional in required + optional:
            construct = _find(app, path, optional=is_optional)
            if construct is None:
                continue
            cdk.Validations.of(cast(Construct, construct)).acknowledge(
                cdk.Acknowledgment(
                    id=acknowledgement_id(control.rule),
                    reason=f"{control.control} (platform_config/guard_controls.py): "
                    f"{control.reason}",
                )
            )
