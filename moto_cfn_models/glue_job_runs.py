"""Glue job runs whose outcome is reported by a local runner, instead of moto's fiction.

moto's ``StartJobRun`` records a run that advances STARTING -> RUNNING -> SUCCEEDED as it is
polled, with ``ExecutionTime`` 123 and ``CompletedOn`` equal to ``StartedOn``, whether or not
anything ran. ``local_deploy.glue_job_run`` really runs the job's script, so it reports what
happened through one route added to moto's own API (as moto's ``/moto-api/static/...`` routes
set canned results)::

    POST /moto-api/glue/job-run-state
    {"account_id", "region", "job_name", "run_id", "state": "RUNNING" | "SUCCEEDED" | "FAILED",
     "started_on", "completed_on" (ISO-8601, the runner's clock), "error_message"}

Once a run has a reported state it stops advancing on its own, and ``GetJobRun(s)`` answer
with the reported state, times, ``ExecutionTime`` (whole seconds, as Glue reports it) and
``ErrorMessage``, and the job's own GlueVersion. Runs nobody reports on keep moto's behaviour.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.glue.models import FakeJobRun, glue_backends
from moto.moto_api._internal import urls as moto_api_urls
from moto.moto_api._internal.managed_state_model import ManagedState

ROUTE = "/moto-api/glue/job-run-state"
STATES = frozenset({"RUNNING", "SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"})
_REPORT = "_local_report"


def _status(self: FakeJobRun) -> str | None:
    report = getattr(self, _REPORT, None)
    if report is not None:
        return report["state"]
    return ManagedState.status.fget(self)  # type: ignore[attr-defined]


def _as_dict(moto_as_dict: Any) -> Any:  # noqa: ANN401 - wraps moto's untyped method
    def as_dict(self: FakeJobRun) -> dict[str, Any]:
        result = moto_as_dict(self)
        report = getattr(self, _REPORT, None)
        if report is None:
            return result
        result["JobRunState"] = report["state"]
        result["StartedOn"] = report["started_on"]
        result["LastModifiedOn"] = report["completed_on"] or report["started_on"]
        if report["completed_on"] is not None:
            result["CompletedOn"] = report["completed_on"]
            seconds = (report["completed_on"] - report["started_on"]).total_seconds()
            result["ExecutionTime"] = max(0, round(seconds))
        else:
            result.pop("CompletedOn", None)
            result.pop("ExecutionTime", None)
        if report["error_message"]:
            result["ErrorMessage"] = report["error_message"]
        if report["glue_version"]:
            result["GlueVersion"] = report["glue_version"]
        return result

    as_dict.__wrapped_moto__ = True  # type: ignore[attr-defined]
    return as_dict


def report_job_run_state(body: dict[str, Any]) -> None:
    """Store a runner's report on a run; raises ValueError naming what is wrong."""
    state = body.get("state")
    if state not in STATES:
        raise ValueError(f"state {state!r} is not one of {sorted(STATES)}")
    backend = glue_backends[body.get("account_id", DEFAULT_ACCOUNT_ID)][
        body.get("region", "us-east-1")
    ]
    job = backend.get_job(body["job_name"])
    run = job.get_job_run(body["run_id"])
    completed = body.get("completed_on")
    if state != "RUNNING" and not completed:
        raise ValueError(f"a {state} run needs completed_on")
    setattr(
        run,
        _REPORT,
        {
            "state": state,
            "started_on": datetime.fromisoformat(body["started_on"]),
            "completed_on": datetime.fromisoformat(completed) if completed else None,
            "error_message": body.get("error_message") or "",
            "glue_version": job.glue_version,
        },
    )


def _report_response(request: Any, full_url: str, headers: Any) -> tuple[int, dict, str]:  # noqa: ANN401
    raw = request.data if hasattr(request, "data") else request.body
    try:
        report_job_run_state(json.loads(raw or b"{}"))
    except (ValueError, KeyError) as error:  # moto's not-found errors are KeyError-free
        return 400, {}, json.dumps({"error": str(error)})
    except Exception as error:
        return 404, {}, json.dumps({"error": f"{type(error).__name__}: {error}"})
    return 200, {}, "{}"


def install_job_run_reports() -> None:
    """Add the route and make reported runs answer truthfully. Idempotent."""
    if getattr(FakeJobRun.as_dict, "__wrapped_moto__", False):
        return
    FakeJobRun.status = property(_status, ManagedState.status.fset)  # type: ignore[assignment,attr-defined]
    FakeJobRun.as_dict = _as_dict(FakeJobRun.as_dict)  # type: ignore[method-assign]
    moto_api_urls.url_paths["{0}" + ROUTE] = _report_response
