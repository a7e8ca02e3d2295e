"""Is this node up? The last step of a node's boot, before it signals CloudFormation.

``bootstrap.sh`` runs ``python3 -m spark_cluster.boot_check --role ROLE --env-file
/opt/spark/conf/cluster.env`` after it has started the node's units, and sends SUCCESS to the
node's Auto Scaling group only when this exits 0:

* master: the master's ``/json/`` answers with ``status`` ALIVE (the JVM runs and serves);
* worker: the master's ``/json/`` lists this worker, by the ID the worker's own ``/json/``
  reports, as ALIVE: it registered. Workers boot beside the master, so this waits for a master
  that may still be booting.

It polls until then or until its timeout, and otherwise exits 1 with one line that says what
did not happen: the reason of the boot's FAILURE, in the boot log. The same check runs in
``python -m local_deploy`` against a local Spark (see ``local_deploy.local_boot``).

Standard library only; runs on Amazon Linux 2023's Python 3.9.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from spark_cluster.lifecycle_agent import WorkerStatus, _get_json

ROLES = ("master", "worker")
DEFAULT_TIMEOUT_S = 600.0
DEFAULT_INTERVAL_S = 5.0


class BootCheckError(RuntimeError):
    """The node did not come up in time; the message is the boot's failure reason."""


def read_env_file(path: Path) -> dict[str, str]:
    """A systemd EnvironmentFile as ``node_config`` writes it (KEY=value, no quoting)."""
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def master_state(master_ui_url: str, timeout_s: float = 2.0) -> str | None:
    """The master's ``status`` (ALIVE, STANDBY, ...), or None when it does not answer."""
    try:
        return str(_get_json(f"{master_ui_url.rstrip('/')}/json/", timeout_s).get("status"))
    except (OSError, ValueError, AttributeError):
        return None


def _master_missing(master_ui: str) -> str | None:
    state = master_state(master_ui)
    if state == "ALIVE":
        return None
    return f"the Spark master at {master_ui} " + (
        "did not answer" if state is None else f"is {state}, not ALIVE"
    )


def _worker_missing(worker_ui: str, master_ui: str) -> str | None:
    status = WorkerStatus(worker_ui, master_ui)
    worker_id = status.worker_id()
    if worker_id is None:
        return f"the Spark worker at {worker_ui} did not answer"
    state = status.state_at_master()
    if state == "ALIVE":
        return None
    if state is None:
        return f"the worker {worker_id} is not registered with the master at {master_ui}"
    return f"the master at {master_ui} reports the worker {worker_id} {state}"


def probe(role: str, env: Mapping[str, str]) -> str | None:
    """None when the node is up, else what is still missing (the failure reason if it lasts)."""
    master_ui = env.get("SPARK_MASTER_UI_URL", "")
    worker_ui = env.get("SPARK_WORKER_UI_URL", "")
    if not master_ui or (role == "worker" and not worker_ui):
        return "cluster.env lacks SPARK_MASTER_UI_URL or SPARK_WORKER_UI_URL"
    if role == "master":
        return _master_missing(master_ui)
    return _worker_missing(worker_ui, master_ui)


def wait_until_ready(
    role: str,
    env: Mapping[str, str],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    interval_s: float = DEFAULT_INTERVAL_S,
    check: Callable[[str, Mapping[str, str]], str | None] = probe,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Poll ``check`` until the node is up; the seconds it took. BootCheckError after
    ``timeout_s``, with the last thing still missing."""
    if role not in ROLES:
        raise BootCheckError(f"unknown role {role!r}; allowed: {', '.join(ROLES)}")
    started = clock()
    while True:
        missing = check(role, env)
        elapsed = clock() - started
        if missing is None:
            return elapsed
        if elapsed >= timeout_s:
            raise BootCheckError(f"{missing} within {timeout_s:.0f} s")
        sleep(min(interval_s, max(0.0, timeout_s - elapsed)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m spark_cluster.boot_check",
        description="Wait until this Spark node is up (master ALIVE; worker registered).",
    )
    parser.add_argument("--role", choices=ROLES, required=True)
    parser.add_argument("--env-file", type=Path, required=True, help="node_config's cluster.env")
    parser.add_argument("--timeout-seconds", type=float, default=DEFAULT_TIMEOUT_S)
    parser.add_argument("--interval-seconds", type=float, default=DEFAULT_INTERVAL_S)
    args = parser.parse_args(argv)
    try:
        env = read_env_file(args.env_file)
        took = wait_until_ready(
            args.role, env, timeout_s=args.timeout_seconds, interval_s=args.interval_seconds
        )
    except (BootCheckError, OSError) as error:
        print(f"spark-boot-check: {error}", file=sys.stderr)
        return 1
    print(f"spark-boot-check: the {args.role} is up ({took:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
