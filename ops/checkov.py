"""checkov over synthesized templates, offline, with a one-line summary per assembly.

    python -m ops.checkov cdk.dev.out cdk.prod.out [--checkov PATH]

Runs checkov's CloudFormation framework once over every `*.template.json` of the assembly folders,
with nothing fetched: `--skip-download` (no Prisma Cloud policies) and `BC_SKIP_MAPPING=TRUE`
(no guideline mapping download). checkov lives in its own virtualenv (`make checkov` builds it
from ops/checkov-lock.txt) because its pins conflict with constraints.txt (boto3 1.35 vs 1.44).
Exit 1 when any check fails, 2 on bad input; each failure is printed with its resource.
A skip counts only when it carries a comment (resources' `Metadata.checkov.skip`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKOV = REPO_ROOT / ".venv" / "checkov" / "bin" / "checkov"


class CheckovError(Exception):
    """checkov is missing, or its output is not what this module reads (one line)."""


@dataclass
class Finding:
    check_id: str
    template: str
    resource: str
    comment: str = ""


@dataclass
class Result:
    """checkov's verdict on one assembly."""

    assembly: Path
    passed: int = 0
    failed: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.assembly}: {self.passed} passed, {len(self.failed)} failed, "
            f"{len(self.skipped)} skipped"
        )


def templates_of(assembly: Path, stacks: Sequence[str] | None = None) -> list[Path]:
    """The templates of an assembly folder: every one, or those of the stack IDs in `stacks`."""
    templates = sorted(assembly.glob("*.template.json"))
    if stacks is not None:
        templates = [t for t in templates if t.name.removesuffix(".template.json") in stacks]
    if not templates:
        wanted = "*.template.json" if stacks is None else ", ".join(stacks)
        raise CheckovError(f"{assembly}: no template for {wanted} (synthesize first)")
    return templates


def run_checkov(templates: Sequence[Path], checkov: Path = CHECKOV) -> dict[Path, Result]:
    """checkov's CloudFormation checks over `templates`, offline, in one run (checkov takes
    about 2.5 s to start): a Result for each assembly folder the templates are in."""
    if not checkov.is_file():
        raise CheckovError(f"{checkov}: not found (make checkov builds its virtualenv)")
    command = [str(checkov), "--skip-download", "--compact", "-o", "json"]
    command += ["--framework", "cloudformation"]
    for template in templates:
        command += ["-f", str(template)]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    try:
        reports = json.loads(completed.stdout)
    except ValueError:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CheckovError(f"checkov exited {completed.returncode}: {tail[0]}") from None
    results = {t.resolve().parent: Result(assembly=t.parent) for t in templates}
    for report in reports if isinstance(reports, list) else [reports]:
        if report.get("check_type") != "cloudformation":
            continue
        if report["summary"].get("parsing_errors"):
            raise CheckovError(f"checkov could not parse {report['summary']['parsing_errors']}")
        checks = report.get("results", {})
        for check in checks.get("passed_checks", []):
            results[Path(check["file_abs_path"]).resolve().parent].passed += 1
        for key in ("failed_checks", "skipped_checks"):
            for check in checks.get(key, []):
                result = results[Path(check["file_abs_path"]).resolve().parent]
                suppress = check.get("check_result", {}).get("suppress_comment", "")
                finding = Finding(
                    check_id=check["check_id"],
                    template=Path(check["file_abs_path"]).name,
                    resource=check["resource"],
                    comment=suppress or "",
                )
                (result.failed if key == "failed_checks" else result.skipped).append(finding)
    return {result.assembly: result for result in results.values()}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m ops.checkov", description=__doc__.split("\n\n")[0])
    parser.add_argument("assemblies", type=Path, nargs="+", help="cloud assembly folders")
    parser.add_argument("--checkov", type=Path, default=CHECKOV, help="the checkov executable")
    args = parser.parse_args(argv)
    try:
        templates = [t for assembly in args.assemblies for t in templates_of(assembly)]
        results = run_checkov(templates, args.checkov)
    except CheckovError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    failed = False
    for result in results.values():
        print(result.summary())
        for finding in result.failed:
            print(f"  FAILED {finding.check_id} {finding.template} {finding.resource}")
        for finding in result.skipped:
            if not finding.comment.strip():
                print(f"  SKIPPED WITHOUT A REASON {finding.check_id} {finding.resource}")
                failed = True
        failed = failed or bool(result.failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
