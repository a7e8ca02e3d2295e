"""Trino's documented examples through the local Athena engine: each gives Athena's answer or is
refused naming its construct, never another answer (tests/moto_cfn_models/trino_conformance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.moto_cfn_models.trino_conformance.conformance import (
    Case,
    engine,
    load_cases,
    run_case,
)

EXPECTED_WRONG_FILE = Path(__file__).parent / "expected_wrong.txt"
EXPECTED_WRONG = {
    line.strip()
    for line in EXPECTED_WRONG_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}
ENGINE = engine()
TOPICS = {
    "string",
    "datetime",
    "decimal",
    "array",
    "map",
    "json",
    "regexp",
    "url",
    "conditional",
    "aggregate",
    "window",
}


def test_the_suite_covers_the_documented_functions() -> None:
    cases = load_cases()
    examples = [case for case in cases if case.kind == "example"]
    assert len(cases) >= 300, len(cases)
    assert len(examples) >= 300, len(examples)
    assert {case.topic for case in cases} >= TOPICS
    assert {case.id for case in cases} >= EXPECTED_WRONG, "stale ids in expected_wrong.txt"


@pytest.mark.parametrize("case", load_cases(), ids=lambda case: case.id)
def test_a_documented_example_is_answered_as_athena_does_or_refused(case: Case) -> None:
    outcome = run_case(case, ENGINE)
    if case.id in EXPECTED_WRONG:
        assert outcome.verdict == "wrong", (
            f"{case.id} is now {outcome.verdict}: remove it from {EXPECTED_WRONG_FILE.name}"
        )
        pytest.xfail(outcome.detail)
    assert outcome.verdict in ("right", "refused"), f"{case.sql}\n{outcome.detail}"
