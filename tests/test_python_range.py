"""The Makefile's interpreter check: a Python outside 3.11 to 3.13 stops the first command with
one line naming the version found and the range; one inside it goes on to make the virtualenv.

`make -n` (nothing runs) against a virtualenv path that does not exist, so the check is reached
as on a fresh clone. The interpreters are stand-ins that run this test's Python with
``sys.version_info`` replaced, so every boundary is tried on any machine."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
ABSENT_VENV = ".venv-python-range-test"  # never created: `make -n` only prints the recipes


def _python_reporting(tmp_path: Path, version: tuple[int, int, int]) -> Path:
    """An executable that runs `-c CODE` on this Python, as if it were `version`."""
    stand_in = tmp_path / f"python{'.'.join(map(str, version))}"
    pretend = f"import sys; sys.version_info = {(*version, 'final', 0)!r}; exec(sys.argv[1])"
    stand_in.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{pretend}" "$2"\n')
    stand_in.chmod(0o755)
    return stand_in


def _make_synth(python: Path | str) -> subprocess.CompletedProcess[str]:
    assert MAKE, "make is one of the three things the README asks for"
    assert not (REPO_ROOT / ABSENT_VENV).exists()
    return subprocess.run(
        [MAKE, "-n", "--no-print-directory", "synth", f"PYTHON={python}", f"VENV={ABSENT_VENV}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "MAKEFLAGS": ""},
    )


@pytest.mark.parametrize("version", [(3, 9, 18), (3, 10, 13), (3, 14, 0), (4, 0, 0)])
def test_an_unsupported_python_gets_one_line(tmp_path: Path, version: tuple[int, int, int]):
    python = _python_reporting(tmp_path, version)
    result = _make_synth(python)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    found = ".".join(map(str, version))
    assert f"found Python {found} at {sys.executable} (PYTHON={python})" in lines[0]
    assert "this project supports Python 3.11 to 3.13" in lines[0]


def test_a_missing_python_gets_one_line():
    result = _make_synth("no-such-python3")
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "found no Python that runs (PYTHON=no-such-python3)" in lines[0]


@pytest.mark.parametrize("version", [(3, 11, 0), (3, 11, 2), (3, 12, 1), (3, 13, 0), (3, 13, 9)])
def test_a_supported_python_makes_the_virtualenv(tmp_path: Path, version: tuple[int, int, int]):
    python = _python_reporting(tmp_path, version)
    result = _make_synth(python)
    assert result.returncode == 0, result.stderr
    assert f"{python} -m venv {ABSENT_VENV}" in result.stdout.splitlines()
