"""STAND-IN: the two account-quota APIs that moto 5.2.5 lacks, so `make preflight` can ask them.

Not a CloudFormation handler: a small patch shaped like an upstream moto change, kept here with
the project's other moto patches. What it answers, and where each value comes from:

- Lambda ``GetAccountSettings`` (moto has no route for it). ``ConcurrentExecutions`` is the
  quota moto itself enforces in ``put_function_concurrency``: ``MOTO_LAMBDA_CONCURRENCY_QUOTA``,
  or AWS's default of 1000 when that is unset (moto then enforces none). Its
  ``UnreservedConcurrentExecutions`` is that quota less the reservations of moto's functions.
- Service Quotas ``ListServiceQuotas`` (moto has only ``ListAWSDefaultServiceQuotas``, and that
  for ``vpc`` alone). It lists the *applied* values that :func:`set_applied_quota` put there,
  and nothing else: the emulator has no account whose quotas it could know. ``GetServiceQuota``
  answers those too, then falls back to moto's own defaults.

Every value here is one that a test (or a user of the emulator) set, never one that looks like
an answer from AWS. Call :func:`install` once per process, before the moto server starts.
"""

from __future__ import annotations

import json
import os
from typing import Any

from moto.awslambda import urls as lambda_urls
from moto.awslambda.models import lambda_backends
from moto.awslambda.responses import LambdaResponse
from moto.servicequotas.models import ServiceQuotasBackend
from moto.servicequotas.responses import ServiceQuotasResponse

#: AWS's default Lambda concurrency quota; moto's own docstring uses it too.
DEFAULT_LAMBDA_CONCURRENCY = 1000
_ACCOUNT_SETTINGS_PATH = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
_MARK = "__account_quotas_stand_in__"
# (account, region) -> service code -> quota code -> the quota, as ListServiceQuotas shows it.
_APPLIED: dict[tuple[str, str], dict[str, dict[str, dict[str, Any]]]] = {}


def set_applied_quota(
    account_id: str,
    region: str,
    service_code: str,
    *,
    quota_code: str,
    quota_name: str,
    value: float,
) -> None:
    """Make the emulator's Service Quotas list `quota_name` (`quota_code`) at `value`."""
    _APPLIED.setdefault((account_id, region), {}).setdefault(service_code, {})[quota_code] = {
        "ServiceCode": service_code,
        "ServiceName": service_code,
        "QuotaArn": f"arn:aws:servicequotas:{region}:{account_id}:{service_code}/{quota_code}",
        "QuotaCode": quota_code,
        "QuotaName": quota_name,
        "Value": float(value),
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def clear_applied_quotas() -> None:
    """Forget every quota :func:`set_applied_quota` set (tests call it between cases)."""
    _APPLIED.clear()


def _lambda_concurrency_quota() -> int:
    quota = os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA")
    return int(quota) if quota is not None else DEFAULT_LAMBDA_CONCURRENCY


def get_account_settings(self: LambdaResponse) -> tuple[int, dict[str, str], str]:
    backend = lambda_backends[self.current_account][self.region]
    functions = list(backend.list_functions())
    reserved = sum(int(fn.reserved_concurrency or 0) for fn in functions)
    quota = _lambda_concurrency_quota()
    body = {
        "AccountLimit": {
            "TotalCodeSize": 80_530_636_800,
            "CodeSizeUnzipped": 262_144_000,
            "CodeSizeZipped": 52_428_800,
            "ConcurrentExecutions": quota,
            "UnreservedConcurrentExecutions": quota - reserved,
        },
        "AccountUsage": {
            "TotalCodeSize": sum(int(fn.code_size or 0) for fn in functions),
            "FunctionCount": len(functions),
        },
    }
    return 200, {}, json.dumps(body)


def list_service_quotas(self: ServiceQuotasResponse) -> str:
    service_code = str(json.loads(self.body).get("ServiceCode"))
    applied = _APPLIED.get((self.current_account, self.region), {}).get(service_code, {})
    return json.dumps({"Quotas": list(applied.values())})


def _get_service_quota(moto_get: Any) -> Any:  # noqa: ANN401 - wraps moto's untyped method
    def get_service_quota(
        self: ServiceQuotasBackend, service_code: str, quota_code: str
    ) -> dict[str, Any]:
        applied = _APPLIED.get((self.account_id, self.region_name), {}).get(service_code, {})
        if quota_code in applied:
            return applied[quota_code]
        result: dict[str, Any] = moto_get(self, service_code, quota_code)
        return result

    return get_service_quota


def install() -> None:
    """Add the two APIs to moto (idempotent). Before the server starts: routes are read then."""
    if getattr(LambdaResponse, _MARK, False):
        return
    lambda_urls.url_paths[_ACCOUNT_SETTINGS_PATH] = LambdaResponse.dispatch
    LambdaResponse.get_account_settings = get_account_settings  # type: ignore[attr-defined]
    ServiceQuotasResponse.list_service_quotas = list_service_quotas  # type: ignore[attr-defined]
    ServiceQuotasBackend.get_service_quota = _get_service_quota(  # type: ignore[method-assign]
        ServiceQuotasBackend.get_service_quota
    )
    setattr(LambdaResponse, _MARK, True)
