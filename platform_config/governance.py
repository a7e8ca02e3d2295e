"""Governance settings: what an AWS organization adds to the Control Tower checks at synth.

Every synth runs AWS Control Tower's proactive controls over every template (stacks/governance.py);
platform_config/guard_controls.py lists the few the platform fails on purpose. A profile may:

- `rule_files`: add the organization's own cfn-guard rules, as paths relative to the project
  root (or absolute): a `.guard` file, or a folder holding only `.guard` files;
- `enabled_controls`: turn controls of that list back on by id (`CT.S3.PR.9`), where the
  organization enforces them; synth then fails on the listed resources until they comply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from platform_config.base import Section
from platform_config.guard_controls import BY_ID

#: Profiles name rule files relative to the project root (where cdk.json is).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUARD_SUFFIX = ".guard"


def _check_rule_path(value: str) -> str:
    path = PROJECT_ROOT / value
    if path.is_file():
        if path.suffix != GUARD_SUFFIX:
            raise ValueError(f"not a cfn-guard rule file; allowed: a {GUARD_SUFFIX} file")
        return value
    if path.is_dir():
        entries = sorted(p.name for p in path.iterdir())
        others = [name for name in entries if not name.endswith(GUARD_SUFFIX)]
        if not entries or others:
            found = f"it holds {others[0]!r}" if others else "it is empty"
            raise ValueError(f"{found}; allowed: a folder of {GUARD_SUFFIX} files only")
        return value
    raise ValueError(
        f"no such file or folder under {PROJECT_ROOT}; allowed: a {GUARD_SUFFIX} file or a "
        f"folder of them, relative to the project root"
    )


def _check_control(value: str) -> str:
    if value not in BY_ID:
        allowed = ", ".join(sorted(BY_ID))
        raise ValueError(
            "not a control this platform disables (every other control is always checked); "
            f"allowed: {allowed} (platform_config/guard_controls.py)"
        )
    return value


GuardRulePath = Annotated[str, AfterValidator(_check_rule_path)]
ControlId = Annotated[str, AfterValidator(_check_control)]


class GuardConfig(Section):
    rule_files: list[GuardRulePath] = Field(
        default_factory=list,
        description="The organization's own cfn-guard rules: .guard files or folders of them, "
        "relative to the project root, checked with Control Tower's at every synth.",
    )
    enabled_controls: list[ControlId] = Field(
        default_factory=list,
        description="Controls of platform_config/guard_controls.py to check again, by id.",
    )


class GovernanceConfig(Section):
    guard: GuardConfig = Field(default_factory=GuardConfig)
