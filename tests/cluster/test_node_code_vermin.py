"""vermin finds nothing in the node code that needs more than Python 3.9 (Amazon Linux 2023's
/usr/bin/python3), and the check bites: 3.10 code in a file is reported."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from stacks.cluster import PACKAGE_DIR
from tests.required_tools import missing_tool
from tools.node_python import node_files, vermin_command


def vermin(files: list[Path]) -> subprocess.CompletedProcess[str]:
    command = vermin_command(files)
    if not Path(command[0]).is_file():
        missing_tool(f"no vermin at {command[0]} (requirements-dev.txt); run `make install`")
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_checked_files_are_the_shipped_package() -> None:
    """What ClusterStack ships (its asset's folder) is what vermin reads, nodes' entry points in."""
    files = node_files()
    assert all(PACKAGE_DIR in f.parents for f in files)
    names = {f.name for f in files}
    assert {"node_config.py", "lifecycle_agent.py", "master_metrics.py", "imds.py"} <= names


def test_node_code_needs_at_most_python39() -> None:
    result = vermin(node_files())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "requires" not in result.stdout, result.stdout
    assert "Target versions not met" not in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("source", "reported"),
    [
        ("import itertools\n\nP = itertools.pairwise('ab')\n", "'itertools.pairwise' member"),
        ("def f(x):\n    match x:\n        case 1:\n            return 1\n", "pattern matching"),
    ],
    ids=["pairwise", "match"],
)
def test_python310_code_is_reported(tmp_path: Path, source: str, reported: str) -> None:
    module = tmp_path / "uses_310.py"
    module.write_text(source, encoding="utf-8")
    result = vermin([module])
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{reported} requires !2, 3.10" in result.stdout, result.stdout
    assert str(module) in result.stdout
