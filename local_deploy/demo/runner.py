"""Run the stages in order, time them, and keep their own output out of the display.

The pieces the stages reuse print a lot (the CDK CLI, the smoke checks, Spark's JVM): it goes
to a log file, at the file-descriptor level so that child processes' output goes there too,
and the display keeps the terminal for progress and the summary.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from local_deploy.demo.display import Display, StageRow
from local_deploy.demo.stages import STAGES, DemoState, StageFailedError


@dataclass(frozen=True)
class DemoOutcome:
    """How the run ended: the summary's rows and, when a stage failed, which and why."""

    rows: list[StageRow]
    seconds: float
    failed_stage: str = ""
    reason: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.failed_stage else 0


@contextlib.contextmanager
def output_to(log_file: Path) -> Iterator[None]:
    """Point file descriptors 1 and 2 (this process's and its children's) at ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with log_file.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def terminal_stream() -> IO[str]:
    """A text stream on a copy of stdout's descriptor, so the display still reaches the
    terminal while descriptor 1 points at the log."""
    sys.stdout.flush()
    return os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")


def run(state: DemoState, display: Display, log_file: Path) -> DemoOutcome:
    """Every stage in order until one fails; the rest are shown as not run."""
    started = time.monotonic()
    rows: list[StageRow] = []
    failed_stage = reason = ""
    total = len(STAGES)
    display.message(f"The stages' own output goes to {log_file}")
    state.log = lambda text: print(text, flush=True)  # into the log while a stage runs
    for number, (name, stage) in enumerate(STAGES, start=1):
        if failed_stage:
            rows.append(StageRow(number, name, "not run", None, ""))
            continue
        display.start(number, total, name)
        stage_started = time.monotonic()
        detail = ""
        with output_to(log_file):
            print(f"\n===== [{number}/{total}] {name} =====", flush=True)
            try:
                detail = stage(state)
                print(f"===== {name}: {detail}", flush=True)
            except StageFailedError as error:
                failed_stage, reason = name, str(error)
            except Exception as error:  # any failure ends the demo, at its stage
                traceback.print_exc()
                failed_stage, reason = name, f"{type(error).__name__}: {error}"
            if failed_stage:
                print(f"===== {name} FAILED: {reason}", flush=True)
        row = StageRow(
            number,
            name,
            "FAILED" if failed_stage else "ok",
            time.monotonic() - stage_started,
            reason.splitlines()[0] if failed_stage and reason else detail,
        )
        rows.append(row)
        display.finish(row, total)
    seconds = time.monotonic() - started
    display.summary(rows, seconds)
    display.close()
    first_line = reason.splitlines()[0] if reason else ""
    return DemoOutcome(rows, seconds, failed_stage, first_line)
