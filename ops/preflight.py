"""`make preflight ENV=...`: does the account of your credentials have what the profile needs?

    python -m ops.preflight cdk.dev.out --env dev

One line per check: its verdict, what was found and, where it falls short, the fix (for a quota,
its exact Service Quotas name and code). The checks, against the synthesized assembly:

- Lambda concurrency quota against the templates' reservations (Lambda keeps 100 unreserved);
- SageMaker quotas for the training (spot or on-demand, as configured), processing and endpoint
  instance types;
- Elastic IPs and NAT gateways per AZ: what the account has plus what the templates create;
- the CDK bootstrap: its version against the assembly's, the qualifiers in the account, and
  whether the CDK roles carry a permissions boundary;
- Lake Formation administrators, when the profile turns Lake Formation on;
- Control Tower's enabled controls on the account's OU, where the account may ask.

Credentials come from boto3's default chain, and AWS_ENDPOINT_URL is honoured (the emulator).
A call the account refuses, or the endpoint does not answer, is a NOT ASKED line, never a pass.
Exit status: 0 when nothing failed, 1 when a check failed, 2 when preflight could not start.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from ops.assembly import AssemblyError
from ops.aws_errors import why
from ops.preflight_needs import ProfileNeeds, profile_needs, resolve_placeholders
from platform_config import ConfigError, PlatformConfig, parse_profile

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Lambda refuses a reservation that leaves fewer than this many executions unreserved.
LAMBDA_UNRESERVED_MINIMUM = 100
LAMBDA_QUOTA = ("lambda", "L-B99A9384", "Concurrent executions")
ELASTIC_IP_QUOTA = ("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs")
NAT_PER_AZ_QUOTA = ("vpc", "L-FE5A380F", "NAT gateways per Availability Zone")

Verdict = Literal["OK", "WARN", "FAIL", "NOT ASKED", "INFO"]


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    verdict: Verdict
    name: str
    found: str
    fix: str = ""

    def line(self) -> str:
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.verdict:<9} {self.name}: {self.found.rstrip('.')}.{fix}"


class PreflightError(Exception):
    """Preflight cannot start (no credentials, no region, unknown profile): one line."""


def _quota_fix(service: str, code: str, name: str, at_least: int) -> str:
    return (
        f"request Service Quotas '{name}' ({service} {code}) of at least {at_least}: aws "
        f"service-quotas request-service-quota-increase --service-code {service} "
        f"--quota-code {code} --desired-value {at_least}"
    )


class Account:
    """The account of the caller's credentials, asked one question at a time."""

    def __init__(self, session: boto3.Session) -> None:
        self._session = session
        # One attempt: an API the endpoint does not answer is reported, not retried.
        self._config = Config(retries={"max_attempts": 1, "mode": "standard"})
        try:
            identity = self.client("sts").get_caller_identity()
        except NoCredentialsError:
            raise PreflightError(
                "no AWS credentials: boto3's default chain found none (set AWS_PROFILE, run "
                "`aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
            ) from None
        except NoRegionError:
            raise PreflightError("no AWS region: set AWS_REGION or your profile's region") from None
        except (ClientError, BotoCoreError) as error:
            raise PreflightError(f"cannot use these credentials: {why(error)}") from None
        self.account_id: str = identity["Account"]
        self.caller_arn: str = identity["Arn"]
        self.partition = self.caller_arn.split(":")[1]
        self.region: str = self._session.region_name or ""
        self._quota_lists: dict[str, dict[str, dict[str, Any]]] = {}

    def client(self, service: str) -> Any:  # noqa: ANN401 - boto3 clients are untyped here
        try:
            return self._session.client(service, config=self._config)
        except NoRegionError:
            raise PreflightError("no AWS region: set AWS_REGION or your profile's region") from None

    def quotas(self, service: str) -> dict[str, dict[str, Any]]:
        """The service's quotas by name: applied values first, then AWS's defaults for the rest.

        ListServiceQuotas leaves out quotas whose applied value it does not have, so the
        defaults fill those in. Raises when neither list can be read."""
        if service not in self._quota_lists:
            client = self.client("service-quotas")
            by_name: dict[str, dict[str, Any]] = {}
            errors = []
            for operation in ("list_service_quotas", "list_aws_default_service_quotas"):
                try:
                    for page in client.get_paginator(operation).paginate(ServiceCode=service):
                        for quota in page["Quotas"]:
                            by_name.setdefault(quota["QuotaName"], quota)
                except (ClientError, BotoCoreError) as error:
                    errors.append(error)
            if len(errors) == 2:
                raise errors[0]
            self._quota_lists[service] = by_name
        return self._quota_lists[service]

    def quota(self, service: str, code: str, name: str) -> float | None:
        """One quota's value, by name; None when the service lists no such quota."""
        quota = self.quotas(service).get(name)
        if quota is None or quota.get("QuotaCode") not in (code, None):
            return None
        return float(quota["Value"])


def _asked(name: str, ask: Callable[[], Check]) -> Check:
    try:
        return ask()
    except (ClientError, BotoCoreError) as error:
        return Check("NOT ASKED", name, why(error))


def check_lambda_concurrency(account: Account, needs: ProfileNeeds) -> Check:
    name = "Lambda concurrency"

    def ask() -> Check:
        limit = account.client("lambda").get_account_settings()["AccountLimit"]
        quota, unreserved = (
            int(limit["ConcurrentExecutions"]),
            limit.get("UnreservedConcurrentExecutions"),
        )
        reserved = needs.reserved_total
        where = ", ".join(f"{r.stack_id}/{r.logical_id} {r.reserved}" for r in needs.reservations)
        found = f"quota {quota}, {unreserved} unreserved now; the templates reserve {reserved}" + (
            f" ({where})" if where else ""
        )
        service, code, quota_name = LAMBDA_QUOTA
        if reserved == 0:
            return Check("OK", name, found)
        needed = reserved + LAMBDA_UNRESERVED_MINIMUM
        fix = (
            _quota_fix(service, code, quota_name, needed)
            + "; or reserve none (streaming.transform.reserved_concurrency and "
            "ml.deployer_reserved_concurrency null, as in dev)"
        )
        if quota < needed:
            return Check("FAIL", name, f"{found}; Lambda keeps {LAMBDA_UNRESERVED_MINIMUM}", fix)
        if unreserved is not None and int(unreserved) - reserved < LAMBDA_UNRESERVED_MINIMUM:
            return Check(
                "WARN",
                name,
                f"{found}; other reservations leave too little (counted twice if this profile "
                "is already deployed)",
                fix,
            )
        return Check("OK", name, found)

    return _asked(name, ask)


def check_sagemaker(account: Account, needs: ProfileNeeds) -> Iterator[Check]:
    for need in needs.sagemaker:
        name = f"SageMaker '{need.quota_name}'"

        def ask(need: Any = need, name: str = name) -> Check:  # noqa: ANN401 - bound per loop
            listed = account.quotas("sagemaker")
            if not listed:  # AWS lists hundreds; an empty answer is an endpoint without them
                return Check("NOT ASKED", name, "Service Quotas listed no sagemaker quotas at all")
            quota = listed.get(need.quota_name)
            if quota is None:
                return Check(
                    "FAIL",
                    name,
                    f"the account lists no such quota in {account.region}: the instance type "
                    "may not be offered there",
                    "choose an instance type offered in this region (platform_config's ml "
                    "section) or deploy to a region that has it",
                )
            value, code = int(float(quota["Value"])), quota["QuotaCode"]
            found = f"quota {value} ({code}); {need.first_use} needs {need.minimum}"
            if need.full_scale > need.minimum:
                found += f", full scale {need.full_scale}"
            if value < need.minimum:
                return Check(
                    "FAIL",
                    name,
                    found,
                    _quota_fix("sagemaker", code, need.quota_name, need.minimum),
                )
            if value < need.full_scale:
                return Check(
                    "WARN",
                    name,
                    found,
                    _quota_fix("sagemaker", code, need.quota_name, need.full_scale),
                )
            return Check("OK", name, found)

        yield _asked(name, ask)


def _quota_check(
    account: Account, quota: tuple[str, str, str], name: str, *, in_use: int, adds: int, unit: str
) -> Check:
    service, code, quota_name = quota
    value = account.quota(service, code, quota_name)
    if value is None:
        return Check("NOT ASKED", name, f"Service Quotas lists no '{quota_name}' ({code})")
    found = f"quota {int(value)} ({code}); {in_use} {unit} + {adds} from the templates"
    if in_use + adds > value:
        return Check("FAIL", name, found, _quota_fix(service, code, quota_name, in_use + adds))
    return Check("OK", name, found)


def check_network(account: Account, needs: ProfileNeeds) -> Iterator[Check]:
    ec2 = account.client("ec2")

    def elastic_ips() -> Check:
        in_use = len(ec2.describe_addresses()["Addresses"])
        return _quota_check(
            account,
            ELASTIC_IP_QUOTA,
            "Elastic IPs",
            in_use=in_use,
            adds=needs.elastic_ips,
            unit="in the account",
        )

    def nat_per_az() -> Check:
        subnet_az = {
            s["SubnetId"]: s["AvailabilityZone"] for s in ec2.describe_subnets()["Subnets"]
        }
        per_az: dict[str, int] = {}
        for gateway in ec2.describe_nat_gateways()["NatGateways"]:
            if gateway.get("State") in ("pending", "available"):
                az = subnet_az.get(gateway.get("SubnetId", ""), "?")
                per_az[az] = per_az.get(az, 0) + 1
        # CDK puts at most one NAT gateway in each AZ, so the templates add one to an AZ.
        return _quota_check(
            account,
            NAT_PER_AZ_QUOTA,
            "NAT gateways per AZ",
            in_use=max(per_az.values(), default=0),
            adds=min(needs.nat_gateways, 1),
            unit="in the busiest AZ",
        )

    yield _asked("Elastic IPs", elastic_ips)
    yield _asked("NAT gateways per AZ", nat_per_az)


def check_bootstrap(account: Account, needs: ProfileNeeds) -> Iterator[Check]:
    ssm = account.client("ssm")
    name = f"CDK bootstrap ({needs.bootstrap_parameter})"
    bootstrap_fix = (
        f"`make deploy` runs `cdk bootstrap` first (it needs rights to create the CDKToolkit "
        f"stack); in a governed account, ask for qualifier {needs.qualifier} at version "
        f">= {needs.bootstrap_version}"
    )

    def version() -> Check:
        try:
            value = ssm.get_parameter(Name=needs.bootstrap_parameter)["Parameter"]["Value"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise
            return Check("WARN", name, "not bootstrapped with this qualifier", bootstrap_fix)
        found = f"version {value}; the assembly requires >= {needs.bootstrap_version}"
        if int(value) < needs.bootstrap_version:
            return Check("WARN", name, found, bootstrap_fix)
        return Check("OK", name, found)

    def qualifiers() -> Check:
        pages = ssm.get_paginator("get_parameters_by_path").paginate(
            Path="/cdk-bootstrap/", Recursive=True
        )
        found = sorted(
            {p["Name"].split("/")[2] for page in pages for p in page["Parameters"]} - {""}
        )
        listed = ", ".join(found) or "none"
        return Check(
            "OK" if needs.qualifier in found else "INFO",
            "CDK bootstrap qualifiers",
            f"in the account: {listed}; the assembly uses {needs.qualifier} (cdk.json "
            "context @aws-cdk/core:bootstrapQualifier)",
        )

    def boundaries() -> Check:
        iam = account.client("iam")
        seen = []
        for arn in needs.cdk_role_arns:
            role_name = resolve_placeholders(
                arn, partition=account.partition, account=account.account_id, region=account.region
            ).split("/")[-1]
            try:
                role = iam.get_role(RoleName=role_name)["Role"]
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
                    raise
                seen.append(f"{role_name} absent")
                continue
            boundary = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
            seen.append(f"{role_name} {'boundary ' + boundary if boundary else 'no boundary'}")
        return Check("INFO", "CDK roles' permissions boundary", "; ".join(seen) or "no CDK roles")

    yield _asked(name, version)
    yield _asked("CDK bootstrap qualifiers", qualifiers)
    yield _asked("CDK roles' permissions boundary", boundaries)


def _role_of(caller_arn: str) -> str:
    """arn:aws:sts::1:assumed-role/Name/session -> arn:aws:iam::1:role/Name (path not known)."""
    parts = caller_arn.split(":")
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{parts[5].split('/')[1]}"
    return caller_arn


def check_lake_formation(account: Account, needs: ProfileNeeds) -> Check:
    name = "Lake Formation admins"
    configured = needs.lake_formation_admins
    if configured is None:
        return Check("OK", name, "Lake Formation is off in this profile; nothing needed")

    def ask() -> Check:
        settings = account.client("lakeformation").get_data_lake_settings()["DataLakeSettings"]
        admins = {a["DataLakePrincipalIdentifier"] for a in settings.get("DataLakeAdmins", [])}
        ours = {_role_of(account.caller_arn), *configured}
        if not admins:
            return Check(
                "OK",
                name,
                "the account has none yet; the stack appends the configured admins and "
                "CloudFormation's execution role",
            )
        if admins & ours:
            return Check("OK", name, f"{', '.join(sorted(admins & ours))} among the admins")
        return Check(
            "FAIL",
            name,
            f"{len(admins)} admin(s), and neither you ({_role_of(account.caller_arn)}) nor a "
            "configured admin is one",
            "have a data lake administrator add you (aws lakeformation put-data-lake-settings) "
            "or add an existing admin to data_lake.lake_formation.admins",
        )

    return _asked(name, ask)


def check_control_tower(account: Account, needs: ProfileNeeds) -> Check:
    name = "Control Tower controls"

    def ask() -> Check:
        parents = account.client("organizations").list_parents(ChildId=account.account_id)
        (parent,) = parents["Parents"]
        if parent["Type"] != "ORGANIZATIONAL_UNIT":
            return Check("INFO", name, "the account sits at the organization's root, not in an OU")
        organization = account.client("organizations").describe_organization()["Organization"]
        ou_arn = (
            f"arn:{account.partition}:organizations::{organization['MasterAccountId']}:ou/"
            f"{organization['Id']}/{parent['Id']}"
        )
        pages = (
            account.client("controltower")
            .get_paginator("list_enabled_controls")
            .paginate(targetIdentifier=ou_arn)
        )
        controls = sorted(
            c["controlIdentifier"].split("/")[-1] for p in pages for c in p["enabledControls"]
        )
        return compare_controls(name, parent["Id"], controls, needs.disabled_controls)

    return _asked(name, ask)


def compare_controls(name: str, ou: str, enabled: list[str], disabled: tuple[str, ...]) -> Check:
    """The OU's enabled controls against those the profile fails on purpose. Controls are
    compared by id (CT.S3.PR.9); one named only by an opaque identifier cannot be compared."""
    enforced = sorted(set(enabled) & set(disabled))
    if enforced:
        return Check(
            "FAIL",
            name,
            f"{ou} enforces {', '.join(enforced)}, which this profile fails on purpose "
            "(platform_config/guard_controls.py); its hooks will refuse those resources",
            "turn each on in governance.guard.enabled_controls and fix what synth then reports, "
            "or have the control lifted for this account",
        )
    return Check(
        "OK",
        name,
        f"{len(enabled)} enabled on {ou}; none of the {len(disabled)} this profile fails on "
        "purpose",
    )


def run_checks(account: Account, needs: ProfileNeeds) -> list[Check]:
    return [
        check_lambda_concurrency(account, needs),
        *check_sagemaker(account, needs),
        *check_network(account, needs),
        *check_bootstrap(account, needs),
        check_lake_formation(account, needs),
        check_control_tower(account, needs),
    ]


def load_profile(name: str, cdk_json: Path) -> PlatformConfig:
    """The named profile from cdk.json, validated (ConfigError names what is wrong)."""
    try:
        context = json.loads(cdk_json.read_text(encoding="utf-8"))["context"]
    except (OSError, ValueError, KeyError) as error:
        raise PreflightError(f"{cdk_json}: no readable context ({error})") from None
    profiles = context.get("profiles", {})
    if name not in profiles:
        allowed = ", ".join(sorted(profiles))
        raise PreflightError(f"unknown profile {name!r}; allowed: {allowed}")
    return parse_profile(name, profiles[name])


def main(argv: Sequence[str] | None = None, session: boto3.Session | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.preflight", description=__doc__.split("\n")[0]
    )
    parser.add_argument("assembly", type=Path, help="the profile's synthesized cdk.out folder")
    parser.add_argument("--env", required=True, help="the profile's name in cdk.json")
    parser.add_argument(
        "--cdk-json", type=Path, default=REPO_ROOT / "cdk.json", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    try:
        needs = profile_needs(args.assembly, load_profile(args.env, args.cdk_json))
        account = Account(session or boto3.Session())
    except (PreflightError, ConfigError, AssemblyError) as error:
        print(f"preflight: {error}", file=sys.stderr)
        return 2
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    where = f" at {endpoint} (an emulator: its quotas are stand-ins)" if endpoint else ""
    print(f"preflight {args.env}: account {account.account_id}, {account.region}{where}")
    checks = run_checks(account, needs)
    for check in checks:
        print(check.line())
    failed = sum(c.verdict == "FAIL" for c in checks)
    not_asked = sum(c.verdict == "NOT ASKED" for c in checks)
    print(f"preflight {args.env}: {failed} failed, {not_asked} not asked, of {len(checks)} checks")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
