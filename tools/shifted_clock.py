"""Run a command with every process's clock moved, to prove nothing depends on today's date.

    python -m tools.shifted_clock +400d -- python -m pytest
    python -m tools.shifted_clock "@2027-12-31 23:59:00" -- python -m pytest tests/etl

libfaketime (the PyPI wheel bundles the shared library) is preloaded into the command and every
process it starts: Python, the jsii Node runtime, the CDK CLI, the moto server and the Spark JVM
all see the same moved wall clock. A relative shift (`+400d`) keeps ticking from now plus the
shift; an absolute start (`@YYYY-MM-DD hh:mm:ss`) ticks from that moment, so a run started a
minute before midnight on 31 December crosses a day, a month and a year boundary. Monotonic
clocks are left alone (DONT_FAKE_MONOTONIC), so timeouts and benchmarks still measure real time.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

_SHIFT = re.compile(r"^[+-]\d+[smhdy]$|^@\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def shift_type(text: str) -> str:
    """An argparse type for libfaketime's FAKETIME values this tool supports."""
    if not _SHIFT.match(text):
        raise argparse.ArgumentTypeError(
            f"must be a relative shift such as +400d or an absolute start such as "
            f"'@2027-12-31 23:59:00', got {text!r}"
        )
    return text


def shifted_environment(shift: str, environ: dict[str, str]) -> dict[str, str]:
    """`environ` plus what preloads libfaketime with `shift` into every child process."""
    import libfaketime  # noqa: PLC0415 - a dev pin; importing it is the only cost of this tool

    additions = libfaketime.get_reload_information()[1]
    return {**environ, **additions, "FAKETIME": shift}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.shifted_clock", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("shift", type=shift_type, help="+400d, -30d, or '@2027-12-31 23:59:00'")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --, e.g. -- python -m pytest")
    print(f"shifted_clock: FAKETIME={args.shift!r}: {' '.join(command)}", file=sys.stderr)
    os.execvpe(command[0], command, shifted_environment(args.shift, dict(os.environ)))


if __name__ == "__main__":
    sys.exit(main())
