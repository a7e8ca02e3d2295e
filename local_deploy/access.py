"""The emulator asks AWS's question: calls a local engine makes for a deployed role are
authorized first, against the policies the emulator holds (ops.access.guard), by iam-simulate.

One evaluator (a Node process) serves a whole process; it is started on first use and stopped at
exit.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

from ops.access.guard import AccessGuard, Clients, LivePolicies, Principal
from ops.access.simulator import Simulator

_LOCK = threading.Lock()
_SIMULATOR: list[Simulator] = []


def _simulator() -> Simulator:
    with _LOCK:
        if not _SIMULATOR:
            _SIMULATOR.append(Simulator())
            atexit.register(_SIMULATOR[0].close)
        return _SIMULATOR[0]


def access_guard(clients: Clients, region: str) -> AccessGuard:
    """A guard over the emulator that `clients` (operator clients) reach; policies read fresh."""
    account = clients("sts").get_caller_identity()["Account"]
    return AccessGuard(LivePolicies(clients, account=account, region=region), _simulator())


def clients_as(clients: Clients, region: str, role_arn: str, services: tuple[str, ...]) -> Clients:
    """`clients`, with the clients of `services` acting as `role_arn`: authorized call by call."""
    guard = access_guard(clients, region)
    principal = Principal(role_arn)

    def make(service: str) -> Any:  # noqa: ANN401 - boto3 clients are untyped
        client = clients(service)
        return guard.guard(client, principal) if service in services else client

    return make
