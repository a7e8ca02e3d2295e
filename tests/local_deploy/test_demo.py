"""`python -m local_deploy demo` end to end at small scale, on the shared local deployment.

An `e2e` test: `make test` runs it in its second, end-to-end run (with the cluster test, on that
run's own deployment). Within a run it goes after the tests that read the lake as they left it
(marker `changes_lake_data`: the streaming test compares every object under events/) and before
the scale-in (after which the cluster's smoke checks, which the demo's `up` stage runs, fail).
It tolerates what earlier tests left: their events are in the lake and in the export's window,
so the checks compare this run's counts with each other, never with a fixed number exported.

Time-proof: the demo reads the clock once and places every event from it, and the emulator's
`current_date` comes from the same (possibly moved) clock; nothing here compares with a date.
"""

from __future__ import annotations

import re
import socket

import pytest

from local_deploy import server
from local_deploy.demo import cli as demo_cli
from local_deploy.demo.stages import STAGES
from local_deploy.settings import LocalSettings

pytestmark = [pytest.mark.local_deploy, pytest.mark.e2e, pytest.mark.changes_lake_data]

SESSIONS = 120


def _numbers(pattern: str, text: str) -> tuple[int, ...]:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return tuple(int(group) for group in match.groups())


def test_the_demo_runs_every_stage_and_its_counts_add_up(
    deployed: LocalSettings, capfd: pytest.CaptureFixture[str]
) -> None:
    status = demo_cli.main(["--sessions", str(SESSIONS), "--plain"], settings=deployed)
    out, err = capfd.readouterr()
    assert status == 0, f"{err}\n{out}\n{(deployed.state_dir / f'demo-{deployed.port}.log')}"
    summary = {
        line.split()[1]: line
        for line in out.splitlines()
        if re.match(r"^\s*\d+\s+\w+\s+(ok|FAILED|not run)\s", line)
    }
    assert list(summary) == [name for name, _ in STAGES]
    assert all(" ok " in line for line in summary.values()), out

    (sent,) = _numbers(r"(\d+) events sent", summary["produce"])
    delivered_sent, delivered, failed = _numbers(
        r"sent (\d+) = delivered (\d+) \+ failed (\d+)", summary["deliver"]
    )
    assert delivered_sent == sent == delivered + failed
    assert failed > 0, "the malformed share reached the error prefix"
    exported, trained, held_out, validation, test = _numbers(
        r"exported (\d+) = trained on (\d+) \+ held out (\d+) \(validation (\d+), test (\d+)\)",
        summary["pipeline"],
    )
    assert exported == trained + held_out
    assert held_out == validation + test
    assert exported >= 1
    assert test >= 1
    requests, predictions = _numbers(r"(\d+) requests, (\d+) predictions", summary["invoke"])
    assert requests == predictions == test
    captured, invocations, percentage = _numbers(
        r"captured (\d+) = (\d+) invocations x (\d+)%", summary["capture"]
    )
    assert invocations == requests
    assert captured == invocations * percentage // 100


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_failing_stage_exits_non_zero_naming_the_stage(
    tmp_path_factory: pytest.TempPathFactory, capfd: pytest.CaptureFixture[str]
) -> None:
    """A profile cdk.json does not have: the real `up` fails at synth, so the deploy stage
    fails, the others do not run, and stderr says so in one line."""
    settings = LocalSettings(
        port=_free_port(), profile="no-such-profile", state_dir=tmp_path_factory.mktemp("bad")
    )
    try:
        status = demo_cli.main(["--sessions", "5", "--plain"], settings=settings)
    finally:
        server.stop(settings)
    out, err = capfd.readouterr()
    assert status == 1
    error_lines = [line for line in err.splitlines() if "error:" in line]
    assert len(error_lines) == 1, err
    assert "stage deploy failed:" in error_lines[0]
    assert re.search(r"^\s*2\s+produce\s+not run", out, re.MULTILINE), out
