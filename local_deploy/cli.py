"""``python -m local_deploy``: deploy the CDK app into a local moto server, with no AWS account.

up        start the emulator (if needed), synth, bootstrap, deploy every stack, then report
report    print outputs, the coverage table and the smoke checks of what is deployed
deliver   play Firehose (which moto does not run): deliver what producers sent to each
          Kinesis-sourced delivery stream through its transform into the lake
down      destroy every stack (the emulator keeps running; `stop` ends it)
stop      stop the emulator; all local state goes with it
env       print `export` lines that point a shell's AWS tools at the emulator
shell     open $SHELL with those variables set
cluster   run the deployed ClusterStack as a real local Spark master and workers, run the
          sample job, and drain a worker through the lifecycle agent (see local_deploy.cluster)
run-job NAME  run the deployed Glue job's script on local Spark 3.5, staged through local files
          (--job-arg NAME=VALUE overrides the argument --NAME; see local_deploy.glue_job_run)
run-pipeline  run the deployed SageMaker pipeline on the emulator (--param NAME=VALUE overrides
          a pipeline parameter) and follow its steps (see local_deploy.pipeline_run)
approve   approve the newest pending model package and run the deployed deployer Lambda's
          code on the EventBridge events (see local_deploy.ml_local): the endpoint goes live
demo      the whole story in one run (`make demo-local`): up, produce, deliver, run-job, the
          training export through Athena, run-pipeline, approve, invoke, and the captured
          requests queried back; `demo --help` for its options (see local_deploy.demo)
"""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import subprocess
import sys
import time

from botocore.exceptions import BotoCoreError, ClientError

from local_deploy import cdk_cli, deployment, server
from local_deploy.bring_up import report, up
from local_deploy.firehose import LocalDeliveryError
from local_deploy.lambda_code import FunctionCodeError
from local_deploy.settings import LocalSettings


def down(settings: LocalSettings) -> int:
    if server.running_pid(settings) is None:
        print(f"no emulator runs on port {settings.port}; nothing to destroy")
        return 0
    if settings.assembly_dir.exists():
        emptied = deployment.empty_deletable_buckets(settings)
        print(f"emptied {len(emptied)} bucket(s) whose removal policy is destroy")
    cdk_cli.destroy(settings)
    print(f"Stacks destroyed; the emulator still runs on {settings.endpoint}.")
    print(f"Stop it with `python -m local_deploy stop --port {settings.port}`.")
    return 0


def deliver(settings: LocalSettings) -> int:
    from local_deploy import deliver as local_delivery  # noqa: PLC0415 - pulls in pyarrow

    if server.running_pid(settings) is None:
        print(f"no emulator runs on port {settings.port}; start it with `make deploy-local`")
        return 1
    names = local_delivery.kinesis_delivery_streams(settings)
    if not names:
        print("no delivery stream with a Kinesis source is deployed; run `make deploy-local`")
        return 1
    status = 0
    for name in names:
        summary = local_delivery.deliver(settings, name)
        print(
            f"{name}: read {summary.read}, delivered {summary.delivered}, "
            f"processing-failed {summary.processing_failed}, "
            f"format-conversion-failed {summary.conversion_failed}, dropped {summary.dropped}, "
            f"in {summary.invocations} invocation(s)"
        )
        for location in summary.objects:
            print(f"  wrote {location}")
        print(f"  transform log: {local_delivery.transform_log_file(settings, name)}")
        if summary.accounted != summary.read:
            print(f"  ERROR: {summary.read - summary.accounted} record(s) unaccounted for")
            status = 1
    return status


def stop(settings: LocalSettings) -> int:
    if server.stop(settings):
        print(f"stopped the emulator on port {settings.port}")
    else:
        print(f"no emulator runs on port {settings.port}")
    return 0


def env_lines(settings: LocalSettings) -> list[str]:
    return [f"export {k}={shlex.quote(v)}" for k, v in settings.aws_environment().items()]


def shell(settings: LocalSettings) -> int:
    if server.running_pid(settings) is None:
        print(f"note: no emulator runs on port {settings.port}; start it with `make deploy-local`")
    environment = {**os.environ, **settings.aws_environment()}
    environment.pop("AWS_PROFILE", None)
    user_shell = os.environ.get("SHELL", "/bin/sh")
    print(f"AWS tools in this shell talk to {settings.endpoint}; `exit` to leave.")
    return subprocess.call([user_shell], env=environment)


def cluster(settings: LocalSettings, *, workers: int | None, keep: bool) -> int:
    """Deploy first when the emulator or the ClusterStack is missing (a fresh clone), then run
    the local Spark cluster against the deployment."""
    from local_deploy import cluster as local_cluster  # noqa: PLC0415 - pulls in pyarrow

    if not local_cluster.cluster_deployed(settings):
        print("the ClusterStack is not deployed locally: deploying every stack first")
        started = time.monotonic()
        if up(settings) != 0:
            return 1
        print(f"(deploy took {time.monotonic() - started:.1f} s; the cluster run follows)\n")
    return local_cluster.run(settings, workers=workers, keep=keep)


def run_pipeline(settings: LocalSettings, *, params: list[str]) -> int:
    from local_deploy import ml_local  # noqa: PLC0415 - boto3 only, but keep `env` fast

    try:
        return ml_local.run_pipeline(settings, ml_local.parse_overrides(params))
    except (ml_local.MlLocalError, BotoCoreError, ClientError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def approve(settings: LocalSettings) -> int:
    from local_deploy import ml_local  # noqa: PLC0415

    try:
        return ml_local.approve(settings)
    except (ml_local.MlLocalError, BotoCoreError, ClientError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def run_job(settings: LocalSettings, *, name: str | None, job_args: list[str]) -> int:
    from local_deploy import glue_job_run  # noqa: PLC0415 - pulls in pyspark

    try:
        return glue_job_run.run_from_cli(settings, name, job_args)
    except glue_job_run.JobRunError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0911 - one return per outcome
    arguments_given = sys.argv[1:] if argv is None else argv
    if arguments_given[:1] == ["demo"]:
        # Its own parser and options (--sessions, ...); `up` inside it needs Node 24 too.
        from local_deploy.demo import cli as demo_cli  # noqa: PLC0415

        os.environ["PATH"] = f"{cdk_cli.VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
        return demo_cli.main(arguments_given[1:])
    parser = argparse.ArgumentParser(
        prog="python -m local_deploy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        choices=[
            "up", "report", "deliver", "down", "stop", "env", "shell", "coverage", "cluster",
            "run-job", "run-pipeline", "approve", "demo",
        ],
    )  # fmt: skip
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="run-pipeline: override a pipeline parameter (repeatable)",
    )
    parser.add_argument(
        "--workers", type=int, help="cluster: local workers (default and minimum: 2)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="cluster: keep the staged input under .local/"
    )
    parser.add_argument("name", nargs="?", help="run-job: the deployed Glue job's name")
    parser.add_argument(
        "--job-arg", action="append", default=[], help="run-job: NAME=VALUE, repeatable"
    )
    parser.add_argument("--port", type=int, help="emulator port (default: $LOCAL_PORT or 4599)")
    parser.add_argument("--env", dest="profile", help="cdk.json profile (default: $ENV or dev)")
    arguments = parser.parse_args(argv)
    # The config package loads jsii, which starts `node`: use the virtualenv's Node 24.
    os.environ["PATH"] = f"{cdk_cli.VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        settings = LocalSettings.from_environment(port=arguments.port, profile=arguments.profile)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if arguments.command == "cluster":
        try:
            return cluster(settings, workers=arguments.workers, keep=arguments.keep)
        except (server.ServerError, RuntimeError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    if arguments.command == "env":
        print("\n".join(env_lines(settings)))
        return 0
    commands = {
        "up": up,
        "report": report,
        "coverage": report,
        "deliver": deliver,
        "down": down,
        "stop": stop,
        "shell": shell,
        "run-job": lambda s: run_job(s, name=arguments.name, job_args=arguments.job_arg),
        "run-pipeline": functools.partial(run_pipeline, params=arguments.param),
        "approve": approve,
    }
    try:
        return commands[arguments.command](settings)
    except (cdk_cli.CdkError, server.ServerError, LocalDeliveryError, FunctionCodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
