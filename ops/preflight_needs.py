"""What a profile needs from an AWS account, read from its synthesized assembly and its config.

Pure: no AWS call, no aws_cdk import. The templates are the truth for what gets created
(reservations, NAT gateways, Elastic IPs, the bootstrap version); the config says what runs
later, outside CloudFormation (the pipeline's instances, the endpoint the deployer creates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.assembly import AssemblyError, StackTemplate, read_assembly, read_json
from platform_config import PlatformConfig
from platform_config.guard_controls import disabled_for

#: CDK's default bootstrap qualifier, for an assembly whose manifest names none.
DEFAULT_QUALIFIER = "hnb659fds"
_QUALIFIER_IN_PARAMETER = re.compile(r"^/cdk-bootstrap/(?P<qualifier>[^/]+)/version$")
_PLACEHOLDER = re.compile(r"\$\{AWS::(Partition|AccountId|Region)\}")


@dataclass(frozen=True)
class Reservation:
    """One function's reserved concurrency, as its template states it."""

    stack_id: str
    logical_id: str
    reserved: int


@dataclass(frozen=True)
class SageMakerNeed:
    """Instances of one type that one use (training, endpoint, processing) needs at once."""

    quota_name: str
    first_use: str  # what fails when the quota is below `minimum`
    minimum: int  # below this, the first use fails
    full_scale: int  # below this, the use fails at its configured peak


@dataclass(frozen=True)
class ProfileNeeds:
    """Everything the account checks compare against."""

    profile: str
    reservations: tuple[Reservation, ...]
    nat_gateways: int
    elastic_ips: int
    bootstrap_parameter: str
    bootstrap_version: int
    cdk_role_arns: tuple[str, ...]  # with ${AWS::...} placeholders, as the manifest writes them
    sagemaker: tuple[SageMakerNeed, ...]
    lake_formation_admins: tuple[str, ...] | None  # None: Lake Formation is off
    #: The Control Tower controls the profile fails on purpose (platform_config/guard_controls.py).
    disabled_controls: tuple[str, ...] = ()

    @property
    def reserved_total(self) -> int:
        return sum(r.reserved for r in self.reservations)

    @property
    def qualifier(self) -> str:
        match = _QUALIFIER_IN_PARAMETER.match(self.bootstrap_parameter)
        return match["qualifier"] if match else DEFAULT_QUALIFIER


def resolve_placeholders(arn: str, *, partition: str, account: str, region: str) -> str:
    """`arn:${AWS::Partition}:iam::${AWS::AccountId}:...` with the account's values."""
    values = {"Partition": partition, "AccountId": account, "Region": region}
    return _PLACEHOLDER.sub(lambda m: values[m[1]], arn)


def _count(stacks: list[StackTemplate], resource_type: str) -> int:
    return sum(1 for s in stacks for r in s.resources.values() if r.get("Type") == resource_type)


def _reservations(stacks: list[StackTemplate]) -> tuple[Reservation, ...]:
    found = []
    for stack in stacks:
        for logical_id, resource in stack.resources.items():
            if resource.get("Type") != "AWS::Lambda::Function":
                continue
            reserved = resource.get("Properties", {}).get("ReservedConcurrentExecutions")
            if reserved is None:
                continue
            if not isinstance(reserved, int):
                raise AssemblyError(
                    f"{stack.stack_id}/{logical_id}: ReservedConcurrentExecutions is "
                    f"{reserved!r}, not a number; preflight cannot count it"
                )
            found.append(Reservation(stack.stack_id, logical_id, reserved))
    return tuple(found)


def _manifest_roles_and_bootstrap(outdir: Path) -> tuple[str, int, tuple[str, ...]]:
    """The bootstrap version parameter, the highest version a stack requires, and the CDK
    roles the deployment uses (deploy, execution, lookup, asset publishing)."""
    manifest = read_json(outdir / "manifest.json")
    artifacts: dict[str, Any] = manifest.get("artifacts", {}) if isinstance(manifest, dict) else {}
    parameters: set[str] = set()
    version = 0
    roles: set[str] = set()
    for artifact in artifacts.values():
        properties = artifact.get("properties", {})
        # The stack's own requirement (its CheckBootstrapVersion rule); the lookup role's
        # higher one applies only to context lookups, which this app never makes.
        if "requiresBootstrapStackVersion" in properties:
            version = max(version, int(properties["requiresBootstrapStackVersion"]))
            parameters.add(properties.get("bootstrapStackVersionSsmParameter", ""))
        for key in ("assumeRoleArn", "cloudFormationExecutionRoleArn"):
            if key in properties:
                roles.add(properties[key])
        if "arn" in properties.get("lookupRole", {}):
            roles.add(properties["lookupRole"]["arn"])
        if artifact.get("type") == "cdk:asset-manifest":
            roles.update(_asset_publishing_roles(outdir / properties["file"]))
    parameters.discard("")
    if len(parameters) != 1:
        raise AssemblyError(
            f"{outdir / 'manifest.json'}: expected one bootstrap version parameter, found "
            f"{sorted(parameters) or 'none'}"
        )
    return parameters.pop(), version, tuple(sorted(roles))


def _asset_publishing_roles(asset_manifest: Path) -> set[str]:
    data = read_json(asset_manifest)
    roles = set()
    if isinstance(data, dict):
        for kind in ("files", "dockerImages"):
            for asset in data.get(kind, {}).values():
                for destination in asset.get("destinations", {}).values():
                    if "assumeRoleArn" in destination:
                        roles.add(destination["assumeRoleArn"])
    return roles


def _sagemaker_needs(config: PlatformConfig) -> tuple[SageMakerNeed, ...]:
    ml = config.ml
    training = "spot training job usage" if ml.spot_training else "training job usage"
    return (
        # The pipeline's Train step runs one instance; spot and on-demand are separate quotas.
        SageMakerNeed(f"{ml.training_instance_type} for {training}", "Train step", 1, 1),
        # Prepare and Evaluate run one processing instance each, one after the other.
        SageMakerNeed(
            f"{ml.processing_instance_type} for processing job usage", "Prepare step", 1, 1
        ),
        # The first approval creates min_capacity instances; a blue/green update at full scale
        # runs the old fleet (up to max_capacity) beside the new one (min_capacity).
        SageMakerNeed(
            f"{ml.endpoint_instance_type} for endpoint usage",
            "first approval's CreateEndpoint",
            ml.endpoint_min_capacity,
            ml.endpoint_max_capacity + ml.endpoint_min_capacity,
        ),
    )


def profile_needs(outdir: Path, config: PlatformConfig) -> ProfileNeeds:
    """What `config`'s profile, synthesized into `outdir`, needs from the account."""
    stacks = read_assembly(outdir)
    foreign = [s.stack_name for s in stacks if not s.stack_name.startswith(config.name_prefix)]
    if foreign:
        raise AssemblyError(
            f"{outdir}: stack {foreign[0]} is not of profile {config.profile} (its stacks are "
            f"named {config.name_prefix}-*); synthesize this profile into it first"
        )
    parameter, version, roles = _manifest_roles_and_bootstrap(outdir)
    lake_formation = config.data_lake.lake_formation
    return ProfileNeeds(
        profile=config.profile,
        reservations=_reservations(stacks),
        nat_gateways=_count(stacks, "AWS::EC2::NatGateway"),
        elastic_ips=_count(stacks, "AWS::EC2::EIP"),
        bootstrap_parameter=parameter,
        bootstrap_version=version,
        cdk_role_arns=roles,
        sagemaker=_sagemaker_needs(config),
        lake_formation_admins=tuple(lake_formation.admins) if lake_formation.enabled else None,
        disabled_controls=tuple(
            c.control for c in disabled_for(config.stage, config.governance.guard.enabled_controls)
        ),
    )
