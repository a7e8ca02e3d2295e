"""How the demo shows itself: a live rich progress display on a terminal, plain lines in logs.

A CI log (stdout not a TTY) gets one line per stage start and end and a plain-text summary
table, with no cursor movement or colour codes, so it reads the same in any log viewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Protocol

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table


@dataclass(frozen=True)
class StageRow:
    """One line of the summary: a stage, how it ended, its time and its checked counts."""

    number: int
    name: str
    status: str  # ok | FAILED | not run
    seconds: float | None
    detail: str


class Display(Protocol):
    """What the runner tells the reader, whichever form the output takes."""

    def start(self, number: int, total: int, name: str) -> None: ...

    def finish(self, row: StageRow, total: int) -> None: ...

    def message(self, text: str) -> None: ...

    def summary(self, rows: Sequence[StageRow], total_seconds: float) -> None: ...

    def close(self) -> None: ...


def _seconds(row: StageRow) -> str:
    return "-" if row.seconds is None else f"{row.seconds:.1f}s"


class PlainDisplay:
    """Plain lines, flushed as they come: for logs, pipes and CI."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, number: int, total: int, name: str) -> None:
        self._print(f"[{number}/{total}] {name} ...")

    def finish(self, row: StageRow, total: int) -> None:
        self._print(f"[{row.number}/{total}] {row.name} {row.status} {_seconds(row)}: {row.detail}")

    def message(self, text: str) -> None:
        self._print(text)

    def summary(self, rows: Sequence[StageRow], total_seconds: float) -> None:
        width = max(len(r.name) for r in rows)
        self._print("")
        self._print(f"{'#':>2}  {'stage':<{width}}  {'status':<7}  {'time':>7}  counts")
        for row in rows:
            self._print(
                f"{row.number:>2}  {row.name:<{width}}  {row.status:<7}  {_seconds(row):>7}  "
                f"{row.detail}"
            )
        self._print(f"total {total_seconds:.1f}s")

    def close(self) -> None:
        self.stream.flush()


class RichDisplay:
    """A live progress display (spinner and elapsed time per stage) and a summary table."""

    def __init__(self, stream: IO[str]) -> None:
        self.console = Console(file=stream, force_terminal=True)
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.tasks: dict[int, TaskID] = {}
        self.progress.start()

    def start(self, number: int, total: int, name: str) -> None:
        self.tasks[number] = self.progress.add_task(f"[{number}/{total}] {name}", total=1)

    def finish(self, row: StageRow, total: int) -> None:
        colour = "green" if row.status == "ok" else "red"
        self.progress.update(
            self.tasks[row.number],
            completed=1,
            description=f"[{row.number}/{total}] {row.name} [{colour}]{row.status}[/] {row.detail}",
        )

    def message(self, text: str) -> None:
        self.progress.console.print(text, markup=False, highlight=False)

    def summary(self, rows: Sequence[StageRow], total_seconds: float) -> None:
        self.progress.stop()
        table = Table(title=f"make demo-local: {total_seconds:.1f}s")
        for column, justify in (("#", "right"), ("stage", "left"), ("status", "left")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        table.add_column("time", justify="right")
        table.add_column("counts (checked)")
        for row in rows:
            style = {"ok": "green", "FAILED": "red"}.get(row.status, "dim")
            table.add_row(
                str(row.number), row.name, f"[{style}]{row.status}[/]", _seconds(row), row.detail
            )
        self.console.print(table)

    def close(self) -> None:
        self.progress.stop()


def make_display(stream: IO[str], *, plain: bool | None = None) -> Display:
    """Rich on a terminal, plain lines otherwise (``plain`` forces either)."""
    if plain is None:
        plain = not stream.isatty()
    return PlainDisplay(stream) if plain else RichDisplay(stream)
