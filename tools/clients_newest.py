"""The newest AWS clients from PyPI, apart from the project's pins, for testing the emulator.

The project pins boto3 and botocore (constraints.txt); users run whatever pip gave them last
week, and AWS changes wire protocols under a minor version (Athena went from JSON to REST-JSON
in botocore 1.44.18). So a second client set lives in its own lock,
``tools/clients-newest-lock.txt`` (boto3, botocore, the AWS CLI v1 from PyPI, and their
dependencies, exact versions), installed into its own virtualenv, ``.venv-clients/python3.X``, which
``tests/local_deploy/test_clients_newest.py`` runs against the emulator.

    python -m tools.clients_newest update   # re-resolve the lock to what is newest on PyPI now
    python -m tools.clients_newest venv     # make (or reuse) the virtualenv; print its bin/

``make clients-newest-update`` does the first, then runs the test. The virtualenv is rebuilt
only when the lock (or the interpreter) changes: a stamp holds their digest. Installing takes
``pip install --no-deps``: exactly the locked versions, and no resolution at install time.
"""

from __future__ import annotations

import argparse
import datetime
import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCK = REPO_ROOT / "tools" / "clients-newest-lock.txt"
#: The folder the test caches (gitignored as .venv-*/): a build lock beside the virtualenv.
HOME = REPO_ROOT / ".venv-clients"
#: One virtualenv per interpreter (`make VENV=.venv-py3.13 PYTHON=python3.13` runs beside .venv).
VENV = HOME / f"python{sys.version_info.major}.{sys.version_info.minor}"
STAMP = VENV / ".lock-digest"
#: What the lock is for; everything else in it is what these need.
ROOTS = ("boto3", "botocore", "awscli")
#: The oldest Python the project supports (Makefile PYTHON_MIN): the lock must install there.
OLDEST_PYTHON = "3.11.0"

HEADER = """\
# The newest AWS clients from PyPI, set apart from the project's pins (constraints.txt): boto3,
# botocore and the AWS CLI v1 (awscli) with their dependencies, resolved {resolved} for Python
# {python} and later. awscli 1.46 and later carry their own copy of botocore (awscli.botocore),
# so the CLI's wire protocols are not the botocore pin's: both are tested.
# tests/local_deploy/test_clients_newest.py installs exactly these (pip install --no-deps) into
# .venv-clients/python3.X and runs the README's AWS commands against the emulator.
# Regenerate with `make clients-newest-update` (python -m tools.clients_newest update), which
# also runs that test; `make check-locks` checks that it installs on Python 3.11.0 and 3.13.
"""

_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)$")


class ClientsError(RuntimeError):
    """The lock could not be resolved or the virtualenv not built."""


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(lock: Path = LOCK) -> dict[str, str]:
    """{normalized name: version} of every pin in the lock."""
    pins: dict[str, str] = {}
    for raw in lock.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        if match is None:
            raise ClientsError(f"{lock}: {line!r} is not an exact pin (name==version)")
        pins[_normalized(match.group(1))] = match.group(2)
    return pins


def resolve(python_version: str = OLDEST_PYTHON) -> dict[str, str]:
    """What pip would install today for ROOTS on that Python: {normalized name: version}."""
    with tempfile.TemporaryDirectory(prefix="clients-resolve-") as scratch:
        report = Path(scratch) / "report.json"
        command = [
            sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
            "--only-binary=:all:", "--python-version", python_version,
            "--target", str(Path(scratch) / "target"), "--report", str(report), *ROOTS,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ClientsError(f"pip could not resolve {' '.join(ROOTS)}:\n{done.stderr}")
        installs = json.loads(report.read_text())["install"]
    return {_normalized(item["metadata"]["name"]): item["metadata"]["version"] for item in installs}


def lock_text(pins: dict[str, str], resolved: str) -> str:
    body = "".join(f"{name}=={pins[name]}\n" for name in sorted(pins))
    return HEADER.format(resolved=resolved, python=OLDEST_PYTHON) + body


def update(lock: Path = LOCK, *, resolved: str) -> list[str]:
    """Re-resolve the lock; return one line per pin that changed (empty when none did)."""
    before = read_lock(lock) if lock.exists() else {}
    after = resolve()
    missing = [root for root in ROOTS if root not in after]
    if missing:
        raise ClientsError(f"the resolution lacks {missing}")
    if after == before:
        return []  # the lock stays as it is, its date included
    lock.write_text(lock_text(after, resolved))
    return [
        f"{name}: {before.get(name, '-')} -> {after.get(name, '-')}"
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    ]


def digest(lock: Path = LOCK) -> str:
    """What the virtualenv was built from: the lock's pins (not its comments) and the
    interpreter."""
    pins = "".join(f"{name}=={version}\n" for name, version in sorted(read_lock(lock).items()))
    content = f"{pins}{sys.version}\n{sys.base_prefix}\n"
    return hashlib.sha256(content.encode()).hexdigest()


def ensure_venv(lock: Path = LOCK, venv: Path = VENV) -> Path:
    """The virtualenv's bin/, built from the lock unless a build from the same lock exists.

    Several processes may ask at once (two test workers, a make target): one builds under a file
    lock, the others wait for it and reuse its result.
    """
    stamp = venv / STAMP.name
    wanted = digest(lock)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / ".build.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text().strip() == wanted:
            return venv / "bin"
        shutil.rmtree(venv, ignore_errors=True)
        # No pip inside (ensurepip costs seconds): this interpreter's pip installs into it.
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            check=True,
            capture_output=True,
        )
        command = [
            sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
            "--quiet", "--no-deps", "--only-binary=:all:", "-r", str(lock),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise ClientsError(f"pip could not install {lock}:\n{done.stderr.strip()}")
        stamp.write_text(wanted + "\n")
    return venv / "bin"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.clients_newest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    updating = commands.add_parser("update", help="re-resolve the lock to the newest on PyPI")
    updating.add_argument(
        "--date",
        default=datetime.date.today().isoformat(),
        help="the day it is resolved, written into the lock's header (default: today)",
    )
    commands.add_parser("venv", help="make (or reuse) the virtualenv; print its bin/")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "update":
            changed = update(resolved=arguments.date)
            for line in changed:
                print(line)
            where = LOCK.relative_to(REPO_ROOT)
            print(f"wrote {where}" if changed else f"no pin changed; {where} stays as it is")
        else:
            print(ensure_venv())
    except ClientsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
