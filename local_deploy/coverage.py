"""Which template resources the emulator really created, by type and by who created them.

The counts come from the emulator's own ListStackResources against the deployed template
(GetTemplate), not from what the deploy command reported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import moto_cfn_models
from local_deploy.templates import evaluate_conditions, parse_template

CREATED_BY_MOTO = "moto"
CREATED_BY_EXTENSION = "moto_cfn_models"
SKIPPED = "skipped"
CONDITION_FALSE = "condition false"


@dataclass
class StackCoverage:
    stack_name: str
    #: (resource type, outcome) -> count
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: "logical ID (type)" of each skipped resource
    skipped: list[str] = field(default_factory=list)


def _pseudo_parameters(stack: dict[str, Any], region: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "AWS::Region": region,
        "AWS::AccountId": stack["StackId"].split(":")[4],
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": stack["StackName"],
    }
    for parameter in stack.get("Parameters", []):
        values[parameter["ParameterKey"]] = parameter.get("ParameterValue", "")
    return values


def stack_coverage(cloudformation: Any, stack_name: str) -> StackCoverage:  # noqa: ANN401
    """Coverage of one deployed stack, read back from the emulator."""
    region = cloudformation.meta.region_name
    template = parse_template(cloudformation.get_template(StackName=stack_name)["TemplateBody"])
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    conditions = evaluate_conditions(template, _pseudo_parameters(stack, region))
    summaries = cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    created = {
        s["LogicalResourceId"]: s
        for s in summaries
        if s.get("LogicalResourceId") and s.get("PhysicalResourceId")
    }
    extension_types = moto_cfn_models.handled_types()
    coverage = StackCoverage(stack_name)
    for logical_id, resource in (template.get("Resources") or {}).items():
        resource_type = resource["Type"]
        if logical_id in created and created[logical_id]["ResourceType"] == resource_type:
            by = CREATED_BY_EXTENSION if resource_type in extension_types else CREATED_BY_MOTO
            coverage.counts[resource_type, by] += 1
        elif conditions.get(resource.get("Condition", ""), True) is False:
            coverage.counts[resource_type, CONDITION_FALSE] += 1
        else:
            coverage.counts[resource_type, SKIPPED] += 1
            coverage.skipped.append(f"{stack_name}/{logical_id} ({resource_type})")
    return coverage


def undeployed_stack_coverage(stack_name: str, template: dict[str, Any]) -> StackCoverage:
    """A stack that is not in the emulator: every resource of its template was skipped."""
    coverage = StackCoverage(stack_name)
    for logical_id, resource in (template.get("Resources") or {}).items():
        coverage.counts[resource["Type"], SKIPPED] += 1
        coverage.skipped.append(f"{stack_name}/{logical_id} ({resource['Type']}): not deployed")
    return coverage


def format_table(coverages: list[StackCoverage]) -> str:
    """One row per resource type across all stacks, and a total row."""
    totals: Counter[tuple[str, str]] = Counter()
    for coverage in coverages:
        totals.update(coverage.counts)
    types = sorted({resource_type for resource_type, _ in totals})
    columns = (CREATED_BY_MOTO, CREATED_BY_EXTENSION, SKIPPED, CONDITION_FALSE)
    width = max([len("resource type"), *(len(t) for t in types)])
    header = f"{'resource type':<{width}}  " + "  ".join(f"{c:>15}" for c in columns)
    lines = [header, "-" * len(header)]
    for resource_type in types:
        cells = "  ".join(f"{totals[resource_type, c]:>15}" for c in columns)
        lines.append(f"{resource_type:<{width}}  {cells}")
    lines.append("-" * len(header))
    total_cells = "  ".join(
        f"{sum(n for (_, c), n in totals.items() if c == column):>15}" for column in columns
    )
    lines.append(f"{'total':<{width}}  {total_cells}")
    return "\n".join(lines)


def skipped(coverages: list[StackCoverage]) -> list[str]:
    return [entry for coverage in coverages for entry in coverage.skipped]
