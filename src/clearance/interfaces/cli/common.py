"""Shared CLI plumbing: the database engine from settings, the console, error exits."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy import Engine

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def db() -> Engine:
    from clearance.adapters.db.engine import engine_for
    from clearance.settings import get_settings

    return engine_for(get_settings().resolved_database_url())


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def fail_listing(errors: Sequence[object], summary: str, *, limit: int = 50, code: int = 1) -> NoReturn:
    """Every located problem (file, line, field, fix) on its own line, then the summary."""
    for e in errors[:limit]:
        err_console.print(f"  {e}")
    if len(errors) > limit:
        err_console.print(f"  … and {len(errors) - limit} more")
    fail(summary, code=code)


def emit_rows(rows: list[dict[str, Any]], out: Path | None) -> None:
    """JSONL to standard output, or atomically to a file with a one-line summary."""
    if out is None:
        for r in rows:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
        return
    from clearance.adapters.bankfiles import write_jsonl

    write_jsonl(out, rows)
    console.print(f"{len(rows)} items written to {out}")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
