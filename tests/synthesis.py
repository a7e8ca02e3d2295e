"""Synthesize the real app once per profile per test session, and hand out its templates."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("dev", "prod")

# jsii runs Node from PATH: use the virtualenv's Node 24, not the machine's end-of-life Node 20.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

from aws_cdk.assertions import Template  # noqa: E402
from filelock import FileLock  # noqa: E402

import app as platform_app  # noqa: E402  (the repo's app.py)

#: What the CDK CLI adds to every synth: each resource's construct path in its Metadata, as the
#: deployed templates carry it (the access table names resources by that path).
CLI_CONTEXT = {"aws:cdk:enable-path-metadata": True}


def cdk_json_context() -> dict[str, Any]:
    """The context block of cdk.json, as the CDK CLI would pass it to the app."""
    return json.loads((REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]


@dataclass
class Synthesized:
    """One profile's cloud assembly, with parsed templates cached per stack."""

    profile: str
    outdir: Path
    stack_ids: tuple[str, ...]
    _templates: dict[str, Template] = field(default_factory=dict)

    def template_json(self, stack_id: str) -> dict[str, Any]:
        path = self.outdir / f"{stack_id}.template.json"
        return json.loads(path.read_text(encoding="utf-8"))

    def template(self, stack_id: str) -> Template:
        if stack_id not in self._templates:
            self._templates[stack_id] = Template.from_json(self.template_json(stack_id))
        return self._templates[stack_id]

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.outdir / "manifest.json").read_text(encoding="utf-8"))

    def bootstrap_qualifier(self) -> str:
        """The CDK bootstrap qualifier the assembly deploys with, as its manifest names it
        (`/cdk-bootstrap/<qualifier>/version`): cdk.json's `@aws-cdk/core:bootstrapQualifier`,
        or CDK's default."""
        artifacts = self.manifest()["artifacts"].values()
        (parameter,) = {
            a["properties"]["bootstrapStackVersionSsmParameter"]
            for a in artifacts
            if a["type"] == "aws:cloudformation:stack"
        }
        return str(parameter.split("/")[2])

    def validation_report(self) -> dict[str, Any]:
        return json.loads((self.outdir / "validation-report.json").read_text(encoding="utf-8"))


def synthesize(profile: str, outdir: Path) -> Synthesized:
    """Build and synthesize the app exactly as `cdk synth -c env=<profile>` would."""
    app = platform_app.create_app(
        context={**cdk_json_context(), **CLI_CONTEXT, "env": profile}, outdir=str(outdir)
    )
    assembly = platform_app.build(app).synth()
    stack_ids = tuple(stack.id for stack in assembly.stacks)
    return Synthesized(profile=profile, outdir=outdir, stack_ids=stack_ids)


def build_once(outdir: Path, build: Callable[[Path], object]) -> None:
    """Run `build(outdir)` in whichever pytest-xdist worker gets here first; the others wait on
    the lock and then read the same files. Tests read what was built from disk, so a worker that
    did not build sees exactly what one that did sees, and the suite pays for it once, however
    many workers run."""
    with FileLock(outdir.with_name(f"{outdir.name}.lock")):
        built = outdir / ".built"
        if not built.exists():
            build(outdir)
            built.touch()


def synthesize_once(profile: str, shared_dir: Path) -> Synthesized:
    """The profile's assembly in `shared_dir`, synthesized once per test session (build_once)."""
    outdir = shared_dir / f"cdk.out.{profile}"
    ids = outdir / "stack-ids.json"

    def synthesize_and_record_ids(out: Path) -> None:
        ids.write_text(json.dumps(synthesize(profile, out).stack_ids), encoding="utf-8")

    build_once(outdir, synthesize_and_record_ids)
    stack_ids = tuple(json.loads(ids.read_text(encoding="utf-8")))
    return Synthesized(profile=profile, outdir=outdir, stack_ids=stack_ids)
