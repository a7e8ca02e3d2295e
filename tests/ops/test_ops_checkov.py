"""checkov, offline, over every template of dev and prod: 0 failed, every skip with a reason.

checkov runs from its own virtualenv (`make checkov` builds .venv/checkov from
ops/checkov-lock.txt; its pins conflict with constraints.txt). Without it these tests skip and
say so; `make checkov` is the gate that always runs it. One checkov run per profile per session.
"""

from __future__ import annotations

import pytest

from ops.checkov import CHECKOV, Result, main, run_checkov
from tests.required_tools import missing_tool
from tests.stacks.streaming_testkit import ModeApp
from tests.test_nag import CHECKOV_SKIPPED


@pytest.fixture(scope="session")
def checkov_result(synthesized) -> Result:
    if not CHECKOV.is_file():
        missing_tool(f"{CHECKOV} is missing: run `make install` (or `make checkov`) to build it")
    return run_checkov(synthesized.outdir)


def test_checkov_reports_no_failed_check(checkov_result: Result) -> None:
    assert checkov_result.passed > 300
    failed = [(f.check_id, f.resource) for f in checkov_result.failed]
    assert failed == []


def test_checkov_skips_are_the_listed_ones_with_their_reasons(checkov_result: Result) -> None:
    skipped = {
        (f.template.split(".")[0], f.resource.split(".")[1], f.check_id)
        for f in checkov_result.skipped
    }
    assert skipped == CHECKOV_SKIPPED
    assert all(len(f.comment) >= 40 for f in checkov_result.skipped)


@pytest.fixture(scope="module", params=["serverless", "provisioned"])
def msk_mode_result(request: pytest.FixtureRequest, tmp_path_factory) -> Result:
    """The Network, DataLake and Streaming stacks with MSK on, as
    tests/stacks/test_streaming_msk_modes.py builds them (the profiles ship with MSK off)."""
    if not CHECKOV.is_file():
        missing_tool(f"{CHECKOV} is missing: run `make install` (or `make checkov`) to build it")
    app = ModeApp(request.param, tmp_path_factory.mktemp(f"checkov.msk-{request.param}"))
    return run_checkov(app.outdir)


def test_checkov_reports_no_failed_check_with_msk_on(msk_mode_result: Result) -> None:
    assert [(f.check_id, f.resource) for f in msk_mode_result.failed] == []
    assert all(len(f.comment) >= 40 for f in msk_mode_result.skipped)


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
