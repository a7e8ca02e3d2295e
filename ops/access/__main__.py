"""`python -m ops.access dev=cdk.dev.out prod=cdk.prod.out`: evaluate the access table.

Each argument is PROFILE=ASSEMBLY (a synthesized cdk.out). Prints every failed row (with its
deciding statement, or "no statement allows it") and a summary per profile; `--verbose` prints
every row. Exit status: 0 when every profile passes, 1 when one fails, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ops.access.check import check_profile
from ops.access.resolve import ResolveError
from ops.access.simulator import Simulator, SimulatorError
from ops.assembly import AssemblyError


def _profile_and_assembly(argument: str) -> tuple[str, Path]:
    profile, sep, folder = argument.partition("=")
    if not sep or not profile or not folder:
        raise argparse.ArgumentTypeError(
            f"{argument!r}: expected PROFILE=ASSEMBLY, e.g. dev=cdk.dev.out"
        )
    return profile, Path(folder)


def _boundary(argument: str) -> tuple[str, dict[str, Any]]:
    name, sep, file = argument.partition("=")
    if not sep or not name or not file:
        raise argparse.ArgumentTypeError(f"{argument!r}: expected NAME=FILE")
    try:
        document = json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise argparse.ArgumentTypeError(
            f"{file}: not a readable policy document ({error})"
        ) from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise argparse.ArgumentTypeError(f"{file}: a policy document has a Statement")
    return name, document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.access", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "assemblies", nargs="+", type=_profile_and_assembly, metavar="PROFILE=ASSEMBLY"
    )
    parser.add_argument("--verbose", action="store_true", help="print every row, not only failures")
    parser.add_argument(
        "--boundary",
        action="append",
        default=[],
        type=_boundary,
        metavar="NAME=FILE",
        help="the document of a permissions boundary the roles carry (repeatable)",
    )
    args = parser.parse_args(argv)
    failed = False
    try:
        with Simulator() as simulator:
            for profile, outdir in args.assemblies:
                report = check_profile(outdir, profile, simulator, boundaries=dict(args.boundary))
                print("\n".join(report.lines(verbose=args.verbose)))
                failed = failed or not report.ok
    except (AssemblyError, ResolveError, SimulatorError) as error:
        print(f"ops.access: {error}", file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
