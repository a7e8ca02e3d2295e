"""`make test` relies on `--dist loadgroup` to keep each costly session resource (the local
deployment, the Spark session, a checkov run) on one worker; tests/conftest.py adds the marks.
pytest-xdist 3.8 with pytest 9.2 ignores the marks without a word (pytest-dev/pytest-xdist#1386):
every worker then makes its own deployment and Spark session. This runs a two-worker session on a
small sample and checks that each group stayed on one worker, so an upgrade that breaks it fails
here rather than slowing and racing the suite.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

SAMPLE = """
import os
from pathlib import Path

import pytest


def ran(group, n):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    (Path(__file__).parent / "ran" / f"{group}.{n}.{worker}").touch()


@pytest.mark.xdist_group("first")
@pytest.mark.parametrize("n", range(6))
def test_first(n):
    ran("first", n)


@pytest.mark.xdist_group("second")
@pytest.mark.parametrize("n", range(6))
def test_second(n):
    ran("second", n)
"""


def test_loadgroup_keeps_each_group_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "ran").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    workers: dict[str, set[str]] = defaultdict(set)
    for marker in (tmp_path / "ran").iterdir():
        group, _, worker = marker.name.split(".")
        workers[group].add(worker)
    assert set(workers) == {"first", "second"}
    assert all(len(ran_on) == 1 for ran_on in workers.values()), dict(workers)
