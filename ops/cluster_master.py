"""`make cluster-start ENV=dev` / `make cluster-stop ENV=dev`: the Spark master of a profile
whose master is not always on (`cluster.master_always_on: false`, as in dev).

    python -m ops.cluster_master start --env dev
    python -m ops.cluster_master stop --env dev

Both read the deployed ClusterStack's outputs (MasterGroupName, WorkerGroupName) from
CloudFormation in the account of your credentials (boto3's default chain; AWS_ENDPOINT_URL is
honoured, for the emulator).

- start: the master group's desired capacity to 1. The master boots (a few minutes: it
  installs Spark), upserts its name in the private zone and publishes the cluster's metrics;
  the workers then follow the load (waiting applications scale them out from zero).
- stop: the workers' desired capacity to their group's minimum, then the master's to 0. The
  workers go first, drained by their termination hook; without a master nothing would scale
  them in. `master_stop_cron` does the master's part every evening as well.

A profile whose master is always on is refused: its group's minimum is 1.
Exit status: 0 done, 1 the account refused or the stack is not deployed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from platform_config import ConfigError, PlatformConfig, parse_profile

REPO_ROOT = Path(__file__).resolve().parent.parent
# stacks/platform_stack.py names every stack f"{name_prefix}-{suffix}"; ClusterStack's suffix
# (tests/ops/test_cluster_master.py checks this against the synthesized manifest).
CLUSTER_STACK_SUFFIX = "cluster"


class MasterError(Exception):
    """Why the command could not be done (one line, for the CLI)."""


def cluster_stack_name(config: PlatformConfig) -> str:
    return f"{config.name_prefix}-{CLUSTER_STACK_SUFFIX}"


def load_profile(name: str, cdk_json: Path) -> PlatformConfig:
    """The named profile from cdk.json, validated (ConfigError names what is wrong)."""
    profiles = json.loads(cdk_json.read_text(encoding="utf-8"))["context"]["profiles"]
    if name not in profiles:
        raise MasterError(f"unknown profile {name!r}; allowed: {', '.join(sorted(profiles))}")
    return parse_profile(name, profiles[name])


def _check_startable(config: PlatformConfig) -> None:
    if not config.cluster.enabled:
        raise MasterError(f"profile {config.profile} has no cluster (cluster.enabled is false)")
    if config.cluster.master_always_on:
        raise MasterError(
            f"profile {config.profile}'s master is always on (cluster.master_always_on true): "
            "its group's minimum is 1, so there is nothing to start or stop"
        )


def _outputs(session: boto3.Session, stack_name: str) -> dict[str, str]:
    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise MasterError(f"stack {stack_name} is not deployed here ({error})") from None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def _set_desired(autoscaling: Any, group_name: str, desired: int) -> None:  # noqa: ANN401
    autoscaling.set_desired_capacity(
        AutoScalingGroupName=group_name, DesiredCapacity=desired, HonorCooldown=False
    )
    print(f"{group_name}: desired capacity {desired}")


def start(session: boto3.Session, config: PlatformConfig) -> None:
    _check_startable(config)
    outputs = _outputs(session, cluster_stack_name(config))
    _set_desired(session.client("autoscaling"), outputs["MasterGroupName"], 1)


def stop(session: boto3.Session, config: PlatformConfig) -> None:
    _check_startable(config)
    outputs = _outputs(session, cluster_stack_name(config))
    autoscaling = session.client("autoscaling")
    workers = outputs["WorkerGroupName"]
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[workers])
    _set_desired(autoscaling, workers, int(groups["AutoScalingGroups"][0]["MinSize"]))
    _set_desired(autoscaling, outputs["MasterGroupName"], 0)


def main(argv: Sequence[str] | None = None, session: boto3.Session | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.cluster_master", description=__doc__.split("\n")[0]
    )
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--env", required=True, help="the profile's name in cdk.json")
    parser.add_argument(
        "--cdk-json", type=Path, default=REPO_ROOT / "cdk.json", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    try:
        config = load_profile(args.env, args.cdk_json)
        _check_startable(config)
    except (MasterError, ConfigError) as error:
        print(f"cluster_master: error: {error}", file=sys.stderr)
        return 2
    try:
        (start if args.action == "start" else stop)(session or boto3.Session(), config)
    except (MasterError, ClientError, BotoCoreError) as error:
        print(f"cluster_master: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
