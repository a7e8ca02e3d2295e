"""cfn-lint over every synthesized template: zero errors, zero warnings."""

from __future__ import annotations

from cfnlint.api import ManualArgs, lint_file

from tests.synthesis import Synthesized


def test_templates_are_lint_clean(synthesized: Synthesized) -> None:
    config = ManualArgs(regions=["us-east-1", "eu-west-1"])
    findings = {}
    for stack_id in synthesized.stack_ids:
        matches = lint_file(synthesized.outdir / f"{stack_id}.template.json", config=config)
        # Informational findings (I*) are advice, not defects; errors and warnings must be zero.
        problems = [str(m) for m in matches if m.rule.id[0] in "EW"]
        if problems:
            findings[stack_id] = problems
    assert findings == {}
