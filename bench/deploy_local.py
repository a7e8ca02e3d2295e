"""Time a local deploy (bootstrap + deploy of every stack into a fresh moto server) next to
`cdk synth` of the same app, measured in the same run, and print the ratio. The ratio says how
much the emulator round trip costs on top of synthesis, whatever the machine's speed."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from local_deploy import cdk_cli, server
from local_deploy.settings import LocalSettings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The CDK CLI's own output goes to the terminal through inherited file descriptors."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(devnull)


def one_round(env: str) -> tuple[float, float]:
    """(synth seconds, bootstrap + deploy seconds) against a fresh emulator."""
    with tempfile.TemporaryDirectory() as state:
        settings = LocalSettings(port=_free_port(), profile=env, state_dir=Path(state))
        server.start(settings)
        try:
            with _quiet():
                started = time.perf_counter()
                cdk_cli.synth(settings)
                synthesized = time.perf_counter()
                cdk_cli.bootstrap(settings)
                cdk_cli.deploy(settings)
                deployed = time.perf_counter()
        finally:
            server.stop(settings)
    return synthesized - started, deployed - synthesized


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="dev", help="profile to deploy (default: dev)")
    parser.add_argument("--rounds", type=int, default=1, help="timed rounds (default: 1)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    os.environ["PATH"] = f"{cdk_cli.VENV_BIN}{os.pathsep}{os.environ['PATH']}"

    synth, deploy = [], []
    for _ in range(args.rounds):
        synth_s, deploy_s = one_round(args.env)
        synth.append(synth_s)
        deploy.append(deploy_s)
    synth_s, deploy_s = statistics.median(synth), statistics.median(deploy)
    rows = [
        (f"cdk synth ({args.env})", f"{synth_s:6.2f} s  (median of {args.rounds})"),
        ("bootstrap + deploy into moto", f"{deploy_s:6.2f} s  (median of {args.rounds})"),
        ("ratio deploy / synth", f"{deploy_s / synth_s:6.2f}"),
    ]
    for label, value in rows:
        print(f"{label:<30}: {value}")


if __name__ == "__main__":
    main()
