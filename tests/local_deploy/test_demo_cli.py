"""The demo's arguments and its plain display, without a deployment (fast, no marker)."""

from __future__ import annotations

import io

import pytest

from local_deploy.demo import cli as demo_cli
from local_deploy.demo.display import PlainDisplay, StageRow, make_display


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--sessions", "0"], "--sessions: must be a positive integer"),
        (["--sessions", "many"], "--sessions: must be a positive integer"),
        (["--sessions", "100001"], "--sessions: must be at most 100000"),
        (["--malformed-rate", "2"], "--malformed-rate: must be a number from 0 to 1"),
        (["--nonsense"], "unrecognized arguments: --nonsense"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        demo_cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("python -m local_deploy demo: error:")
    assert named in err


def test_a_bad_port_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOCAL_PORT", "not-a-port")
    assert demo_cli.main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "LOCAL_PORT='not-a-port' is not a port number" in err


def test_the_plain_display_writes_a_line_per_stage_and_a_summary_table() -> None:
    stream = io.StringIO()
    display = make_display(stream)  # a StringIO is no terminal: plain lines
    assert isinstance(display, PlainDisplay)
    rows = [
        StageRow(1, "deploy", "ok", 1.3, "8 stacks deployed"),
        StageRow(2, "produce", "FAILED", 0.5, "sent 3 of 4 events"),
        StageRow(3, "deliver", "not run", None, ""),
    ]
    display.start(1, 3, "deploy")
    display.finish(rows[0], 3)
    display.summary(rows, 1.75)
    lines = stream.getvalue().splitlines()
    assert lines[:2] == ["[1/3] deploy ...", "[1/3] deploy ok 1.3s: 8 stacks deployed"]
    assert lines[-3].split() == ["2", "produce", "FAILED", "0.5s", "sent", "3", "of", "4", "events"]
    assert lines[-2].split() == ["3", "deliver", "not", "run", "-"]
    assert lines[-1] == "total 1.8s"
    assert "\x1b" not in stream.getvalue()
