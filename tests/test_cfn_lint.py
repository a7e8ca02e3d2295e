"""cfn-lint over every synthesized template: zero errors, zero warnings."""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import ManualArgs, lint_by_config

from tests.synthesis import Synthesized


def test_templates_are_lint_clean(synthesized: Synthesized) -> None:
    templates = [
        str(synthesized.outdir / f"{stack}.template.json") for stack in synthesized.stack_ids
    ]
    # One run over every template: cfn-lint loads its rules once per run (about 0.4 s).
    matches = lint_by_config(ManualArgs(templates=templates, regions=["us-east-1", "eu-west-1"]))
    findings: dict[str, list[str]] = {}
    for match in matches:
        # Informational findings (I*) are advice, not defects; errors and warnings must be zero.
        if match.rule.id[0] in "EW":
            findings.setdefault(Path(match.filename).name, []).append(str(match))
    assert findings == {}
