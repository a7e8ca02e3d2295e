"""Read CloudFormation templates (JSON or YAML with short-form tags) and their conditions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml


class _CfnYamlLoader(yaml.SafeLoader):
    """YAML loader that turns ``!Ref x`` / ``!Sub ...`` into their long JSON forms."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else ("Condition" if suffix == "Condition" else f"Fn::{suffix}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnYamlLoader.add_multi_constructor("!", _short_form)


def parse_template(body: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return yaml.load(body, Loader=_CfnYamlLoader)


class UnknownConditionError(ValueError):
    """A condition uses an intrinsic this evaluator does not know."""


def evaluate_conditions(template: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, bool]:
    """Every condition of ``template``, given parameter and pseudo-parameter ``values``.

    A condition whose value cannot be worked out is left out of the result.
    """
    definitions = template.get("Conditions") or {}
    results: dict[str, bool] = {}

    def value_of(node: Any) -> Any:  # noqa: ANN401 - template JSON
        if isinstance(node, dict) and "Ref" in node:
            if node["Ref"] not in values:
                raise UnknownConditionError(node["Ref"])
            return values[node["Ref"]]
        if isinstance(node, dict) and "Condition" in node:
            return condition(node["Condition"])
        if isinstance(node, dict) and len(node) == 1:
            return truth(node)
        if isinstance(node, dict | list):
            raise UnknownConditionError(str(node))
        return node

    def truth(node: Mapping[str, Any]) -> bool:
        ((operator, operands),) = node.items()
        if operator == "Fn::Equals":
            left, right = (value_of(operand) for operand in operands)
            return str(left) == str(right)
        if operator == "Fn::Not":
            return not value_of(operands[0])
        if operator == "Fn::And":
            return all(value_of(operand) for operand in operands)
        if operator == "Fn::Or":
            return any(value_of(operand) for operand in operands)
        if operator == "Condition":
            return condition(operands)
        raise UnknownConditionError(operator)

    def condition(name: str) -> bool:
        if name not in results:
            results[name] = truth(definitions[name])
        return results[name]

    for name in definitions:
        try:
            condition(name)
        except (UnknownConditionError, KeyError, TypeError, ValueError):
            continue
    return results
