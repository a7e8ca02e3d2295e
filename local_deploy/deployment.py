"""The local deployment: what is deployed, its outputs, coverage and smoke checks."""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from local_deploy import coverage
from local_deploy.settings import REPO_ROOT, LocalSettings
from local_deploy.smoke import CheckResult, SmokeContext, check_modules, run_checks

if TYPE_CHECKING:
    from platform_config import PlatformConfig

BOOTSTRAP_STACK = "CDKToolkit"


@dataclass(frozen=True)
class AssemblyStack:
    """A stack of the synthesized cloud assembly: its construct ID and deployed name."""

    artifact_id: str
    stack_name: str
    template_file: str


def assembly_stacks(assembly_dir: Path) -> list[AssemblyStack]:
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    stacks = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        name = properties.get("stackName", artifact_id)
        stacks.append(AssemblyStack(artifact_id, name, properties["templateFile"]))
    return stacks


def profile_config(profile: str) -> PlatformConfig:
    # Imported here: platform_config loads jsii (and so starts Node), which only smoke needs.
    from platform_config.loader import PROFILES_CONTEXT_KEY, parse_profile  # noqa: PLC0415

    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return parse_profile(profile, context[PROFILES_CONTEXT_KEY][profile])


_SESSION_LOCK = threading.Lock()


@functools.cache
def session(settings: LocalSettings) -> boto3.Session:
    """One session per emulator: a new botocore session parses every service model (and the
    endpoint rules) again, about 0.1 s per client; one session loads each once."""
    return boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        region_name=settings.region,
    )


def client(settings: LocalSettings, service: str) -> Any:  # noqa: ANN401 - boto3 is untyped
    with _SESSION_LOCK:  # a boto3 Session is not thread-safe; the clients it makes are
        return session(settings).client(service, endpoint_url=settings.endpoint)


def stack_outputs(settings: LocalSettings, stack_name: str) -> dict[str, str] | None:
    """The stack's outputs, or None if the stack is not deployed."""
    if stack_name not in deployed_stack_names(settings):
        return None
    stack = client(settings, "cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def deployed_stack_names(settings: LocalSettings) -> list[str]:
    cloudformation = client(settings, "cloudformation")
    stacks = cloudformation.describe_stacks()["Stacks"]
    # A stack that failed to create (ROLLBACK_COMPLETE) holds nothing: it is not deployed.
    gone = ("DELETE", "ROLLBACK_COMPLETE")
    return [s["StackName"] for s in stacks if not s["StackStatus"].startswith(gone)]


def coverage_of(settings: LocalSettings, stack_names: list[str]) -> list[coverage.StackCoverage]:
    """Coverage of each stack; a stack that is not deployed counts all its resources skipped."""
    cloudformation = client(settings, "cloudformation")
    deployed = set(deployed_stack_names(settings))
    templates = {
        stack.stack_name: settings.assembly_dir / stack.template_file
        for stack in assembly_stacks(settings.assembly_dir)
    }
    coverages = []
    for name in stack_names:
        if name in deployed:
            coverages.append(coverage.stack_coverage(cloudformation, name))
        else:
            template = json.loads(templates[name].read_text()) if name in templates else {}
            coverages.append(coverage.undeployed_stack_coverage(name, template))
    return coverages


def smoke(settings: LocalSettings, stacks: list[AssemblyStack]) -> list[CheckResult]:
    modules = check_modules()
    config = profile_config(settings.profile)
    cloudformation = client(settings, "cloudformation")
    results: list[CheckResult] = []
    deployed = set(deployed_stack_names(settings))
    for stack in stacks:
        if stack.stack_name not in deployed:
            results.append(CheckResult(stack.artifact_id, "deployed", False, "not deployed"))
            continue
        module = modules.get(stack.artifact_id)
        if module is None:
            print(
                f"  note: no smoke checks for {stack.artifact_id} yet; add a module with "
                f'STACK_ID = "{stack.artifact_id}" to local_deploy/smoke/'
            )
            continue
        summaries = cloudformation.list_stack_resources(StackName=stack.stack_name)[
            "StackResourceSummaries"
        ]
        context = SmokeContext(
            stack_id=stack.artifact_id,
            stack_name=stack.stack_name,
            outputs=stack_outputs(settings, stack.stack_name) or {},
            config=config,
            session=session(settings),
            endpoint=settings.endpoint,
            resources={
                s["LogicalResourceId"]: (s["ResourceType"], s["PhysicalResourceId"])
                for s in summaries
            },
        )
        results.extend(run_checks(context, module.CHECKS))
    return results


def physical_resources(settings: LocalSettings, stack_names: list[str]) -> dict[str, str]:
    """``stack/logical ID`` -> physical ID of every resource, to compare two deploys."""
    cloudformation = client(settings, "cloudformation")
    found = {}
    for name in stack_names:
        summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
        for s in summaries:
            found[f"{name}/{s['LogicalResourceId']}"] = s["PhysicalResourceId"]
    return found


def empty_deletable_buckets(settings: LocalSettings) -> list[str]:
    """Empty every bucket of the app's stacks whose DeletionPolicy lets the stack delete it.

    CloudFormation cannot delete a bucket that holds objects, and the smoke checks write some.
    Emptying them first is what ``auto_delete_objects`` would do, for the buckets the profile
    already lets go (removal policy destroy); retained buckets are left alone.
    """
    from local_deploy.templates import parse_template  # noqa: PLC0415 - keeps imports light

    cloudformation = client(settings, "cloudformation")
    s3 = client(settings, "s3")
    deployed = set(deployed_stack_names(settings))
    emptied = []
    for stack in assembly_stacks(settings.assembly_dir):
        if stack.stack_name not in deployed:
            continue
        body = cloudformation.get_template(StackName=stack.stack_name)["TemplateBody"]
        resources = parse_template(body).get("Resources") or {}
        deletable = {
            logical_id
            for logical_id, resource in resources.items()
            if resource["Type"] == "AWS::S3::Bucket"
            and resource.get("DeletionPolicy", "Delete") == "Delete"
        }
        summaries = cloudformation.list_stack_resources(StackName=stack.stack_name)[
            "StackResourceSummaries"
        ]
        for summary in summaries:
            if summary["LogicalResourceId"] in deletable:
                _empty_bucket(s3, summary["PhysicalResourceId"])
                emptied.append(summary["PhysicalResourceId"])
    return emptied


def _empty_bucket(s3: Any, bucket: str) -> None:  # noqa: ANN401 - boto3 is untyped
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": entry["Key"], "VersionId": entry["VersionId"]}
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
