"""Athena's REST-JSON protocol, beside the JSON protocol moto 5.2 answers.

From botocore 1.44.18 on, Athena's service model says ``rest-json``: ``GET /workgroups``,
``POST /query-executions``, ``GET /query-executions/{QueryExecutionId}/results?MaxResults=..``.
moto routes Athena only by ``X-Amz-Target`` (its ``urls.py`` has the single path ``/``), so a
current boto3, AWS CLI or pyathena gets a 404 page. This is the change upstream moto would make:

* ``moto.athena.urls.url_paths`` gets one path per REST route, each dispatching to the same
  ``AthenaResponse.dispatch``;
* a request without ``X-Amz-Target`` is routed by its method and path, and its parameters are
  parsed from the path, the query string and the JSON body, as the REST model places them.

Routing and parsing read the REST model botocore publishes (``data/athena/.../service-2.json.gz``,
copied from botocore 1.44.18's wheel), because the server's own botocore is the project's pin,
which still describes the JSON protocol. moto's own router and rest-json parser do the work.
Responses need nothing: for these operations REST-JSON's body is the JSON protocol's body.

Also added, for both protocols: BatchGetNamedQuery, which moto lacks.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from moto.athena import urls as athena_urls
from moto.athena.responses import AthenaResponse
from moto.core.model import OperationModel, ServiceModel
from moto.core.parse import RestJSONParser
from moto.core.routing import RestRouter
from moto.core.utils import camelcase_to_underscores
from werkzeug.exceptions import NotFound

#: Where the REST model lies: a botocore data path (``<service>/<api version>/service-2.json.gz``),
#: so a test can hand it to a pinned botocore to make that speak REST-JSON too.
DATA_PATH = Path(__file__).parent / "data"
MODEL_FILE = DATA_PATH / "athena" / "2017-05-18" / "service-2.json.gz"

_MARK = "__moto_cfn_models_athena_rest__"
# On an AthenaResponse: (operation, parameters) of a REST-JSON request, None for JSON.
_REST = "_moto_cfn_models_rest_request"
# A label that holds an ARN: botocore percent-encodes its slashes, the server decodes them.
_GREEDY_LABELS = frozenset({"ResourceARN"})


@cache
def rest_model() -> ServiceModel:
    """Athena's REST-JSON service model."""
    with gzip.open(MODEL_FILE, "rt", encoding="utf-8") as model:
        return ServiceModel(json.load(model), service_name="athena")


@cache
def _router() -> RestRouter:
    return RestRouter(rest_model())


def _path_regex(request_uri: str) -> str:
    """moto's url path for a REST route: ``/workgroups/{WorkGroup}`` ->
    ``{0}/workgroups/(?P<WorkGroup>[^/]+)$``."""
    path = request_uri.split("?", 1)[0]

    def label(match: re.Match[str]) -> str:
        name = match.group(1).rstrip("+")
        return f"(?P<{name}>{'.+' if name in _GREEDY_LABELS else '[^/]+'})"

    return "{0}" + re.sub(r"\{([A-Za-z0-9_+]+)\}", label, path) + "$"


def implemented_operations() -> list[str]:
    """The model's operations that AthenaResponse implements (once this module is installed)."""
    model = rest_model()
    return [
        name
        for name in model.operation_names
        if callable(getattr(AthenaResponse, camelcase_to_underscores(name), None))
    ]


def rest_url_paths() -> dict[str, Any]:
    """One moto url path per REST route of an implemented operation."""
    model = rest_model()
    paths: dict[str, Any] = {}
    for name in implemented_operations():
        paths[_path_regex(model.operation_model(name).http["requestUri"])] = AthenaResponse.dispatch
    return paths


def _batch_get_named_query(self: AthenaResponse) -> str:
    found, unprocessed = [], []
    for query_id in self._get_param("NamedQueryIds") or []:
        query = self.athena_backend.get_named_query(query_id)
        if query is None:
            unprocessed.append(
                {
                    "NamedQueryId": query_id,
                    "ErrorCode": "INVALID_INPUT",
                    "ErrorMessage": f"Named query {query_id} was not found",
                }
            )
            continue
        found.append(
            {
                "Name": query.name,
                "Description": query.description,
                "Database": query.database,
                "QueryString": query.query_string,
                "NamedQueryId": query.id,
                "WorkGroup": query.workgroup.name,
            }
        )
    return json.dumps({"NamedQueries": found, "UnprocessedNamedQueryIds": unprocessed})


def install_rest_json() -> None:
    """Serve Athena's REST-JSON routes as well as its JSON protocol. Idempotent."""
    if getattr(AthenaResponse.setup_class, _MARK, False):
        return
    moto_setup_class = AthenaResponse.setup_class
    moto_get_action = AthenaResponse._get_action
    moto_get_param = AthenaResponse._get_param

    def setup_class(self: AthenaResponse, request: Any, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - moto's Request
        setattr(self, _REST, None)
        moto_setup_class(self, request, *args, **kwargs)
        if request.headers.get("X-Amz-Target"):
            return  # the JSON protocol: moto's own routing
        try:
            operation, uri_params = _router().match(request)
        except NotFound:
            return
        self.uri_match = uri_params
        params = RestJSONParser(operation).parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": uri_params,
            }
        )
        setattr(self, _REST, (operation, params))

    def get_action(self: AthenaResponse) -> str:
        rest: tuple[OperationModel, dict[str, Any]] | None = getattr(self, _REST, None)
        return rest[0].name if rest is not None else moto_get_action(self)

    def get_param(self: AthenaResponse, param_name: str, if_none: Any = None) -> Any:  # noqa: ANN401 - moto's
        rest: tuple[OperationModel, dict[str, Any]] | None = getattr(self, _REST, None)
        if rest is not None:
            return rest[1].get(param_name, if_none)
        return moto_get_param(self, param_name, if_none)

    setattr(setup_class, _MARK, True)
    AthenaResponse.setup_class = setup_class  # type: ignore[method-assign,assignment]
    AthenaResponse._get_action = get_action  # type: ignore[method-assign,assignment]
    AthenaResponse._get_param = get_param  # type: ignore[method-assign,assignment]
    AthenaResponse.batch_get_named_query = _batch_get_named_query  # type: ignore[attr-defined]
    # Read when the server builds its Flask app for Athena, and by mock_aws at each request.
    athena_urls.url_paths.update(rest_url_paths())
