"""One-line JSON log events, so CloudWatch Logs Insights can filter on fields."""

from __future__ import annotations

import json
import sys


def log_event(event: str, **fields: object) -> None:
    """Print ``{"event": event, **fields}`` as one JSON line on stdout."""
    print(json.dumps({"event": event, **fields}, default=str, sort_keys=False), flush=True)


def fail(message: str, exit_code: int = 2) -> None:
    """Exit with one line naming what is wrong, without a traceback."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(exit_code)
