"""Live progress for a running assessment: done/total, rate, ETA, errors, running rates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clearance.interfaces.cli.common import err_console

if TYPE_CHECKING:
    from clearance.services.engine import Progress as EngineProgress

_LABELS = {"generated-content": "gc-safe", "should-refuse": "refuse", "should-answer": "answer-refused"}


def _running(p: EngineProgress) -> str:
    parts = []
    for kind, (good, n) in sorted(p.by_kind.items()):
        if n:
            parts.append(f"{_LABELS.get(kind, kind)} {good / n:.0%}")
    return " · ".join(parts)


@contextmanager
def live_progress(total: int, enabled: bool) -> Iterator[Callable[[EngineProgress], None] | None]:
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("[bold]assessing"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>7.1f} items/s"), TimeRemainingColumn(),
        TextColumn("[red]{task.fields[errors]} err"), TextColumn("{task.fields[running]}"),
        console=err_console, transient=False, refresh_per_second=8)
    task = bar.add_task("run", total=total, rate=0.0, errors=0, running="")

    def update(p: EngineProgress) -> None:
        bar.update(task, completed=p.done, rate=p.rate, errors=p.errors, running=_running(p))

    with bar:
        yield update
