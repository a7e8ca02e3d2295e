"""Read a synthesized cloud assembly (cdk.out): its manifest and each stack's template."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class AssemblyError(Exception):
    """The folder is not a readable cloud assembly (one line, for the CLI)."""


@dataclass(frozen=True)
class StackTemplate:
    """One stack of the assembly: its construct ID, deployed name and parsed template."""

    stack_id: str
    stack_name: str
    template: dict[str, Any]
    dependencies: tuple[str, ...] = ()

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources


def read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssemblyError(f"{path}: no such file") from None
    except (OSError, ValueError) as error:
        raise AssemblyError(f"{path}: not readable JSON ({error})") from None


def read_assembly(outdir: Path) -> list[StackTemplate]:
    """The CloudFormation stacks of `outdir/manifest.json`, in the manifest's order."""
    if not outdir.is_dir():
        raise AssemblyError(f"{outdir}: no such folder (synthesize first: make synth ENV=...)")
    manifest = read_json(outdir / "manifest.json")
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{outdir / 'manifest.json'}: no artifacts")
    stacks = []
    for artifact_id, artifact in artifacts.items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        template = read_json(outdir / properties["templateFile"])
        if not isinstance(template, dict):
            raise AssemblyError(f"{outdir / properties['templateFile']}: not a template")
        dependencies = tuple(
            dep
            for dep in artifact.get("dependencies", ())
            if artifacts.get(dep, {}).get("type") == "aws:cloudformation:stack"
        )
        stacks.append(
            StackTemplate(
                stack_id=artifact.get("displayName", artifact_id),
                stack_name=properties.get("stackName", artifact_id),
                template=template,
                dependencies=dependencies,
            )
        )
    if not stacks:
        raise AssemblyError(f"{outdir}: the manifest lists no CloudFormation stack")
    return stacks
