"""Synthesize the whole app and an empty CDK app with the same CLI, alternating, and print the
ratio of their median times. One absolute timing means little on a shared machine; the ratio
says how much work the platform adds on top of jsii and the CLI starting up."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def time_synth(app_command: str, env: str) -> float:
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        subprocess.run(
            [str(CDK), "synth", "--quiet", "--no-notices", "-c", f"env={env}",
             "--app", app_command, "--output", outdir],
            cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="dev", help="profile to synthesize (default: dev)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each (default: 3)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    python = sys.executable
    os.environ["PATH"] = f"{Path(python).parent}{os.pathsep}{os.environ['PATH']}"
    full, empty = [], []
    time_synth(f"{python} bench/empty_app.py", args.env)  # warm the file cache, not measured
    for _ in range(args.rounds):
        empty.append(time_synth(f"{python} bench/empty_app.py", args.env))
        full.append(time_synth(f"{python} app.py", args.env))
    full_s, empty_s = statistics.median(full), statistics.median(empty)
    print(f"empty CDK app : {empty_s:6.2f} s  (median of {args.rounds}, cdk synth)")
    print(f"platform ({args.env}) : {full_s:6.2f} s  (median of {args.rounds}, cdk synth)")
    print(f"ratio         : {full_s / empty_s:6.2f}  (aim <= 1.5)")


if __name__ == "__main__":
    main()
