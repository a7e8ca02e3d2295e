"""Read values back out of a synthesized template, with intrinsics replaced by placeholders.

The pipeline definition body is one JSON string with CloudFormation tokens spliced in
(`Fn::Join` of literal pieces and intrinsics). Every token sits inside a JSON string, so replacing
each with a quote-free placeholder gives a document `json.loads` can parse.
"""

from __future__ import annotations

import json
from typing import Any


def placeholder(node: Any) -> str:
    """A readable, JSON-safe stand-in for one intrinsic function."""
    if isinstance(node, str):
        return node
    if "Fn::Join" in node:
        separator, parts = node["Fn::Join"]
        return separator.join(placeholder(part) for part in parts)
    if "Ref" in node:
        return f"{{Ref:{node['Ref']}}}"
    if "Fn::GetAtt" in node:
        return "{GetAtt:" + ".".join(node["Fn::GetAtt"]) + "}"
    if "Fn::FindInMap" in node:
        return f"{{FindInMap:{node['Fn::FindInMap'][0]}}}"
    if "Fn::GetStackOutput" in node:
        output = node["Fn::GetStackOutput"]
        return f"{{Output:{output['StackName']}:{output['OutputName']}}}"
    if "Fn::Sub" in node and isinstance(node["Fn::Sub"], str):
        return node["Fn::Sub"].replace("${", "{")
    if "Fn::ImportValue" in node:
        return f"{{Import:{placeholder(node['Fn::ImportValue'])}}}"
    raise ValueError(f"no placeholder for {node!r}")


def resolve_body(body: str | dict[str, Any]) -> dict[str, Any]:
    """The pipeline definition as a dict, whatever shape CloudFormation gave its body."""
    return json.loads(placeholder(body))


def single(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = [(k, r) for k, r in template["Resources"].items() if r["Type"] == resource_type]
    assert len(found) == 1, f"expected one {resource_type}, found {[k for k, _ in found]}"
    return found[0]


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def steps_by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every step of a pipeline definition by name, the steps inside a Condition's branches
    included, in document order (a Condition's branches right after it)."""
    found: dict[str, dict[str, Any]] = {}
    pending = list(document["Steps"])
    while pending:
        step = pending.pop(0)
        found[step["Name"]] = step
        if step["Type"] == "Condition":
            pending[0:0] = step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"]
    return found
