"""Synthesize the whole app and an empty CDK app with the same CLI, interleaved, and print the
ratio of their median times, like for like: CDK's built-in CloudFormation validation plugin off
on both sides (the platform's default; cfn-lint gates the templates instead, see
app.create_app), then on on both sides. One absolute timing means little on a shared machine;
the ratio says how much work the platform adds on top of jsii and the CLI starting up.

A third ratio, plugin off, puts the platform against the same empty app after importing every
module the platform imports (bench/imports_app.py): what building and synthesizing the stacks
adds on top of loading their libraries.
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
    empty, imports, platform = "empty CDK app", "its imports only", f"platform ({args.env})"
    apps = {
        empty: f"{python} bench/empty_app.py",
        imports: f"{python} bench/imports_app.py",
        platform: f"{python} app.py",
    }
    timings: dict[tuple[str, bool], list[float]] = {
        (name, on): [] for name in apps for on in (False, True) if not (name == imports and on)
    }
    time_synth(apps[empty], args.env)  # warm the file cache, not measured
    for _ in range(args.rounds):
        for (name, on), times in timings.items():
            times.append(time_synth(apps[name], args.env, builtin_validation=on))
    median = {key: statistics.median(times) for key, times in timings.items()}
    rounds = f"(median of {args.rounds}, cdk synth, interleaved)"
    for (name, on), seconds in median.items():
        plugin = "validation plugin on " if on else "validation plugin off"
        print(f"{name:<17} {plugin}: {seconds:6.2f} s  {rounds}")
    for on, label in ((False, "off"), (True, "on ")):
        ratio = median[platform, on] / median[empty, on]
        print(f"ratio, plugin {label} on both sides : {ratio:6.2f}  (bar <= 2.0, aim <= 1.5)")
    off = {name: median[name, False] for name in apps}
    print(f"ratio, its imports only / empty : {off[imports] / off[empty]:6.2f}  (plugin off)")
    print(f"ratio, platform / imports only  : {off[platform] / off[imports]:6.2f}  (plugin off)")


if __name__ == "__main__":
    main()
