"""`python -m local_deploy run-pipeline` follows an execution to its end and says how it ended."""

from __future__ import annotations

import pytest

from local_deploy import ml_local
from local_deploy.settings import LocalSettings
from tests.local_pipeline.pipeline_fixtures import Account, scored_pipeline

# One package-scoped emulator and pipeline run: keep the tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("local_pipeline")


@pytest.fixture
def deployed_as(account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ml_local.server, "running_pid", lambda _settings: 1)
    monkeypatch.setattr(ml_local.deployment, "client", lambda _settings, s: account.clients(s))
    monkeypatch.setattr(
        ml_local, "ml_outputs", lambda _settings: ("MlStack", {"PipelineName": "cli-scored"})
    )


def test_run_pipeline_prints_steps_and_exits_non_zero_on_failure(
    account: Account, deployed_as: None
) -> None:
    account.create_pipeline("cli-scored", scored_pipeline(account, accuracy=0.5, threshold=0.9))
    lines: list[str] = []
    status = ml_local.run_pipeline(LocalSettings(), {}, poll_seconds=0, out=lines.append)
    assert status == 1
    assert [line.split()[:2] for line in lines[2:5]] == [
        ["Score", "Succeeded"],
        ["Check", "Succeeded"],
        ["TooLow", "Failed"],
    ]
    assert lines[-1] == "execution Failed: step TooLow: accuracy 0.5 is below 0.9"


@pytest.mark.parametrize("pair", ["NumRound", "=3"])
def test_malformed_param_is_one_line_error(pair: str) -> None:
    with pytest.raises(ml_local.MlLocalError, match="expected NAME=VALUE"):
        ml_local.parse_overrides([pair])
