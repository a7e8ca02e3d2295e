"""``python -m local_deploy demo [--sessions N] ...``: the arguments, then the run.

Bad arguments are one line on stderr and exit status 2, as in tools/cli_common's tools; a
failed stage is one line naming the stage and the reason, and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import NoReturn

from local_deploy.settings import LocalSettings
from tools.cli_common import fraction, positive_int

PROG = "python -m local_deploy demo"
# 400 sessions (about 1,400 events) give the training split a few hundred rows and the demo a
# run time under 3 minutes on 2 cores; the fixed costs (deploy, Spark, training) dominate.
DEFAULT_SESSIONS = 400
MAX_SESSIONS = 100_000


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _sessions(text: str) -> int:
    value = positive_int(text)
    if value > MAX_SESSIONS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_SESSIONS}, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog=PROG,
        description="Deploy, produce, deliver, ETL, export, train, approve, invoke and query "
        "the captured requests, all on the local emulator; ends with a checked summary.",
    )
    parser.add_argument(
        "--sessions",
        type=_sessions,
        default=DEFAULT_SESSIONS,
        help=f"shopping sessions to produce (default {DEFAULT_SESSIONS})",
    )
    parser.add_argument("--seed", type=int, default=7, help="event generator seed (default 7)")
    parser.add_argument(
        "--malformed-rate",
        type=fraction,
        default=0.05,
        help="share of events sent malformed (default 0.05)",
    )
    parser.add_argument(
        "--late-rate", type=fraction, default=0.05, help="share of late events (default 0.05)"
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="plain lines even on a terminal (the default when stdout is not one)",
    )
    parser.add_argument("--port", type=int, help="emulator port (default: $LOCAL_PORT or 4599)")
    parser.add_argument("--env", dest="profile", help="cdk.json profile (default: $ENV or dev)")
    return parser


def main(
    argv: list[str] | None = None,
    *,
    now: datetime | None = None,
    settings: LocalSettings | None = None,
) -> int:
    """Run the demo; ``now`` (default: the clock, read once) places every generated event, and
    ``settings`` (default: from --port/--env and the environment) names the emulator."""
    from local_deploy.demo import display, runner  # noqa: PLC0415 - rich loads after parsing
    from local_deploy.demo.stages import DemoOptions, DemoState  # noqa: PLC0415

    arguments = build_parser().parse_args(argv)
    if settings is None:
        try:
            settings = LocalSettings.from_environment(
                port=arguments.port, profile=arguments.profile
            )
        except ValueError as error:
            print(f"{PROG}: error: {error}", file=sys.stderr)
            return 2
    options = DemoOptions(
        sessions=arguments.sessions,
        seed=arguments.seed,
        malformed_rate=arguments.malformed_rate,
        late_rate=arguments.late_rate,
    )
    state = DemoState(settings, options, now or datetime.now(UTC).replace(microsecond=0))
    stream = runner.terminal_stream()
    try:
        shown = display.make_display(stream, plain=True if arguments.plain else None)
        log_file = settings.state_dir / f"demo-{settings.port}.log"
        outcome = runner.run(state, shown, log_file)
    finally:
        stream.flush()
        stream.close()
    if outcome.failed_stage:
        print(
            f"{PROG}: error: stage {outcome.failed_stage} failed: {outcome.reason} "
            f"(log: {settings.state_dir / f'demo-{settings.port}.log'})",
            file=sys.stderr,
        )
    return outcome.exit_code
