"""The cluster nodes' Python: vermin checks that every module they get runs on Python 3.9.

    python -m tools.node_python          # make lint; exit status 1 on a violation

The nodes run the `spark_cluster` package under Amazon Linux 2023's `/usr/bin/python3`, which
is Python 3.9, while the rest of the repo targets 3.11 and up (ruff and mypy check at 3.11, so
neither notices `itertools.pairwise`, a `match` statement or a 3.10 keyword argument). ClusterStack
ships the whole package folder as one asset (`stacks/cluster.PACKAGE_DIR`, `__pycache__` left
out), so every `.py` file in it is checked: the modules the nodes run (`node_config`,
`lifecycle_agent`, `master_metrics`, `imds`, `sample_job`) and `user_data`, which runs at synth
only but lies importable on every node too.

vermin reads the source statically, so it also covers branches a test never takes;
tests/cluster/test_node_code_python39.py runs `node_config` under a real 3.9 besides. This module
is the one place naming the files and the flags: the Makefile's `lint` target and
tests/cluster/test_node_code_vermin.py both run `vermin_command`.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE_DIR = REPO / "spark_cluster"
# `-t=3.9-`: 3.9 is the newest version the code may need (a trailing `-` means "or older").
# `--violations`: report only what breaks that target, and exit 1 if anything does.
VERMIN_ARGS = ("-t=3.9-", "--no-tips", "--violations")


def node_files() -> list[Path]:
    """Every Python file of the package the nodes get, in a stable order."""
    return sorted(p for p in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def vermin_command(files: Sequence[Path]) -> list[str]:
    """vermin (the pinned dev tool, beside this interpreter) over `files`, with VERMIN_ARGS."""
    vermin = Path(sys.executable).with_name("vermin")
    return [str(vermin), *VERMIN_ARGS, *(str(f) for f in files)]


def main() -> int:
    return subprocess.run(vermin_command(node_files()), check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
