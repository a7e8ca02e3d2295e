"""The README's idle-cost table is generated from the synthesized templates, never typed by hand:
a profile change that moves the cost fails here until the README says so."""

from __future__ import annotations

from ops.cost import estimate, render_summary
from tests.synthesis import REPO_ROOT, Synthesized

BEGIN, END = "<!-- idle-cost:begin -->\n", "\n<!-- idle-cost:end -->"


def test_readme_idle_cost_table_is_the_generated_one(dev: Synthesized, prod: Synthesized) -> None:
    expected = render_summary([estimate(dev.outdir, "dev"), estimate(prod.outdir, "prod")])
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert BEGIN in readme, "README.md lost its idle-cost markers"
    assert END in readme, "README.md lost its idle-cost markers"
    current = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert current == expected, (
        "README.md's idle-cost table is stale; replace the block between the markers with:\n"
        + expected
    )
