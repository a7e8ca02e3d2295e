"""checkov, offline, over every template of dev and prod and the StreamingStack of each MSK
mode: 0 failed, every skip with a reason.

checkov runs from its own virtualenv (`make checkov` builds .venv/checkov from
ops/checkov-lock.txt; its pins conflict with constraints.txt). Without it these tests skip and
say so; `make checkov` is the gate that always runs it. One checkov run per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.checkov import CHECKOV, CheckovError, Result, main, run_checkov, templates_of
from tests.required_tools import missing_tool
from tests.stacks.streaming_testkit import MSK_MODES, STACK, ModeApp
from tests.synthesis import Synthesized
from tests.test_nag import checkov_skipped


@pytest.fixture(scope="session")
def checkov_results(dev: Synthesized, prod: Synthesized, shared_tmp: Path) -> dict[str, Result]:
    """One checkov run (its start-up is about 2.5 s) over both profiles' templates and the
    StreamingStack of each MSK mode. The mode apps' other stacks are subsets of the dev
    profile's (no ML or cluster stack to alert on or to read the lake)."""
    if not CHECKOV.is_file():
        missing_tool(f"{CHECKOV} is missing: run `make install` (or `make checkov`) to build it")
    scanned = {"dev": templates_of(dev.outdir), "prod": templates_of(prod.outdir)}
    for mode in MSK_MODES:
        scanned[mode] = templates_of(ModeApp(mode, shared_tmp).outdir, stacks=[STACK])
    results = run_checkov([template for templates in scanned.values() for template in templates])
    return {name: results[templates[0].parent] for name, templates in scanned.items()}


@pytest.fixture
def checkov_result(checkov_results: dict[str, Result], synthesized: Synthesized) -> Result:
    return checkov_results[synthesized.profile]


def test_checkov_reports_no_failed_check(checkov_result: Result) -> None:
    assert checkov_result.passed > 300
    failed = [(f.check_id, f.resource) for f in checkov_result.failed]
    assert failed == []


def test_checkov_skips_are_the_listed_ones_with_their_reasons(
    checkov_result: Result, synthesized: Synthesized
) -> None:
    skipped = {
        (f.template.split(".")[0], f.resource.split(".")[1], f.check_id)
        for f in checkov_result.skipped
    }
    assert skipped == checkov_skipped(synthesized.profile)
    assert all(len(f.comment) >= 40 for f in checkov_result.skipped)


@pytest.fixture
def msk_mode_result(checkov_results: dict[str, Result], msk_mode_app: ModeApp) -> Result:
    return checkov_results[msk_mode_app.mode]


def test_checkov_reports_no_failed_check_with_msk_on(msk_mode_result: Result) -> None:
    assert msk_mode_result.passed > 50
    assert [(f.check_id, f.resource) for f in msk_mode_result.failed] == []
    assert all(len(f.comment) >= 40 for f in msk_mode_result.skipped)


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_stack_without_a_template_is_named(tmp_path) -> None:
    (tmp_path / "Present.template.json").write_text("{}")
    with pytest.raises(CheckovError, match="no template for Absent"):
        templates_of(tmp_path, stacks=["Absent"])
