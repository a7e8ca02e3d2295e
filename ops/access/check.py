"""Evaluate the access table against one profile's synthesized assembly.

A profile passes when every row it applies to gets the decision the row expects, and every role
and every resource policy (key policies included) of its templates is exercised by some row: a
policy no row reaches is one nobody has checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.access.calls import Call, Expanded, expand
from ops.access.policies import AssemblyPolicies, read_policies
from ops.access.resolve import ACCOUNT, PARTITION, REGION, AssemblyValues, ResolveError
from ops.access.simulator import Simulator, Verdict
from ops.access.table import CALLS
from ops.assembly import AssemblyError, read_assembly, read_json
from ops.preflight_needs import DEFAULT_QUALIFIER, resolve_placeholders

_QUALIFIER = re.compile(r":role/cdk-(?P<qualifier>[^-]+)-cfn-exec-role-")


@dataclass(frozen=True)
class Outcome:
    """One row's verdict against one profile."""

    expanded: Expanded
    verdict: Verdict

    @property
    def ok(self) -> bool:
        if self.verdict.decision == "Error" or self._ignored_row_keys():
            return False
        return self.verdict.allowed == (self.expanded.call.expect == "allow")

    def _ignored_row_keys(self) -> list[str]:
        return [
            key for key in self.verdict.ignored_context_keys if key in self.expanded.call.context
        ]

    def line(self) -> str:
        call, request = self.expanded.call, self.expanded.request
        status = "ok  " if self.ok else "FAIL"
        line = (
            f"{status} must {call.expect:<5} {call.caller} {request.action} on {request.resource}"
            f" ({call.why}): {self.verdict.decision}, {self.verdict.deciding()}"
        )
        ignored = self._ignored_row_keys()
        if ignored:
            line += f"; the row's context keys {ignored} do not apply to this action"
        return line


@dataclass
class ProfileReport:
    """Everything the table found for one profile."""

    profile: str
    outcomes: list[Outcome] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # rows that name what the profile lacks
    uncovered_roles: list[str] = field(default_factory=list)
    uncovered_policies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        failed = any(not outcome.ok for outcome in self.outcomes)
        return not (failed or self.unresolved or self.uncovered_roles or self.uncovered_policies)

    def lines(self, *, verbose: bool = False) -> list[str]:
        shown = [o.line() for o in self.outcomes if verbose or not o.ok]
        shown += [f"FAIL row does not resolve: {problem}" for problem in self.unresolved]
        shown += [f"FAIL no row calls as the role {path}" for path in self.uncovered_roles]
        shown += [
            f"FAIL no row reaches the resource policy {path}" for path in self.uncovered_policies
        ]
        passed = sum(o.ok for o in self.outcomes)
        shown.append(
            f"{self.profile}: {passed} of {len(self.outcomes)} calls decided as AWS must; "
            f"{len(self.uncovered_roles)} role(s) and {len(self.uncovered_policies)} resource "
            f"policy(ies) no row reaches"
        )
        return shown


def load_policies(
    outdir: Path, boundaries: Mapping[str, dict[str, Any]] | None = None
) -> tuple[AssemblyPolicies, str]:
    """The assembly's resolved policies, and the CloudFormation execution role it deploys with;
    `boundaries`: documents of permissions boundaries by name (see `read_policies`)."""
    values = AssemblyValues(read_assembly(outdir))
    manifest = read_json(outdir / "manifest.json")
    artifacts = manifest.get("artifacts", {}) if isinstance(manifest, dict) else {}
    exec_roles = {
        artifact["properties"]["cloudFormationExecutionRoleArn"]
        for artifact in artifacts.values()
        if "cloudFormationExecutionRoleArn" in artifact.get("properties", {})
    }
    if len(exec_roles) != 1:
        raise AssemblyError(
            f"{outdir}: expected one CloudFormation execution role, found {sorted(exec_roles)}"
        )
    exec_role = resolve_placeholders(
        exec_roles.pop(), partition=PARTITION, account=ACCOUNT, region=REGION
    )
    match = _QUALIFIER.search(exec_role)
    qualifier = match["qualifier"] if match else DEFAULT_QUALIFIER
    return read_policies(values, qualifier=qualifier, boundaries=boundaries), exec_role


def check_profile(
    outdir: Path,
    profile: str,
    simulator: Simulator,
    calls: Iterable[Call] = CALLS,
    boundaries: Mapping[str, dict[str, Any]] | None = None,
) -> ProfileReport:
    """Evaluate every row that applies to `profile` against the assembly in `outdir`."""
    policies, exec_role = load_policies(outdir, boundaries)
    return evaluate(policies, exec_role, profile, simulator, calls)


def evaluate(
    policies: AssemblyPolicies,
    exec_role: str,
    profile: str,
    simulator: Simulator,
    calls: Iterable[Call] = CALLS,
) -> ProfileReport:
    """Evaluate the rows against already-resolved policies (a test may have altered them)."""
    report = ProfileReport(profile)
    expanded: list[Expanded] = []
    for call in calls:
        if profile not in call.profiles:
            continue
        try:
            expanded.append(expand(call, policies, cfn_exec_role=exec_role))
        except ResolveError as error:
            report.unresolved.append(f"{call.label()}: {error}")
    verdicts = simulator.evaluate([item.request for item in expanded])
    report.outcomes = [
        Outcome(item, verdict) for item, verdict in zip(expanded, verdicts, strict=True)
    ]
    called_roles = {item.caller_role for item in expanded}
    report.uncovered_roles = sorted(
        r.path for r in policies.roles.values() if r.path not in called_roles
    )
    reached = {item.resource_policy for item in expanded}
    report.uncovered_policies = sorted(
        p.path for p in policies.resource_policies if p.path not in reached
    )
    return report
