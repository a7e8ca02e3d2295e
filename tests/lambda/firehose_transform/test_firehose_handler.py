"""The Lambda entry point: the response, structured logs and EMF metrics per batch."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from firehose_contract import MalformedEventError

from tests.events_testkit import as_json, firehose_event, valid_event


@pytest.fixture
def log_stream(handler_module: ModuleType) -> Iterator[io.StringIO]:
    """Points the handler's Powertools logger at a private stream for one test."""
    stream = io.StringIO()
    previous = handler_module.logger.registered_handler.setStream(stream)
    yield stream
    handler_module.logger.registered_handler.setStream(previous)


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def invoke(
    handler_module: ModuleType, context: SimpleNamespace, event: Any, stream: io.StringIO
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    response = handler_module.lambda_handler(event, context)
    return response, log_lines(stream)


def test_handler_logs_each_rejection_and_one_summary(
    handler_module: ModuleType,
    lambda_context: SimpleNamespace,
    log_stream: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = firehose_event(
        [as_json(valid_event()), "{", as_json(valid_event(country="USA")), "[]"],
        source="kinesis",
    )
    response, logs = invoke(handler_module, lambda_context, event, log_stream)

    assert [r["result"] for r in response["records"]] == [
        "Ok", "ProcessingFailed", "ProcessingFailed", "ProcessingFailed",
    ]  # fmt: skip
    rejected = [line for line in logs if line["message"] == "record rejected"]
    assert [(line["record_id"], line["reason"]) for line in rejected] == [
        (event["records"][1]["recordId"], "invalid_json"),
        (event["records"][2]["recordId"], "invalid_value"),
        (event["records"][3]["recordId"], "not_an_object"),
    ]
    assert all(line["level"] == "WARNING" for line in rejected)
    assert "country" in rejected[1]["detail"]

    [summary] = [line for line in logs if line["message"] == "batch transformed"]
    assert summary["service"] == "events-transform-test"
    assert summary["function_request_id"] == lambda_context.aws_request_id
    assert summary["invocation_id"] == "invocation-1"
    assert (summary["records"], summary["ok"], summary["failed"]) == (4, 1, 3)
    assert summary["failed_by_reason"] == {
        "invalid_json": 1,
        "invalid_value": 1,
        "not_an_object": 1,
    }

    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert len(emf) == 1, "one EMF document per batch"
    metrics = emf[0]
    assert metrics["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Test/Events"
    assert metrics["RecordsIn"] == [4.0]
    assert metrics["RecordsOk"] == [1.0]
    assert metrics["RecordsFailed"] == [3.0]
    assert metrics["RecordsFailed.invalid_json"] == [1.0]


def test_empty_batch_is_answered_and_summarised(
    handler_module: ModuleType,
    lambda_context: SimpleNamespace,
    log_stream: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    response, logs = invoke(handler_module, lambda_context, firehose_event([]), log_stream)
    assert response == {"records": []}
    [summary] = [line for line in logs if line["message"] == "batch transformed"]
    assert (summary["records"], summary["ok"], summary["failed"]) == (0, 0, 0)
    capsys.readouterr()


def test_event_without_records_raises_and_is_logged(
    handler_module: ModuleType,
    lambda_context: SimpleNamespace,
    log_stream: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(MalformedEventError, match="no 'records' list"):
        handler_module.lambda_handler({"invocationId": "x"}, lambda_context)
    [error] = log_lines(log_stream)
    assert error["level"] == "ERROR"
    assert "records" in error["error"]
    [emf] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert emf["MalformedInvocations"] == [1.0]
