"""The README's table of what the local Athena runs and refuses is generated from the conformance
suite, never typed by hand: a change to the engine that moves a case fails here until the README
says so."""

from __future__ import annotations

from tests.moto_cfn_models.trino_conformance.conformance import (
    README,
    README_BEGIN,
    README_END,
    render_readme,
    run_all,
)


def test_readme_sql_table_is_the_generated_one() -> None:
    expected = render_readme(run_all())
    readme = README.read_text(encoding="utf-8")
    assert README_BEGIN in readme, "README.md lost its sql-conformance markers"
    assert README_END in readme, "README.md lost its sql-conformance markers"
    current = readme.split(README_BEGIN, 1)[1].split(README_END, 1)[0]
    assert current == expected, (
        "README.md's SQL table is stale; run "
        "`python -m tests.moto_cfn_models.trino_conformance.conformance --write-readme`"
    )
