"""Synthesize the whole app and an empty CDK app with the same CLI, alternating, and print the
ratio of their median times. One absolute timing means little on a shared machine; the ratio
says how much work the platform adds on top of jsii and the CLI starting up.

The empty app is CDK's default, with the built-in CloudFormation validation plugin on. The
platform turns that plugin off (cfn-lint gates the templates instead; see app.create_app), so
it is also timed with the plugin back on (CDK_VALIDATION=true), to show what that choice saves.
"""

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


def time_synth(app_command: str, env: str, *, builtin_validation: bool = False) -> float:
    environment = {**os.environ, "CDK_VALIDATION": "true" if builtin_validation else "false"}
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        subprocess.run(
            [str(CDK), "synth", "--quiet", "--no-notices", "-c", f"env={env}",
             "--app", app_command, "--output", outdir],
            cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL, env=environment,
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
    empty_app, platform_app = f"{python} bench/empty_app.py", f"{python} app.py"
    full, empty, validated = [], [], []
    # Warm the file cache, not measured.
    time_synth(empty_app, args.env, builtin_validation=True)
    for _ in range(args.rounds):
        empty.append(time_synth(empty_app, args.env, builtin_validation=True))
        full.append(time_synth(platform_app, args.env))
        validated.append(time_synth(platform_app, args.env, builtin_validation=True))
    empty_s, full_s, validated_s = (statistics.median(t) for t in (empty, full, validated))
    rounds = f"(median of {args.rounds}, cdk synth)"
    print(f"empty CDK app                  : {empty_s:6.2f} s  {rounds}")
    print(f"platform ({args.env})                 : {full_s:6.2f} s  {rounds}")
    print(f"platform, built-in validation  : {validated_s:6.2f} s  {rounds}")
    print(f"ratio                          : {full_s / empty_s:6.2f}  (aim <= 1.5)")
    print(f"ratio with built-in validation : {validated_s / empty_s:6.2f}")


if __name__ == "__main__":
    main()
