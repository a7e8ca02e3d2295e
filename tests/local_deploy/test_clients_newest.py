"""Today's boto3 and AWS CLI, not the project's pins, against the emulator: the README's commands.

Users query the emulator with whatever boto3, AWS CLI or BI tool they installed last, and AWS
changes wire protocols under minor versions (Athena moved to REST-JSON in botocore 1.44.18).
So the newest boto3, botocore and AWS CLI v1 from PyPI are locked apart from constraints.txt in
tools/clients-newest-lock.txt and installed once into .venv-clients/python3.X (rebuilt when the lock
changes; tools/clients_newest.py). `make clients-newest-update` re-resolves the lock to what is
newest now and runs this module.

On the session's deployment (conftest.py), with the README's own environment (`eval "$(python -m
local_deploy env --port N)"`, so AWS_ENDPOINT_URL and dummy keys):

* every ```bash block of the README that runs `aws`: its lines as printed, placeholders filled
  from the stacks' outputs;
* every `aws ...` command quoted in the README's prose, with its arguments filled in
  (`s3 rm --recursive`, `glue get-job-runs`, the pipeline's start and steps, `sagemaker-runtime
  invoke-endpoint` after `make approve-local`);
* the README's Python Athena example, as printed, and boto3 calls on S3, Glue, Athena, Kinesis,
  SageMaker, SageMaker runtime, Auto Scaling, CloudWatch, SNS, CloudFormation and Firehose, by
  the newest boto3 in its own interpreter (newest_boto3_calls.py).

A failure names the command and the emulator's answer. A README command not run here fails
test_every_aws_command_of_the_readme_is_run until it is added (or listed in NOT_RUN with why).
Marked changes_deployment: it registers and approves a model (the endpoint serves it), writes to
the stream, publishes to the alarm topic, and declares local_demo.endpoint_capture.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from local_deploy import deployment, ml_local
from local_deploy.settings import REPO_ROOT, LocalSettings
from ml_pipeline.training import INPUT_DATA_PARAMETER
from tests.local_deploy import newest_boto3_calls
from tests.required_tools import missing_tool
from tools import clients_newest

pytestmark = [pytest.mark.local_deploy, pytest.mark.changes_deployment]

README = (REPO_ROOT / "README.md").read_text()
PINS = clients_newest.read_lock()
CLIENT = f"awscli {PINS['awscli']}, boto3 {PINS['boto3']} (tools/clients-newest-lock.txt)"
CALLS_SCRIPT = Path(newest_boto3_calls.__file__)

#: An AWS CLI command in the README: `aws <service> <operation>`, across a line break too.
_COMMAND = re.compile(r"(?<![\w/.-])aws\s+([a-z][a-z0-9-]*)\s+([a-z][a-z0-9-]*)")
#: The README's commands run by the tests below.
RUN = {
    ("s3api", "list-buckets"),
    ("s3api", "get-bucket-policy"),
    ("glue", "get-tables"),
    ("athena", "start-query-execution"),
    ("athena", "get-query-results"),
    ("s3", "rm"),
    ("glue", "get-job-runs"),
    ("sagemaker", "start-pipeline-execution"),
    ("sagemaker", "list-pipeline-execution-steps"),
    ("sagemaker-runtime", "invoke-endpoint"),
    ("iam", "create-policy"),
}
#: The README's commands not run here, and why.
NOT_RUN = {
    (
        "sso",
        "login",
    ): "signs in to a real account (IAM Identity Center); the emulator takes any key",
    ("s3", "cp"): "named in prose: what the Spark nodes run at boot, not a command to type",
}

FEATURES = ["f_a", "f_b", "f_c"]
ROWS_CSV = "0.5,-1.0,0.25\n-2.0,0.1,1.5\n"


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def readme_shell_blocks() -> dict[str, list[str]]:
    """{heading slug: commands} of each ```bash block that runs `aws` on the emulator; each
    command is one logical line (backslash continuations joined)."""
    blocks: dict[str, list[str]] = {}
    heading = ""
    for match in re.finditer(
        r"^(#+ [^\n]*)$|^```bash\n(.*?)^```$", README, re.MULTILINE | re.DOTALL
    ):
        if match.group(1):
            heading = match.group(1).lstrip("#").strip()
            continue
        commands = match.group(2).replace("\\\n", " ").splitlines()
        if any(c.startswith("aws ") and not c.startswith("aws sso") for c in commands):
            name = _slug(heading)
            while name in blocks:
                name += "-2"
            blocks[name] = commands
    return blocks


def readme_athena_python() -> str:
    """The ```python block of "Query the local lake from any Athena client"."""
    after = README.split("**Query the local lake from any Athena client.**", 1)[1]
    found = re.search(r"^```python\n(.*?)^```$", after, re.MULTILINE | re.DOTALL)
    assert found is not None, "the README's Athena example is gone"
    return found.group(1)


SHELL_BLOCKS = readme_shell_blocks()


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def newest() -> Path:
    """The bin/ of the locked newest clients' virtualenv (built once, cached)."""
    try:
        return clients_newest.ensure_venv()
    except clients_newest.ClientsError as error:
        missing_tool(
            f"{error}\nthe newest clients install from PyPI: `python -m tools.clients_newest venv`"
        )


@pytest.fixture(scope="module")
def shell(deployed: LocalSettings, newest: Path) -> dict[str, str]:
    """A user's shell after the README's `eval "$(.venv/bin/python -m local_deploy env --port
    N)"`: nothing of this process's AWS settings or Python path, the newest `aws` first."""
    env = deployed.process_environment()
    for variable in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(variable, None)
    # "Use LOCAL_PORT=NNNN with every command if port 4599 is taken" (README): the session's
    # emulator listens on a free port, which `local_deploy env` without --port then prints.
    env["LOCAL_PORT"] = str(deployed.port)
    env.update(_local_deploy_env(["env", "--port", str(deployed.port)], env))
    env["PATH"] = f"{newest}:{env['PATH']}"
    return env


def _local_deploy_env(arguments: list[str], env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(
        [".venv/bin/python", "-m", "local_deploy", *arguments],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    exported = {}
    for line in done.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        exported[name] = shlex.split(value)[0] if value else ""
    assert "AWS_ENDPOINT_URL" in exported, done.stdout
    return exported


@pytest.fixture(scope="module")
def outputs(deployed: LocalSettings) -> dict[str, str]:
    """Every stack's outputs in one dict (their names do not clash but AlarmTopicArn, which is
    the same topic in every stack)."""
    merged: dict[str, str] = {}
    for stack in deployment.assembly_stacks(deployed.assembly_dir):
        merged.update(deployment.stack_outputs(deployed, stack.stack_name) or {})
    databases = deployment.client(deployed, "glue").get_databases()["DatabaseList"]
    for database in databases:
        for zone in ("raw", "curated"):
            if database["Name"].endswith(f"_{zone}"):
                merged[f"{zone}_database"] = database["Name"]
    return merged


@pytest.fixture(scope="module")
def scratch_bucket(deployed: LocalSettings) -> Any:
    """A bucket of this module's own, so that `aws s3 rm --recursive` empties nothing the
    deployment holds."""
    name = f"clients-newest-{uuid.uuid4().hex[:8]}"
    s3 = deployment.client(deployed, "s3")
    s3.create_bucket(Bucket=name)
    yield name
    for listed in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=listed["Key"])
    s3.delete_bucket(Bucket=name)


def _model_archive() -> bytes:
    """A small trained model in the layout the pipeline's Train step leaves (model file,
    metadata, serving code under code/): what `make run-pipeline-local` would register."""
    import numpy as np  # noqa: PLC0415 - only this fixture trains
    import xgboost as xgb  # noqa: PLC0415

    from ml.contract import METADATA_FILE, MODEL_FILE  # noqa: PLC0415

    values = np.random.default_rng(0).normal(size=(60, len(FEATURES))).astype(np.float32)
    labels = (values[:, 0] > 0).astype(int)
    booster = xgb.train(
        {"objective": "binary:logistic"},
        xgb.DMatrix(values, label=labels, feature_names=FEATURES),
        num_boost_round=2,
    )
    metadata = {"feature_names": FEATURES, "classes": [0, 1], "objective": "binary:logistic"}
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as scratch, tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        model_file = Path(scratch) / MODEL_FILE
        booster.save_model(str(model_file))
        tar.add(model_file, arcname=MODEL_FILE)
        (Path(scratch) / METADATA_FILE).write_text(json.dumps(metadata))
        tar.add(Path(scratch) / METADATA_FILE, arcname=METADATA_FILE)
        for source in sorted((REPO_ROOT / "ml").glob("*.py")):
            tar.add(source, arcname=f"code/{source.name}")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def serving(deployed: LocalSettings, outputs: dict[str, str]) -> str:
    """The deployed endpoint serving a model, as after `make run-pipeline-local` and `make
    approve-local`: a pending package registered (a small model, not a pipeline run), then
    approved by `local_deploy approve`'s own code. Returns the endpoint's name."""
    key = f"clients-newest/{uuid.uuid4().hex[:8]}/model.tar.gz"
    bucket = outputs["ArtifactsBucketName"]
    deployment.client(deployed, "s3").put_object(Bucket=bucket, Key=key, Body=_model_archive())
    deployment.client(deployed, "sagemaker").create_model_package(
        ModelPackageGroupName=outputs["ModelPackageGroupName"],
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0",
                    "ModelDataUrl": f"s3://{bucket}/{key}",
                    "Environment": {
                        "SAGEMAKER_PROGRAM": "inference.py",
                        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                    },
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )
    said: list[str] = []
    assert ml_local.approve(deployed, out=said.append) == 0, said
    return outputs["EndpointName"]


def aws(newest: Path, command: str, env: dict[str, str], cwd: Path = REPO_ROOT) -> Any:
    """Run one `aws ...` command line with the locked CLI; its JSON output, parsed."""
    argv = shlex.split(command, comments=True)
    assert argv[0] == "aws", command
    done = subprocess.run(
        [str(newest / "aws"), *argv[1:]],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"`{command}` ({CLIENT}) exited {done.returncode}; the emulator answered:\n"
            f"{(done.stderr or done.stdout).strip()}",
            pytrace=False,
        )
    text = done.stdout.strip()
    return json.loads(text) if text.startswith(("{", "[")) else text


# --- the README's commands ----------------------------------------------------------------------


def test_every_aws_command_of_the_readme_is_run() -> None:
    found = {(service, operation) for service, operation in _COMMAND.findall(README)}
    assert found - RUN - set(NOT_RUN) == set(), "README commands this module does not run"
    assert RUN - found == set(), "commands run here that the README no longer shows"


def test_the_cli_and_sdk_are_the_locked_ones(newest: Path, shell: dict[str, str]) -> None:
    version = aws(newest, "aws --version", shell)
    assert f"aws-cli/{PINS['awscli']} " in version, version
    done = subprocess.run(
        [str(newest / "python"), "-c", "import boto3, botocore; print(boto3.__version__, "
         "botocore.__version__, botocore.__file__)"],
        env=shell, capture_output=True, text=True, check=True,
    )  # fmt: skip
    boto3_version, botocore_version, location = done.stdout.split()
    assert (boto3_version, botocore_version) == (PINS["boto3"], PINS["botocore"])
    assert location.startswith(str(clients_newest.VENV)), location


@pytest.mark.parametrize("block", sorted(SHELL_BLOCKS))
def test_readme_shell_block(
    block: str,
    newest: Path,
    shell: dict[str, str],
    outputs: dict[str, str],
    deployed: LocalSettings,
) -> None:
    """The block's `eval` and `aws` lines as printed (`make local-shell` is the same
    environment; other lines are not AWS commands), placeholders filled in."""
    env = dict(shell)
    filled = {
        "<bucket from the outputs>": outputs["RawBucketName"],
        "<database from the outputs>": outputs["raw_database"],
        "<raw database>": outputs["raw_database"],
        "<AthenaWorkgroupName>": outputs["AthenaWorkgroupName"],
    }
    ran = 0
    query_id = None
    for line in SHELL_BLOCKS[block]:
        command = re.sub(r"(?<=localhost:)4711|(?<=--port )4711", str(deployed.port), line)
        for placeholder, value in filled.items():
            command = command.replace(placeholder, shlex.quote(value))
        if command.startswith("eval "):
            inner = re.fullmatch(r'eval "\$\((.*)\)"', command.split("  #")[0].strip())
            assert inner is not None, line
            argv = shlex.split(inner.group(1))
            assert argv[:3] == [".venv/bin/python", "-m", "local_deploy"], line
            env.update(_local_deploy_env(argv[3:], env))
            continue
        if not command.startswith("aws "):
            continue
        if "<id>" in command:
            assert query_id is not None, f"{line}: no query was started before it"
            command = command.replace("<id>", query_id)
        leftover = re.findall(r"<[^>]+>", command)
        assert not leftover, f"{line}: placeholders this test does not fill: {leftover}"
        answer = aws(newest, command, env)
        ran += 1
        if isinstance(answer, dict) and "QueryExecutionId" in answer:
            query_id = answer["QueryExecutionId"]
        if isinstance(answer, dict) and "ResultSet" in answer:
            header = [cell.get("VarCharValue") for cell in answer["ResultSet"]["Rows"][0]["Data"]]
            assert header[0] == "dt", f"`{command}` answered {answer}"
    assert ran > 0


def test_readme_s3_rm_recursive(
    newest: Path, shell: dict[str, str], scratch_bucket: str, deployed: LocalSettings
) -> None:
    s3 = deployment.client(deployed, "s3")
    for key in ("events/a.json", "events/dt=2026-11-20/b.json", "c.txt"):
        s3.put_object(Bucket=scratch_bucket, Key=key, Body=b"{}")
    aws(newest, f"aws s3 rm s3://{scratch_bucket} --recursive", shell)
    listed = aws(newest, f"aws s3api list-objects-v2 --bucket {scratch_bucket}", shell)
    assert "Contents" not in listed, listed


def test_readme_glue_get_job_runs(
    newest: Path, shell: dict[str, str], outputs: dict[str, str]
) -> None:
    runs = aws(newest, f"aws glue get-job-runs --job-name {outputs['EtlJobName']}", shell)
    assert isinstance(runs["JobRuns"], list)


def test_readme_pipeline_execution_and_its_steps(
    newest: Path, shell: dict[str, str], outputs: dict[str, str], deployed: LocalSettings
) -> None:
    """`aws sagemaker start-pipeline-execution`, on an empty input so that it ends at once
    (Prepare finds no objects), then `aws sagemaker list-pipeline-execution-steps`."""
    empty = f"s3://{outputs['AnalyticsBucketName']}/clients-newest/{uuid.uuid4().hex[:8]}/"
    started = aws(
        newest,
        f"aws sagemaker start-pipeline-execution --pipeline-name {outputs['PipelineName']} "
        f"--pipeline-parameters Name={INPUT_DATA_PARAMETER},Value={empty}",
        shell,
    )
    arn = started["PipelineExecutionArn"]
    sagemaker = deployment.client(deployed, "sagemaker")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        if described["PipelineExecutionStatus"] != "Executing":
            break
        time.sleep(0.5)
    steps = aws(
        newest, f"aws sagemaker list-pipeline-execution-steps --pipeline-execution-arn {arn}", shell
    )["PipelineExecutionSteps"]
    assert [step["StepName"] for step in steps][:1] == ["Prepare"], steps
    assert all(step["StepStatus"] in {"Succeeded", "Failed"} for step in steps), steps


def test_readme_invoke_endpoint_after_approve_local(
    newest: Path, shell: dict[str, str], serving: str, tmp_path: Path
) -> None:
    (tmp_path / "rows.csv").write_text(ROWS_CSV)
    answer = aws(
        newest,
        f"aws sagemaker-runtime invoke-endpoint --endpoint-name {serving} "
        "--content-type text/csv --body fileb://rows.csv out.json",
        shell,
        cwd=tmp_path,
    )
    assert answer["InvokedProductionVariant"] == "AllTraffic", answer
    predictions = json.loads((tmp_path / "out.json").read_text())["predictions"]
    assert len(predictions) == ROWS_CSV.count("\n")


# --- the newest boto3 ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def boto3_run(
    newest: Path,
    shell: dict[str, str],
    outputs: dict[str, str],
    deployed: LocalSettings,
    scratch_bucket: str,
    serving: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Every call of newest_boto3_calls.py, in one run of the newest interpreter."""
    sagemaker = deployment.client(deployed, "sagemaker")
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=sagemaker.describe_endpoint(EndpointName=serving)["EndpointConfigName"]
    )
    capture = config["DataCaptureConfig"]["DestinationS3Uri"].rstrip("/") + f"/{serving}/"
    readme_python = readme_athena_python().replace("http://localhost:4711", deployed.endpoint)
    readme_python = readme_python.replace(
        '"<AthenaWorkgroupName output>"', repr(outputs["AthenaWorkgroupName"])
    )
    inputs = {
        "raw_bucket": outputs["RawBucketName"],
        "scratch_bucket": scratch_bucket,
        "raw_database": outputs["raw_database"],
        "curated_database": outputs["curated_database"],
        "etl_job": outputs["EtlJobName"],
        "crawler": outputs["LandingCrawlerName"],
        "work_group": outputs["AthenaWorkgroupName"],
        "capture_table": "local_demo.endpoint_capture",
        "capture_location": capture,
        "readme_python": readme_python,
        "stream": outputs["StreamName"],
        "delivery_stream": outputs["DeliveryStreamName"],
        "pipeline": outputs["PipelineName"],
        "model_group": outputs["ModelPackageGroupName"],
        "endpoint": serving,
        "rows_csv": ROWS_CSV,
        "scaling_groups": [outputs["MasterGroupName"], outputs["WorkerGroupName"]],
        "dashboard": outputs["DashboardName"],
        "alarm_topic": outputs["AlarmTopicArn"],
    }
    inputs_file = tmp_path_factory.mktemp("newest-boto3") / "inputs.json"
    inputs_file.write_text(json.dumps(inputs))
    done = subprocess.run(
        [str(newest / "python"), str(CALLS_SCRIPT), str(inputs_file)],
        env=shell,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"newest_boto3_calls.py ({CLIENT}) crashed:\n{done.stderr}", pytrace=False)
    result: dict[str, Any] = json.loads(done.stdout)
    print(json.dumps(result["client"]))
    return result


def test_newest_boto3_is_the_locked_one(boto3_run: dict[str, Any]) -> None:
    assert boto3_run["client"]["botocore"] == PINS["botocore"], boto3_run["client"]


@pytest.mark.parametrize("call", list(newest_boto3_calls.CALLS))
def test_newest_boto3(call: str, boto3_run: dict[str, Any]) -> None:
    outcome = boto3_run["calls"][call]
    if not outcome["ok"]:
        pytest.fail(
            f"{call} (boto3 {PINS['boto3']}, botocore {PINS['botocore']}; "
            f"{boto3_run['client']['protocols']}) failed; the emulator answered:\n"
            f"{outcome['error']}",
            pytrace=False,
        )
    print(f"{call}: {outcome['summary']} ({outcome['seconds']} s)")
