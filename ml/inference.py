"""Serving functions the SageMaker XGBoost container calls (SAGEMAKER_PROGRAM=inference.py).

Requests: ``text/csv`` (one row of feature values per line, no header, no label; an empty field
is a missing value) or ``application/json`` (``{"instances": [[...], ...]}``, instances may also
be objects keyed by feature name, or a bare list of rows). Responses: ``application/json``
(``{"classes": [...], "predictions": [{"label": l, "probabilities": [...]}]}``) or ``text/csv``
(one line per row: the predicted label, then one probability per class in ``classes`` order).
Bad requests raise InferenceRequestError, a ValueError carrying an HTTP 4xx status that the
container's sagemaker-inference toolkit returns to the caller instead of a 500.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import model_io
import numpy as np
from device import choose_device
from structured_log import log_event

CSV = "text/csv"
JSON = "application/json"
CONTENT_TYPES = (CSV, JSON)

try:  # inside the container, errors of this type become the HTTP status they carry
    from sagemaker_inference.errors import GenericInferenceToolkitError as _ToolkitError
except ImportError:  # local runs and tests

    class _ToolkitError(Exception):  # type: ignore[no-redef]
        def __init__(self, status_code: int, message: str, phrase: str | None = None) -> None:
            super().__init__(message)
            self.status_code = status_code
            self.message = message
            self.phrase = phrase or message


class InferenceRequestError(_ToolkitError, ValueError):
    """A client error: unsupported media type (415/406) or a malformed payload (400)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(status_code, message, message)


def _media_type(header: str | None, default: str) -> str:
    # "text/csv; charset=utf-8" -> "text/csv"; absent or */* -> the default.
    value = (header or "").split(";")[0].strip().lower()
    return default if value in ("", "*/*") else value


def model_fn(model_dir: str) -> model_io.TrainedModel:
    model = model_io.load(Path(model_dir))
    choice = choose_device("auto")
    if choice.device == "cuda":
        model.booster.set_param({"device": "cuda"})
    log_event("model_loaded", device=choice.device, reason=choice.reason, **_summary(model))
    _loaded["model"] = model
    return model


def _summary(model: model_io.TrainedModel) -> dict[str, Any]:
    return {"features": len(model.feature_names), "classes": len(model.classes)}


def _number(value: object, where: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InferenceRequestError(400, f"{where}: expected a number, got {value!r}")
    if isinstance(value, str):
        if value.strip() == "":
            return math.nan
        try:
            return float(value)
        except ValueError:
            raise InferenceRequestError(400, f"{where}: {value!r} is not a number") from None
    return float(value)


# The container loads one model per worker process and calls input_fn without it; model_fn
# remembers it here so input_fn can check the feature count and resolve feature names.
_loaded: dict[str, model_io.TrainedModel] = {}


def _rectangular(rows: list[list[float]], expected: int | None) -> np.ndarray:
    if not rows:
        raise InferenceRequestError(400, "request holds no rows")
    width = expected if expected is not None else len(rows[0])
    for index, row in enumerate(rows, start=1):
        if len(row) != width:
            raise InferenceRequestError(
                400, f"row {index} has {len(row)} values, the model expects {width} features"
            )
    return np.asarray(rows, dtype=np.float32)


def _parse_csv(text: str, names: list[str] | None) -> np.ndarray:
    rows = []
    for line_number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields or (len(fields) == 1 and fields[0].strip() == ""):
            continue  # blank line
        rows.append([_number(f, f"line {line_number}, field {i}") for i, f in enumerate(fields, 1)])
    return _rectangular(rows, len(names) if names is not None else None)


def _parse_json(text: str, names: list[str] | None) -> np.ndarray:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise InferenceRequestError(400, f"body is not valid JSON: {error}") from None
    instances = payload.get("instances") if isinstance(payload, dict) else payload
    if not isinstance(instances, list):
        raise InferenceRequestError(
            400, 'expected {"instances": [...]} or a list of rows in the JSON body'
        )
    if instances and not isinstance(instances[0], (list, dict)):
        instances = [instances]  # a single flat row
    rows = []
    for index, instance in enumerate(instances, start=1):
        where = f"instance {index}"
        if isinstance(instance, dict):
            if names is None:
                raise RuntimeError("feature names unknown: model_fn has not loaded a model")
            missing = [n for n in names if n not in instance]
            extra = sorted(set(instance) - set(names))
            if missing or extra:
                raise InferenceRequestError(
                    400, f"{where}: missing features {missing[:10]}, unknown features {extra[:10]}"
                )
            rows.append([_number(instance[n], f"{where}, feature {n!r}") for n in names])
        elif isinstance(instance, list):
            rows.append([_number(v, f"{where}, value {i}") for i, v in enumerate(instance, 1)])
        else:
            raise InferenceRequestError(400, f"{where}: expected a list or an object")
    return _rectangular(rows, len(names) if names is not None else None)


def input_fn(
    request_body: str | bytes,
    request_content_type: str,
    model: model_io.TrainedModel | None = None,
) -> np.ndarray:
    """Decode a request into a float32 matrix of shape (rows, features)."""
    media_type = _media_type(request_content_type, CSV)
    if media_type not in CONTENT_TYPES:
        raise InferenceRequestError(
            415,
            f"unsupported content type {request_content_type!r}; use {' or '.join(CONTENT_TYPES)}",
        )
    if isinstance(request_body, (bytes, bytearray)):
        try:
            request_body = request_body.decode("utf-8")
        except UnicodeDecodeError:
            raise InferenceRequestError(400, "request body is not UTF-8 text") from None
    model = model if model is not None else _loaded.get("model")
    names = model.feature_names if model is not None else None
    parse = _parse_csv if media_type == CSV else _parse_json
    return parse(request_body, names)


def predict_fn(input_data: np.ndarray, model: model_io.TrainedModel) -> dict[str, np.ndarray]:
    expected = len(model.feature_names)
    if input_data.ndim != 2 or input_data.shape[1] != expected:
        raise InferenceRequestError(
            400, f"rows have {input_data.shape[-1]} values, the model expects {expected} features"
        )
    probabilities = model_io.predict_proba(model, input_data)
    return {
        "classes": model.classes,
        "labels": model_io.predict_labels(model, probabilities),
        "probabilities": probabilities,
    }


def output_fn(prediction: dict, accept: str | None) -> tuple[str, str]:
    """Encode predictions; returns (body, content type) as the toolkit accepts."""
    media_type = _media_type(accept, JSON)
    labels = [int(v) for v in prediction["labels"]]
    probabilities = np.asarray(prediction["probabilities"], dtype=np.float64)
    if media_type == JSON:
        body = {
            "classes": [int(c) for c in prediction["classes"]],
            "predictions": [
                {"label": label, "probabilities": [round(float(p), 7) for p in row]}
                for label, row in zip(labels, probabilities, strict=True)
            ],
        }
        return json.dumps(body), JSON
    if media_type == CSV:
        lines = [
            ",".join([str(label), *(f"{p:.7g}" for p in row)])
            for label, row in zip(labels, probabilities, strict=True)
        ]
        return "\n".join(lines) + "\n", CSV
    raise InferenceRequestError(
        406, f"unsupported accept type {accept!r}; use {' or '.join(CONTENT_TYPES)}"
    )
