"""InvokeEndpoint on the emulator, served by the model's own serving code, with data capture.

moto's sagemaker-runtime answers InvokeEndpoint with canned bodies. `install()` replaces that
(idempotently, like moto_cfn_models/_patches.py) with what the SageMaker XGBoost container does
for a script-mode model: the endpoint's config names the variant's model; the model's container
names the artifact (ModelDataUrl, or that of its model package) and SAGEMAKER_PROGRAM /
SAGEMAKER_SUBMIT_DIRECTORY (/opt/ml/model/code: the code packaged inside model.tar.gz). The
artifact is read from the emulated S3 and unpacked, the program is imported with its sibling
modules, and each request goes through its model_fn (once), input_fn, predict_fn and output_fn.

A serving error with a status (InferenceRequestError: 400, 406, 415) comes back as SageMaker's
ModelError (HTTP 424) with OriginalStatusCode and OriginalMessage, as AWS returns it.

Data capture follows the endpoint config's DataCaptureConfig: each sampled request and its
response go to `<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/` as one JSON Lines record
in SageMaker's capture format (CSV/JSON payloads inline when their content type is listed in
CaptureContentTypeHeader, else base64), KMS-encrypted with its KmsKeyId. Sampling is
deterministic: with P percent, request n is captured when floor(n*P/100) steps up, so exactly
P of every 100 requests are captured, evenly spread.
"""

from __future__ import annotations

import base64
import json
import tarfile
import tempfile
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from local_deploy.archives import extract_data

_MARK = "_local_endpoint_installed"
CONTAINER_MODEL_DIR = "/opt/ml/model"
DEFAULT_PROGRAM = "inference.py"


class EndpointInvocationError(Exception):
    """InvokeEndpoint fails; `code` and `status` are the API error's."""

    def __init__(
        self, code: str, status: int, message: str, original_status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.original_status = original_status


@dataclass
class LoadedModel:
    module: ModuleType
    model: Any
    directory: Path


_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str], LoadedModel] = {}
_COUNTERS: dict[str, int] = {}


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _container(sagemaker: Any, endpoint_name: str) -> tuple[dict[str, Any], str, Any]:  # noqa: ANN401
    """(model container, variant name, endpoint config) behind an endpoint."""
    endpoint = sagemaker.endpoints.get(endpoint_name)
    if endpoint is None:
        raise EndpointInvocationError(
            "ValidationError",
            400,
            f"Endpoint {endpoint_name} of account {sagemaker.account_id} not found.",
        )
    if endpoint.endpoint_status != "InService":
        raise EndpointInvocationError(
            "ValidationError", 400, f"Endpoint {endpoint_name} is {endpoint.endpoint_status}."
        )
    config = sagemaker.endpoint_configs[endpoint.endpoint_config_name]
    variant = config.production_variants[0]
    model = sagemaker._models.get(variant["ModelName"])
    if model is None:
        raise EndpointInvocationError(
            "ModelError", 424, f"model {variant['ModelName']} of endpoint {endpoint_name} is gone"
        )
    container = dict(model.primary_container or (model.containers or [{}])[0])
    if "ModelDataUrl" not in container and container.get("ModelPackageName"):
        package = sagemaker.describe_model_package(container["ModelPackageName"])
        spec = package.inference_specification["Containers"][0]
        container = {**spec, **container, "ModelDataUrl": spec["ModelDataUrl"]}
    if "ModelDataUrl" not in container:
        raise EndpointInvocationError(
            "ModelError", 424, f"model {variant['ModelName']} has no ModelDataUrl to serve"
        )
    return container, variant["VariantName"], config


def _load(s3: Any, container: Mapping[str, Any]) -> LoadedModel:  # noqa: ANN401 - moto's S3
    from local_deploy.lambda_code import _import_isolated  # noqa: PLC0415

    url = container["ModelDataUrl"]
    bucket, key = _split_s3(url)
    try:
        stored = s3.get_object(bucket, key)
    except Exception as error:
        raise EndpointInvocationError(
            "ModelError", 424, f"model artifact {url} cannot be read: {error}"
        ) from error
    if stored is None:
        raise EndpointInvocationError("ModelError", 424, f"model artifact {url} does not exist")
    cache_key = (url, stored.etag)
    if cache_key in _MODELS:
        return _MODELS[cache_key]
    directory = Path(tempfile.mkdtemp(prefix="endpoint-model-"))
    archive = directory / "model.tar.gz"
    archive.write_bytes(stored.value)
    with tarfile.open(archive, "r:gz") as bundle:
        extract_data(bundle, directory)
    environment = container.get("Environment") or {}
    program = environment.get("SAGEMAKER_PROGRAM", DEFAULT_PROGRAM)
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", f"{CONTAINER_MODEL_DIR}/code")
    if not submit.startswith(CONTAINER_MODEL_DIR):
        raise EndpointInvocationError(
            "ModelError",
            424,
            f"SAGEMAKER_SUBMIT_DIRECTORY {submit} is not inside {CONTAINER_MODEL_DIR}; the local "
            "endpoint serves only code packaged with the model",
        )
    code = directory / submit.removeprefix(CONTAINER_MODEL_DIR).lstrip("/")
    if not (code / program).is_file():
        raise EndpointInvocationError(
            "ModelError", 424, f"{url} holds no {submit}/{program} to serve the model with"
        )
    module = _import_isolated(code, Path(program).stem)
    for function in ("model_fn", "input_fn", "predict_fn", "output_fn"):
        if not callable(getattr(module, function, None)):
            raise EndpointInvocationError("ModelError", 424, f"{program} has no {function}()")
    loaded = LoadedModel(module=module, model=module.model_fn(str(directory)), directory=directory)
    _MODELS[cache_key] = loaded
    return loaded


def _sampled(counter: str, percentage: int) -> bool:
    count = _COUNTERS.get(counter, 0) + 1
    _COUNTERS[counter] = count
    return (count * percentage) // 100 != ((count - 1) * percentage) // 100


def _encoded(body: bytes, content_type: str, headers: Mapping[str, Any]) -> dict[str, str]:
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media in (headers.get("CsvContentTypes") or []):
        return {"observedContentType": content_type, "data": body.decode(), "encoding": "CSV"}
    if media in (headers.get("JsonContentTypes") or []):
        return {"observedContentType": content_type, "data": body.decode(), "encoding": "JSON"}
    encoded = base64.b64encode(body).decode()
    return {"observedContentType": content_type, "data": encoded, "encoding": "BASE64"}


def capture(
    s3: Any,  # noqa: ANN401 - moto's S3 backend
    config: Any,  # noqa: ANN401 - moto's FakeEndpointConfig
    *,
    endpoint_name: str,
    variant: str,
    request: tuple[bytes, str],
    response: tuple[bytes, str],
) -> str | None:
    """Write one capture record if the config captures this request; return its S3 URI."""
    from moto.core.utils import utcnow  # noqa: PLC0415

    settings = config.data_capture_config or {}
    if not settings.get("EnableCapture"):
        return None
    # Counted per endpoint config: a new deployment starts its own sampling sequence.
    counter = f"{endpoint_name}/{config.endpoint_config_name}"
    if not _sampled(counter, int(settings.get("InitialSamplingPercentage", 0))):
        return None
    modes = {o.get("CaptureMode") for o in settings.get("CaptureOptions", [])}
    headers = settings.get("CaptureContentTypeHeader") or {}
    data: dict[str, Any] = {}
    if "Input" in modes:
        data["endpointInput"] = {"mode": "INPUT", **_encoded(*request, headers)}
    if "Output" in modes:
        data["endpointOutput"] = {"mode": "OUTPUT", **_encoded(*response, headers)}
    now = utcnow()
    record = {
        "captureData": data,
        "eventMetadata": {
            "eventId": str(uuid.uuid4()),
            "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        },
        "eventVersion": "0",
    }
    bucket, prefix = _split_s3(settings["DestinationS3Uri"])
    key = "/".join(
        part
        for part in (
            prefix.rstrip("/"),
            endpoint_name,
            variant,
            now.strftime("%Y/%m/%d/%H"),
            f"{now.strftime('%M-%S')}-{now.microsecond // 1000:03d}-{uuid.uuid4().hex[:8]}.jsonl",
        )
        if part
    )
    kms = settings.get("KmsKeyId")
    s3.put_object(
        bucket,
        key,
        (json.dumps(record) + "\n").encode(),
        encryption="aws:kms" if kms else None,
        kms_key_id=kms,
    )
    return f"s3://{bucket}/{key}"


def invoke(
    sagemaker: Any,  # noqa: ANN401 - moto's SageMakerModelBackend
    s3: Any,  # noqa: ANN401 - moto's S3Backend
    endpoint_name: str,
    *,
    body: bytes,
    content_type: str,
    accept: str | None,
) -> tuple[bytes, str, str]:
    """(response body, content type, variant) for one request; EndpointInvocationError else."""
    with _LOCK:
        container, variant, config = _container(sagemaker, endpoint_name)
        loaded = _load(s3, container)
        module = loaded.module
        try:
            features = module.input_fn(body, content_type)
            prediction = module.predict_fn(features, loaded.model)
            encoded = module.output_fn(prediction, accept)
        except Exception as error:
            status = int(getattr(error, "status_code", 500))
            raise EndpointInvocationError(
                "ModelError",
                424,
                f'Received client error ({status}) from primary with message "{error}"',
                original_status=status,
            ) from error
        payload, response_type = encoded if isinstance(encoded, tuple) else (encoded, accept)
        payload_bytes = payload.encode() if isinstance(payload, str) else bytes(payload)
        response_type = response_type or "application/json"
        capture(
            s3,
            config,
            endpoint_name=endpoint_name,
            variant=variant,
            request=(body, content_type),
            response=(payload_bytes, response_type),
        )
        return payload_bytes, response_type, variant


def install() -> None:
    """Patch moto's sagemaker-runtime InvokeEndpoint (once)."""
    from moto.s3.models import s3_backends  # noqa: PLC0415
    from moto.sagemaker.models import sagemaker_backends  # noqa: PLC0415
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse  # noqa: PLC0415
    from moto.utilities.utils import get_partition  # noqa: PLC0415

    if getattr(SageMakerRuntimeResponse, _MARK, False):
        return

    def invoke_endpoint(self: SageMakerRuntimeResponse) -> tuple[int, dict[str, str], Any]:
        endpoint_name = self.path.split("/")[2]
        body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
        sagemaker = sagemaker_backends[self.current_account][self.region]
        s3 = s3_backends[self.current_account][get_partition(self.region)]
        try:
            payload, content_type, variant = invoke(
                sagemaker,
                s3,
                endpoint_name,
                body=body,
                content_type=self.headers.get("Content-Type") or "application/octet-stream",
                accept=self.headers.get("Accept"),
            )
        except EndpointInvocationError as error:
            document: dict[str, Any] = {"__type": error.code, "message": str(error)}
            if error.original_status is not None:
                document["OriginalStatusCode"] = error.original_status
                document["OriginalMessage"] = str(error)
            headers = {
                "Content-Type": "application/json",
                "x-amzn-ErrorType": error.code,
                "status": str(error.status),  # moto's dispatcher takes the status from here
            }
            return error.status, headers, json.dumps(document)
        headers = {"Content-Type": content_type, "x-Amzn-Invoked-Production-Variant": variant}
        return 200, headers, payload

    SageMakerRuntimeResponse.invoke_endpoint = invoke_endpoint  # type: ignore[method-assign]
    setattr(SageMakerRuntimeResponse, _MARK, True)
