"""The emulator asks AWS's question: calls a local engine makes for a deployed role are
authorized first, against the policies the emulator holds (ops.access.guard), by iam-simulate.

One evaluator (a Node process) serves a whole process (ops.access.simulator.shared_simulator).
"""

from __future__ import annotations

from typing import Any

from ops.access.guard import AccessGuard, Clients, LivePolicies, Principal
from ops.access.simulator import shared_simulator


def access_guard(clients: Clients, region: str) -> AccessGuard:
    """A guard over the emulator that `clients` (operator clients) reach; policies read fresh."""
    account = clients("sts").get_caller_identity()["Account"]
    return AccessGuard(LivePolicies(clients, account=account, region=region), shared_simulator())


def clients_as(clients: Clients, region: str, role_arn: str, services: tuple[str, ...]) -> Clients:
    """`clients`, with the clients of `services` acting as `role_arn`: authorized call by call."""
    guard = access_guard(clients, region)
    principal = Principal(role_arn)

    def make(service: str) -> Any:  # noqa: ANN401 - boto3 clients are untyped
        client = clients(service)
        return guard.guard(client, principal) if service in services else client

    return make
