"""Where things live inside the lake's zone buckets: the one place every stack takes its prefixes
from, so the Firehose destination, the crawler, the ETL job, the table locations and the ML
pipeline cannot drift apart.

Plain strings and no CDK imports: the streaming stack, the ML stack, the smoke checks and the
tools can all import this cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

PARTITION_KEY = "dt"


@dataclass(frozen=True)
class LakeLayout:
    """Key prefixes (each ends with `/`, none starts with one) and the bucket each one lives in."""

    #: raw zone: Parquet written by Firehose, `events/dt=YYYY-MM-DD/`.
    events: str = "events/"
    #: raw zone: records Firehose could not convert or the transform Lambda rejected.
    errors: str = "errors/"
    #: raw zone: JSON lines (gzip) delivered outside the stream; crawled into `landing_*` tables.
    landing_events: str = "landing/events/"
    #: curated zone: rows the ETL job refused, with the reason, `quarantine/events/dt=.../`.
    quarantine_events: str = "quarantine/events/"
    #: analytics zone: everything exported for model training.
    training: str = "training/"
    #: analytics zone: the session-level training dataset, one `run=<id>/` folder per export.
    training_events: str = "training/events/"

    @staticmethod
    def partition(prefix: str, day: date) -> str:
        """`events/` and 2026-11-20 -> `events/dt=2026-11-20/`."""
        return f"{prefix}{PARTITION_KEY}={day.isoformat()}/"

    def training_run(self, run_id: str) -> str:
        """The folder one training export writes to; Athena's UNLOAD needs it to be empty."""
        if not run_id or "/" in run_id or run_id.strip() != run_id:
            raise ValueError(f"training run id {run_id!r} must be non-empty, without '/' or spaces")
        return f"{self.training_events}run={run_id}/"


LAKE_LAYOUT = LakeLayout()
