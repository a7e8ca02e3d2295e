"""Pieces both event CLIs share: argument types, AWS clients, progress and error reporting."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, TypeVar
from urllib.parse import urlparse

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

N = TypeVar("N", int, float)


def _number_type(
    convert: Callable[[str], N], accepts: Callable[[N], bool], requirement: str
) -> Callable[[str], N]:
    """An argparse `type` that parses a number and says what is wanted when it cannot."""

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text!r}") from None
        if not accepts(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text!r}")
        return value

    return parse


positive_int = _number_type(int, lambda value: value > 0, "a positive integer")
non_negative_int = _number_type(int, lambda value: value >= 0, "an integer, zero or more")
positive_float = _number_type(float, lambda value: 0 < value < float("inf"), "a positive number")
fraction = _number_type(float, lambda value: 0.0 <= value <= 1.0, "a number from 0 to 1")


def aware_timestamp(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO 8601 timestamp such as 2026-11-01T00:00:00Z, got {text!r}"
        ) from None
    if value.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"needs a UTC offset (Z or +hh:mm), got {text!r}")
    return value.astimezone(UTC)


def endpoint_url(text: str) -> str:
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise argparse.ArgumentTypeError(
            f"must be an http(s) URL such as http://localhost:5000, got {text!r}"
        )
    return text


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--endpoint-url",
        type=endpoint_url,
        help="AWS endpoint, e.g. http://localhost:5000 for a local moto server",
    )
    parser.add_argument("--region", help="AWS region (default: the AWS SDK's usual lookup)")


def aws_client(service: str, *, region: str | None, endpoint: str | None) -> BaseClient:
    # Standard retry mode covers transient call-level errors; record-level retries are ours.
    config = Config(retries={"mode": "standard", "max_attempts": 3})
    return boto3.client(service, region_name=region, endpoint_url=endpoint, config=config)


def describe_aws_error(error: BaseException) -> str:
    """One line naming the AWS error code and message, without a traceback."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', 'Unknown')}: {info.get('Message', '') or error}"
    if isinstance(error, BotoCoreError):
        return f"{type(error).__name__}: {error}"
    return f"{type(error).__name__}: {error}"


def fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 1


class Progress:
    """Prints `done/total (pct) rate` to a stream each time `every` more items are done."""

    def __init__(
        self,
        label: str,
        total: int,
        every: int,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total, self.every = label, total, max(1, every)
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self.done = 0
        self._next_report = self.every

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.done >= self._next_report:
            elapsed = max(self.clock() - self.started, 1e-9)
            percent = 100 * self.done / self.total if self.total else 100.0
            print(
                f"[{self.label}] {self.done}/{self.total} records ({percent:.0f}%), "
                f"{self.done / elapsed:.0f} records/s",
                file=self.stream,
                flush=True,
            )
            self._next_report = (self.done // self.every + 1) * self.every
