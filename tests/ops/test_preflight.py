"""ops.preflight against the emulator: a moto server on localhost, reached through
AWS_ENDPOINT_URL as a user's emulator would be, with the real dev and prod assemblies.

moto has no Lambda GetAccountSettings and no Service Quotas ListServiceQuotas; the stand-in in
moto_cfn_models/account_quotas.py answers them with values each test sets here (moto's own
MOTO_LAMBDA_CONCURRENCY_QUOTA for Lambda), so every test shows an account that passes or fails.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

import moto_cfn_models
from moto_cfn_models.account_quotas import clear_applied_quotas, set_applied_quota
from ops.preflight import Account, check_lake_formation, compare_controls, load_profile, main
from ops.preflight_needs import DEFAULT_QUALIFIER, profile_needs
from tests.fake_aws import use_fake_aws
from tests.synthesis import REPO_ROOT, Synthesized, cdk_json_context

ACCOUNT = "123456789012"
REGION = "us-east-1"
SPOT_GPU = ("L-SPOT0001", "ml.g5.xlarge for spot training job usage")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    moto_cfn_models.register()
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://localhost:{port}"
    server.stop()


@pytest.fixture
def emulator(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh emulated account: moto reset, no stand-in quota set, the endpoint in the env."""
    use_fake_aws(monkeypatch, REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.delenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", raising=False)
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    clear_applied_quotas()
    yield endpoint
    clear_applied_quotas()


def healthy_account(*, endpoint_quota: int = 4, spot_quota: int = 1) -> None:
    """An account with what dev needs: GPU quotas, five Elastic IPs, CDK bootstrapped."""
    for code, name, value in (
        (SPOT_GPU[0], SPOT_GPU[1], spot_quota),
        ("L-ONDEMAND1", "ml.g5.xlarge for training job usage", 0),
        ("L-PROCESS01", "ml.m5.xlarge for processing job usage", 2),
        ("L-ENDPOINT1", "ml.g5.xlarge for endpoint usage", endpoint_quota),
        ("L-ENDPOINT2", "ml.g5.2xlarge for endpoint usage", 8),
        ("L-SPOT0002", "ml.g5.4xlarge for spot training job usage", 1),
        ("L-PROCESS02", "ml.m5.2xlarge for processing job usage", 2),
    ):
        set_applied_quota(
            ACCOUNT, REGION, "sagemaker", quota_code=code, quota_name=name, value=value
        )
    set_applied_quota(
        ACCOUNT, REGION, "ec2", quota_code="L-0263D0A3", quota_name="EC2-VPC Elastic IPs", value=5
    )
    boto3.client("ssm").put_parameter(
        Name=f"/cdk-bootstrap/{DEFAULT_QUALIFIER}/version", Value="30", Type="String"
    )


def preflight(
    assembly: Synthesized, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, str]]:
    """Exit status, and each check's line by its name."""
    status = main([str(assembly.outdir), "--env", assembly.profile])
    out = capsys.readouterr().out.splitlines()
    lines = {line[10:].split(":")[0]: line for line in out[1:-1]}
    return status, lines


def test_a_ready_account_passes_every_check_it_can_ask(
    emulator: str, dev: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_account()
    status, lines = preflight(dev, capsys)
    assert status == 0
    assert lines["Lambda concurrency"].startswith("OK")
    assert "the templates reserve 0" in lines["Lambda concurrency"]
    spot = lines[f"SageMaker '{SPOT_GPU[1]}'"]
    assert spot.startswith("OK")
    assert "quota 1 (L-SPOT0001)" in spot
    assert lines["SageMaker 'ml.g5.xlarge for endpoint usage'"].startswith("OK")
    # dev's NAT is an instance, whose auto-assigned address is no Elastic IP.
    assert "0 in the account + 0 from the templates" in lines["Elastic IPs"]
    assert lines["NAT gateways per AZ"].startswith("OK")  # moto's default list: AWS's 5
    assert (
        "version 30; the assembly requires >= 6"
        in lines[f"CDK bootstrap (/cdk-bootstrap/{DEFAULT_QUALIFIER}/version)"]
    )
    assert f"in the account: {DEFAULT_QUALIFIER}" in lines["CDK bootstrap qualifiers"]
    # The emulator has no organization: said, not passed.
    assert lines["Control Tower controls"].startswith("NOT ASKED")


def test_no_gpu_quota_fails_and_names_the_quota_to_raise(
    emulator: str, dev: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    """Defect 6: a new account's 0 for GPU spot training fails here, not at the Train step."""
    healthy_account(spot_quota=0, endpoint_quota=0)
    status, lines = preflight(dev, capsys)
    assert status == 1
    spot = lines[f"SageMaker '{SPOT_GPU[1]}'"]
    assert spot.startswith("FAIL")
    assert (
        "request Service Quotas 'ml.g5.xlarge for spot training job usage' (sagemaker "
        "L-SPOT0001) of at least 1"
    ) in spot
    endpoint = lines["SageMaker 'ml.g5.xlarge for endpoint usage'"]
    assert endpoint.startswith("FAIL")
    assert "first approval's CreateEndpoint needs 1" in endpoint


def test_endpoint_quota_below_full_scale_warns(
    emulator: str, dev: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_account(endpoint_quota=2)  # dev: min 1, max 2: a full-scale blue/green needs 3
    status, lines = preflight(dev, capsys)
    assert status == 0
    assert lines["SageMaker 'ml.g5.xlarge for endpoint usage'"].startswith("WARN")


@pytest.mark.parametrize(("quota", "verdict"), [("10", "FAIL"), ("1000", "OK")])
def test_prod_reservations_against_the_lambda_quota(
    quota: str,
    verdict: str,
    emulator: str,
    prod: Synthesized,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", quota)
    _, lines = preflight(prod, capsys)
    line = lines["Lambda concurrency"]
    assert line.startswith(verdict)
    assert "the templates reserve 51" in line  # the transform's 50 and the deployer's 1
    if verdict == "FAIL":
        assert "'Concurrent executions' (lambda L-B99A9384) of at least 151" in line


def test_dev_fits_an_account_whose_lambda_quota_is_10(
    emulator: str,
    dev: Synthesized,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Defect 5: with a quota of 10, Lambda refuses any reservation; dev reserves none."""
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "10")
    healthy_account()
    status, lines = preflight(dev, capsys)
    assert status == 0
    assert lines["Lambda concurrency"].startswith("OK")
    assert "quota 10" in lines["Lambda concurrency"]


def test_the_stand_in_counts_moto_reservations(emulator: str) -> None:
    """GetAccountSettings' unreserved figure follows what moto's functions reserve."""
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambda_ = boto3.client("lambda")
    lambda_.create_function(
        FunctionName="f",
        Runtime="python3.13",
        Role=role,
        Handler="h.h",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    lambda_.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=7)
    limit = lambda_.get_account_settings()["AccountLimit"]
    assert (limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]) == (1000, 993)


def test_elastic_ips_in_use_count_against_the_quota(
    emulator: str, prod: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_account()
    ec2 = boto3.client("ec2")
    for _ in range(5):
        ec2.allocate_address(Domain="vpc")
    status, lines = preflight(prod, capsys)  # prod's three NAT gateways, each with its address
    assert status == 1
    line = lines["Elastic IPs"]
    assert line.startswith("FAIL")
    assert "5 in the account + 3 from the templates" in line
    assert "'EC2-VPC Elastic IPs' (ec2 L-0263D0A3) of at least 8" in line


@pytest.mark.parametrize(("version", "says"), [(None, "not bootstrapped"), ("5", "version 5")])
def test_old_or_missing_bootstrap_warns(
    version: str | None,
    says: str,
    emulator: str,
    dev: Synthesized,
    capsys: pytest.CaptureFixture[str],
) -> None:
    healthy_account()
    ssm = boto3.client("ssm")
    if version is None:
        ssm.delete_parameter(Name=f"/cdk-bootstrap/{DEFAULT_QUALIFIER}/version")
    else:
        ssm.put_parameter(
            Name=f"/cdk-bootstrap/{DEFAULT_QUALIFIER}/version",
            Value=version,
            Type="String",
            Overwrite=True,
        )
    status, lines = preflight(dev, capsys)
    line = lines[f"CDK bootstrap (/cdk-bootstrap/{DEFAULT_QUALIFIER}/version)"]
    assert line.startswith("WARN")
    assert says in line
    assert "cdk bootstrap" in line
    assert status == 0  # `make deploy` bootstraps first


@pytest.mark.parametrize(
    ("account_admins", "verdict"),
    [
        ([], "OK"),
        (["arn:aws:iam::123456789012:role/someone-else"], "FAIL"),
        (["arn:aws:iam::123456789012:role/lake-admin"], "OK"),  # the configured one
        (["caller"], "OK"),  # whoever runs preflight
    ],
)
def test_lake_formation_admins(
    account_admins: list[str], verdict: str, emulator: str, dev: Synthesized, tmp_path: Path
) -> None:
    context = cdk_json_context()
    context["profiles"]["dev"]["data_lake"]["lake_formation"] = {
        "enabled": True,
        "admins": ["arn:aws:iam::123456789012:role/lake-admin"],
    }
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"context": context}), encoding="utf-8")
    needs = profile_needs(dev.outdir, load_profile("dev", cdk_json))
    caller = boto3.client("sts").get_caller_identity()["Arn"]
    account_admins = [caller if arn == "caller" else arn for arn in account_admins]
    boto3.client("lakeformation").put_data_lake_settings(
        DataLakeSettings={
            "DataLakeAdmins": [{"DataLakePrincipalIdentifier": arn} for arn in account_admins]
        }
    )
    check = check_lake_formation(Account(boto3.Session()), needs)
    assert check.verdict == verdict, check.line()


def test_no_credentials_is_one_line(
    dev: Synthesized,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    assert main([str(dev.outdir), "--env", "dev"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("preflight: no AWS credentials")


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ("staging", "preflight: unknown profile 'staging'; allowed: dev, prod"),
        ("prod", "is not of profile prod"),  # the dev assembly, checked as prod
    ],
)
def test_unknown_or_mismatched_profile_is_one_line(
    env: str, says: str, dev: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(dev.outdir), "--env", env, "--cdk-json", str(REPO_ROOT / "cdk.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert says in err


def test_reports_the_account_qualifiers_and_the_cdk_roles_boundary(
    emulator: str, dev: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 26: a governed account's own qualifier, and a boundary on the CDK roles, are seen."""
    healthy_account()
    boto3.client("ssm").put_parameter(
        Name="/cdk-bootstrap/orgq1234/version", Value="30", Type="String"
    )
    iam = boto3.client("iam")
    boundary = iam.create_policy(
        PolicyName="org-boundary",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.create_role(
        RoleName=f"cdk-{DEFAULT_QUALIFIER}-cfn-exec-role-{ACCOUNT}-{REGION}",
        AssumeRolePolicyDocument="{}",
        PermissionsBoundary=boundary,
    )
    _, lines = preflight(dev, capsys)
    assert f"in the account: {DEFAULT_QUALIFIER}, orgq1234" in lines["CDK bootstrap qualifiers"]
    roles = lines["CDK roles' permissions boundary"]
    assert f"cdk-{DEFAULT_QUALIFIER}-cfn-exec-role-{ACCOUNT}-{REGION} boundary {boundary}" in roles
    assert f"cdk-{DEFAULT_QUALIFIER}-deploy-role-{ACCOUNT}-{REGION} absent" in roles


def test_an_ou_that_enforces_a_control_the_profile_fails_is_a_failure() -> None:
    failing = compare_controls(
        "Control Tower controls",
        "ou-ab12",
        ["CT.S3.PR.9", "CT.X.PR.1"],
        ("CT.S3.PR.9", "CT.S3.PR.4"),
    )
    assert failing.verdict == "FAIL"
    assert "ou-ab12 enforces CT.S3.PR.9, which this profile fails on purpose" in failing.line()
    passing = compare_controls("Control Tower controls", "ou-ab12", ["CT.X.PR.1"], ("CT.S3.PR.9",))
    assert passing.verdict == "OK"
    assert "none of the 1 this profile fails on purpose" in passing.line()


def test_the_profiles_needs_name_the_controls_they_fail(dev: Synthesized) -> None:
    needs = profile_needs(dev.outdir, load_profile("dev", REPO_ROOT / "cdk.json"))
    assert "CT.S3.PR.9" in needs.disabled_controls
    assert "CT.EC2.PR.8" in needs.disabled_controls
