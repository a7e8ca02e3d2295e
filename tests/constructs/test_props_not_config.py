"""Constructs take documented props, never config: no module under constructs/ imports
platform_config, so a construct can be built (and tested) without parsing a profile."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from constructs.ml.training_pipeline import TrainingSpec

CONSTRUCTS = Path(__file__).resolve().parents[2] / "constructs"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_construct_module_imports_platform_config() -> None:
    offenders = [
        str(path.relative_to(CONSTRUCTS.parent))
        for path in sorted(CONSTRUCTS.rglob("*.py"))
        if any(m.split(".")[0] == "platform_config" for m in _imported_modules(path))
    ]
    assert offenders == []


def test_training_spec_refuses_a_spot_wait_shorter_than_the_run_naming_both_props() -> None:
    with pytest.raises(ValueError, match=r"'max_wait_seconds' \(60\).*'max_run_seconds' \(120\)"):
        TrainingSpec(
            training_instance_type="ml.g5.xlarge",
            processing_instance_type="ml.m5.xlarge",
            endpoint_instance_type="ml.g5.xlarge",
            hyperparameters={},
            metric_name="accuracy",
            metric_threshold=0.7,
            max_run_seconds=120,
            max_wait_seconds=60,
        )
