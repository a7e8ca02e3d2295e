"""Ask a maintained IAM evaluation engine what AWS would decide: @cloud-copilot/iam-simulate.

The engine is a Node library (a devDependency in package.json, AGPL-3.0, used at test time only);
`simulate.mjs` serves it over a pipe, one JSON line per request, so that one Node process answers
a whole run: the access table, or every call of a local engine.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from ops.access.policies import NamedPolicy

_SCRIPT = Path(__file__).with_name("simulate.mjs")
_REPO_ROOT = Path(__file__).resolve().parents[2]

Decision = Literal["Allowed", "ExplicitlyDenied", "ImplicitlyDenied", "Error"]


class SimulatorError(Exception):
    """The engine could not be started or stopped answering (one line)."""


@dataclass(frozen=True)
class Request:
    """One call as AWS authorizes it: who, what, on which resource, with which context keys."""

    principal: str  # a role ARN, or a service principal such as cloudwatch.amazonaws.com
    action: str
    resource: str
    resource_account: str
    context: dict[str, str | list[str]]
    identity_policies: tuple[NamedPolicy, ...] = ()
    resource_policy: dict[str, Any] | None = None
    boundary: NamedPolicy | None = None

    def simulation(self) -> dict[str, Any]:
        simulation: dict[str, Any] = {
            "request": {
                "principal": self.principal,
                "action": self.action,
                "resource": {"resource": self.resource, "accountId": self.resource_account},
                "contextVariables": self.context,
            },
            "identityPolicies": [
                {"name": policy.name, "policy": policy.document}
                for policy in self.identity_policies
            ],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
        }
        if self.resource_policy is not None:
            simulation["resourcePolicy"] = self.resource_policy
        if self.boundary is not None:
            simulation["permissionBoundaryPolicies"] = [
                {"name": self.boundary.name, "policy": self.boundary.document}
            ]
        return simulation


@dataclass(frozen=True)
class Verdict:
    """What the engine decided, and the statements that decided it."""

    decision: Decision
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    ignored_context_keys: tuple[str, ...] = ()
    errors: str = ""
    note: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"

    def deciding(self) -> str:
        """The deciding statements in a few words: the explicit denies, else the allows."""
        if self.errors:
            return f"the engine refused the request: {self.errors}"
        if self.deny:
            return "denied by " + ", ".join(self.deny)
        if self.allow:
            return "allowed by " + ", ".join(self.allow)
        if self.note:
            return self.note
        return "no statement allows it"


def _node() -> str:
    beside_python = Path(sys.executable).parent / "node"
    found = str(beside_python) if beside_python.exists() else shutil.which("node")
    if found is None:
        raise SimulatorError("no node on PATH: run `make install` (it puts Node 24 in .venv/bin)")
    if not (_REPO_ROOT / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise SimulatorError("node_modules has no @cloud-copilot/iam-simulate: run `make install`")
    return found


def _statement(entry: dict[str, Any]) -> str:
    sid = entry.get("sid")
    policy = entry.get("policy") or "?"
    return f"{policy}#{sid}" if sid else str(policy)


class Simulator:
    """One Node process that evaluates requests until closed; safe to share between threads."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [_node(), str(_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=_REPO_ROOT,
        )
        self._lock = threading.Lock()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=30)

    def evaluate(self, requests: list[Request]) -> list[Verdict]:
        """The engine's verdict on each request, in order."""
        if not requests:
            return []
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        with self._lock:
            try:
                stdin.write("".join(json.dumps(r.simulation()) + "\n" for r in requests))
                stdin.flush()
                lines = [stdout.readline() for _ in requests]
            except BrokenPipeError:
                lines = []
        if len(lines) != len(requests) or not all(lines):
            stderr = self._process.stderr.read() if self._process.stderr else ""
            raise SimulatorError(f"iam-simulate stopped answering: {stderr.strip()[-500:]}")
        return [_verdict(json.loads(line)) for line in lines]


def _verdict(answer: dict[str, Any]) -> Verdict:
    return Verdict(
        decision=answer["decision"],
        allow=tuple(_statement(s) for s in answer.get("allow", ())),
        deny=tuple(_statement(s) for s in answer.get("deny", ())),
        ignored_context_keys=tuple(answer.get("ignoredContextKeys", ())),
        errors=str(answer.get("errors", "")),
        note=str(answer.get("note", "")),
        raw=answer,
    )


_SHARED: list[Simulator] = []
_SHARED_LOCK = threading.Lock()


def shared_simulator() -> Simulator:
    """One engine per process, started on first use and closed at exit."""
    with _SHARED_LOCK:
        if not _SHARED:
            _SHARED.append(Simulator())
            atexit.register(_SHARED[0].close)
        return _SHARED[0]
