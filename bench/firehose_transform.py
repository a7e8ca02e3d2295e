"""Throughput of the Firehose transform Lambda, in process, against a pass-through baseline.

    .venv/bin/python bench/firehose_transform.py [--batches 20] [--batch-size 500]

Both handlers get the same realistic batches (generated sessions, 3% malformed by default)
in the same run; each is timed several times, interleaved, and the best round counts. The
baseline decodes and re-encodes each record's base64 and answers Ok, the least any transform
must do, so the ratio is the price of validation, normalisation, logging and metrics.
Logs and EMF output go to /dev/null during timing, as they are not the code under test.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
LAMBDA_DIR = REPO_ROOT / "lambda" / "firehose_transform"
sys.path[:0] = [str(REPO_ROOT), str(LAMBDA_DIR)]

from firehose_contract import transform_batch  # noqa: E402

from tools.event_generator import generate_events  # noqa: E402

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
CONTEXT = SimpleNamespace(
    function_name="bench",
    memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:bench",
    aws_request_id="bench",
)


def load_handler() -> ModuleType:
    os.environ.setdefault("EVENTS_SCHEMA_PATH", str(REPO_ROOT / "lake_schema" / "events.json"))
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "events-transform-bench")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Bench/Events")
    spec = importlib.util.spec_from_file_location(
        "firehose_transform_handler", LAMBDA_DIR / "handler.py"
    )
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {LAMBDA_DIR / 'handler.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def passthrough_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return {
        "records": [
            {
                "recordId": record["recordId"],
                "result": "Ok",
                "data": base64.b64encode(base64.b64decode(record["data"])).decode("ascii"),
            }
            for record in event["records"]
        ]
    }


def build_batches(batches: int, batch_size: int, malformed_rate: float) -> list[dict[str, Any]]:
    events = list(generate_events(batches * batch_size, seed=2026, malformed_rate=malformed_rate))
    result = []
    for start in range(0, len(events), batch_size):
        chunk = events[start : start + batch_size]
        arrival_ms = int(chunk[-1].emitted_at.timestamp() * 1000) + 500
        result.append(
            {
                "invocationId": f"bench-{start}",
                "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/x",
                "region": "us-east-1",
                "records": [
                    {
                        "recordId": f"{start + index:056d}",
                        "approximateArrivalTimestamp": arrival_ms,
                        "data": base64.b64encode(event.payload).decode("ascii"),
                    }
                    for index, event in enumerate(chunk)
                ],
            }
        )
    return result


def records_per_second(handler: Handler, batches: list[dict[str, Any]]) -> float:
    records = sum(len(batch["records"]) for batch in batches)
    started = time.perf_counter()
    for batch in batches:
        handler(batch, CONTEXT)
    return records / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--malformed-rate", type=float, default=0.03)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    handler_module = load_handler()
    batches = build_batches(args.batches, args.batch_size, args.malformed_rate)

    def core_only(event: dict[str, Any], context: object) -> dict[str, Any]:
        return transform_batch(event, normaliser=handler_module.NORMALISER).response

    candidates: dict[str, Handler] = {
        "baseline (pass-through)": passthrough_handler,
        "transform core (no logs/metrics)": core_only,
        "handler (Powertools logs + EMF)": handler_module.lambda_handler,
    }
    best = dict.fromkeys(candidates, 0.0)
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        handler_module.logger.registered_handler.setStream(devnull)
        for _ in range(args.rounds):
            for name, handler in candidates.items():
                best[name] = max(best[name], records_per_second(handler, batches))

    failed = sum(
        record["result"] != "Ok"
        for batch in batches
        for record in core_only(batch, CONTEXT)["records"]
    )
    total = args.batches * args.batch_size
    print(
        f"{args.batches} batches x {args.batch_size} records, {failed / total:.1%} rejected, "
        f"best of {args.rounds} rounds, Python {sys.version.split()[0]}"
    )
    baseline = best["baseline (pass-through)"]
    for name, rate in best.items():
        print(f"  {name:<36} {rate:>10,.0f} records/s   {rate / baseline:6.3f}x baseline")


if __name__ == "__main__":
    main()
